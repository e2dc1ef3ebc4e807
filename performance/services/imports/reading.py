"""Read an uploaded xlsx or csv into rows of cells, refusing what is not a plain table.

Nothing here trusts the file: its size is capped before it is opened, a zip's uncompressed
size is checked before openpyxl reads it, an xlsx sheet is streamed row by row from its XML
(its declared ``<dimension>`` is never used, and missing rows are never generated, so a sheet
claiming a million rows costs nothing), and at most ``IMPORT_MAX_ROWS`` data rows are read.

Cells come back as Python values: ``str`` (csv and text cells), ``int``/``float`` (numbers),
:class:`PercentNumber` (a number shown with a % format), ``datetime``, ``bool``,
:class:`Formula` and :class:`CellError`; validation decides what each column accepts.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings

from ...resources import COLUMNS, formula_unescaped, normalize_header
from .result import ImportFileError, ImportIssue

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted xlsx and legacy .xls
ZIP_MAGIC = b"PK\x03\x04"
HEADER_SEARCH_ROWS = 10
MAX_COLUMNS = 200
KNOWN_HEADERS = {column.header for column in COLUMNS}


def limit(name: str) -> int:
    defaults = {
        "IMPORT_MAX_ROWS": 200_000,
        "IMPORT_MAX_BYTES": 20 * 1024 * 1024,
        "IMPORT_MAX_UNCOMPRESSED_BYTES": 300 * 1024 * 1024,
        "IMPORT_ASYNC_ROWS": 2000,
    }
    return int(getattr(settings, name, defaults[name]))


class Formula(str):
    """An xlsx cell holding a formula (its text, starting with "=")."""


class CellError(str):
    """An xlsx error value such as #DIV/0! or #N/A."""


class PercentNumber(float):
    """A number cell formatted as a percentage: 0.95 shown as 95%."""


def file_error(message: str, code: str) -> ImportFileError:
    return ImportFileError(ImportIssue(message, code))


@dataclass
class Table:
    """The header found in the file and an iterator over the data rows below it."""

    header_row: int
    headers: list[str]
    rows: Iterator[tuple[int, tuple]]
    notices: list[str] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)  # filled once ``rows`` is exhausted
    kind: str = "csv"


def read_bytes(file, max_bytes: int) -> bytes:
    """The upload's bytes, refusing files over ``max_bytes`` without reading them whole."""
    if isinstance(file, bytes | bytearray):
        data = bytes(file)
    elif isinstance(file, str) or hasattr(file, "__fspath__"):
        with open(file, "rb") as handle:
            data = handle.read(max_bytes + 1)
    else:
        if hasattr(file, "seek"):
            file.seek(0)
        data = file.read(max_bytes + 1)
        if isinstance(data, str):
            data = data.encode("utf-8")
    if len(data) > max_bytes:
        raise file_error(
            f"文件超过 {max_bytes // (1024 * 1024)} MB 的上限，请拆分后分批导入。", "too_large"
        )
    return data


def open_table(data: bytes, filename: str) -> Table:
    """The table in ``data``: xlsx by content (a zip), csv otherwise; clear errors for the rest."""
    name = (filename or "").lower()
    if not data.strip():
        raise file_error("文件是空的，没有任何内容。", "empty_file")
    if data.startswith(OLE2_MAGIC):
        raise file_error(
            "文件是加密的 Excel 文件或旧版 .xls 格式，无法读取；请取消密码保护并另存为"
            " .xlsx（Excel 工作簿）后重新上传。",
            "encrypted_or_xls",
        )
    if data.startswith(ZIP_MAGIC):
        return _xlsx_table(data)
    if name.endswith((".xlsx", ".xlsm", ".xls")):
        raise file_error(
            "文件不是有效的 Excel（.xlsx）文件，可能已损坏或只是改了扩展名；请用 Excel 打开后"
            "另存为 .xlsx 再上传。",
            "not_xlsx",
        )
    return _csv_table(data)


# --- csv -------------------------------------------------------------------------------------


def _decode(data: bytes) -> tuple[str, list[str]]:
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict"), []
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), ["文件为 UTF-16（Unicode 文本）编码，已按此读取。"]
    if b"\x00" in data[:8192]:
        raise file_error(
            "文件不是文本格式的 CSV（含有二进制内容），也不是 .xlsx；请上传导入模板的 .xlsx 或 "
            ".csv 文件。",
            "binary_file",
        )
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise file_error(
            "无法识别文件编码（既不是 UTF-8 也不是 GBK/GB18030）；请在 Excel 中“另存为”"
            "“CSV UTF-8（逗号分隔）”或 .xlsx 后重新上传。",
            "bad_encoding",
        ) from None
    return text, ["文件不是 UTF-8 编码，已按 GB18030（兼容 GBK）编码读取；请核对中文是否正确。"]


def _csv_table(data: bytes) -> Table:
    text, notices = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def records() -> Iterator[tuple[int, tuple]]:
        try:
            for number, record in enumerate(reader, start=1):
                yield number, tuple(map(formula_unescaped, record[:MAX_COLUMNS]))
        except csv.Error as error:
            raise file_error(
                f"CSV 格式错误（第 {reader.line_num} 行附近：{error}），请检查引号是否成对。",
                "bad_csv",
            ) from None

    return _find_header(records(), notices, kind="csv")


# --- xlsx ------------------------------------------------------------------------------------


def _check_zip(data: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise file_error(
            "文件不是有效的 Excel（.xlsx）文件，可能已损坏；请用 Excel 打开后另存为 .xlsx 再上传。",
            "not_xlsx",
        ) from None
    cap = limit("IMPORT_MAX_UNCOMPRESSED_BYTES")
    if len(infos) > 10_000 or sum(info.file_size for info in infos) > cap:
        raise file_error(
            f"文件解压后超过 {cap // (1024 * 1024)} MB，不像正常的导入模板（可能是压缩炸弹或"
            "含有大量图片、空白格式）；请只保留数据后重新保存。",
            "zip_too_large",
        )
    if any(info.flag_bits & 0x1 for info in infos):
        raise file_error("文件已加密，请取消密码保护后重新上传。", "encrypted_or_xls")
    names = {info.filename for info in infos}
    if "xl/workbook.xml" not in names:
        raise file_error(
            "压缩包中没有 Excel 工作簿（xl/workbook.xml）：这不是 .xlsx 文件；请上传导入模板的 "
            ".xlsx 或 .csv 文件。",
            "not_xlsx",
        )


def _xlsx_table(data: bytes) -> Table:
    _check_zip(data)
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        sheets = list(workbook.worksheets)
    except Exception as error:  # openpyxl raises many types for a broken package
        raise file_error(
            f"无法读取 Excel 文件（{type(error).__name__}），文件可能已损坏；请用 Excel 打开后"
            "另存为 .xlsx 再上传。",
            "corrupt_xlsx",
        ) from None
    if not sheets:
        raise file_error("工作簿中没有工作表。", "empty_file")
    first_error: ImportFileError | None = None
    for sheet in sheets[:10]:
        reader = _SheetReader(workbook, sheet)
        try:
            table = _find_header(reader.rows(), [], kind="xlsx")
        except ImportFileError as error:
            first_error = first_error or error
            continue
        table.notices = (
            [f"已读取工作表「{sheet.title}」。"] if len(sheets) > 1 else []
        ) + table.notices
        reader.table = table
        return table
    assert first_error is not None
    raise first_error


class _SheetReader:
    """Streams one sheet's rows straight from its XML with openpyxl's sheet parser.

    Uses openpyxl's (pinned 3.1) internal parser rather than ``iter_rows`` because that one
    invents the missing rows up to the declared dimension and hides merged cells in read-only
    mode; here only rows present in the file are read, and the merges are collected.
    """

    def __init__(self, workbook, sheet) -> None:
        self.workbook, self.sheet = workbook, sheet
        self.table: Table | None = None
        self._formats: dict[int, str] = {}

    def _number_format(self, style_id: int) -> str:
        if style_id not in self._formats:
            from openpyxl.cell.read_only import ReadOnlyCell

            cell = ReadOnlyCell(self.sheet, 1, 1, 0, "n", style_id)
            self._formats[style_id] = cell.number_format or "General"
        return self._formats[style_id]

    def _value(self, cell: dict):
        value, kind = cell["value"], cell["data_type"]
        if value is None:
            return None
        if kind == "f":
            return Formula(value)
        if kind == "e":
            return CellError(value)
        if kind == "b":
            return bool(value)
        if isinstance(value, dt.datetime | dt.date | dt.time | dt.timedelta):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            if "%" in self._number_format(int(cell.get("style_id") or 0)):
                return PercentNumber(value)
            return value
        return value if isinstance(value, str) else str(value)

    def rows(self) -> Iterator[tuple[int, tuple]]:
        from openpyxl.worksheet._reader import WorkSheetParser

        workbook = self.workbook
        seen = 0
        guard = limit("IMPORT_MAX_ROWS") * 2 + 1000
        with workbook._archive.open(self.sheet._worksheet_path) as source:
            parser = WorkSheetParser(
                source,
                self.sheet._shared_strings,
                data_only=False,
                epoch=workbook.epoch,
                date_formats=workbook._date_formats,
                timedelta_formats=workbook._timedelta_formats,
            )
            try:
                for index, cells in parser.parse():
                    seen += 1
                    if seen > guard:
                        raise _too_many_rows()
                    if not cells:
                        continue
                    width = min(max(c["column"] for c in cells), MAX_COLUMNS)
                    values = [None] * width
                    for cell in cells:
                        if cell["column"] <= width:
                            values[cell["column"] - 1] = self._value(cell)
                    yield index, tuple(values)
            except ImportFileError:
                raise
            except Exception as error:  # malformed sheet XML
                raise file_error(
                    f"工作表「{self.sheet.title}」内容无法解析（{type(error).__name__}），文件可能"
                    "已损坏；请用 Excel 打开后另存为 .xlsx 再上传。",
                    "corrupt_xlsx",
                ) from None
            merges = getattr(parser, "merged_cells", None)
        if self.table is not None and merges is not None:
            self.table.merged = [str(m.ref) for m in getattr(merges, "mergeCell", [])]


def _too_many_rows() -> ImportFileError:
    cap = limit("IMPORT_MAX_ROWS")
    return file_error(f"文件超过 {cap} 行的上限，请拆分为多个文件分批导入。", "too_many_rows")


# --- header ----------------------------------------------------------------------------------


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _find_header(records: Iterator[tuple[int, tuple]], notices: list[str], *, kind: str) -> Table:
    """The first row (of the first ten non-empty ones) that holds the template's headers."""
    first: tuple[int, tuple] | None = None
    inspected = 0
    for number, values in records:
        if all(_is_blank(v) for v in values):
            continue
        first = first or (number, values)
        names = [normalize_header(v) for v in values]
        if len(KNOWN_HEADERS.intersection(names)) >= 4:
            table = Table(header_row=number, headers=names, rows=iter(()), notices=notices)
            table.kind = kind
            table.rows = _data_rows(records, table)
            return table
        inspected += 1
        if inspected >= HEADER_SEARCH_ROWS:
            break
    if first is None:
        raise file_error("文件中没有任何数据（工作表是空的）。", "empty_file")
    found = "、".join(str(v).strip() for v in first[1] if not _is_blank(v))[:200]
    expected = "，".join(column.header for column in COLUMNS if column.required)
    raise ImportFileError(
        ImportIssue(
            f"没有找到导入模板的表头。表头应为：{expected}；文件第 {first[0]} 行是：{found}。",
            "wrong_headers",
            row=first[0],
        )
    )


def _data_rows(records: Iterator[tuple[int, tuple]], table: Table) -> Iterator[tuple[int, tuple]]:
    cap = limit("IMPORT_MAX_ROWS")
    count = 0
    for number, values in records:
        if all(_is_blank(v) for v in values):
            continue
        count += 1
        if count > cap:
            raise _too_many_rows()
        yield number, values


def estimate_rows(data: bytes) -> int:
    """A cheap upper bound of the data rows, to decide between answering now and a Job."""
    if data.startswith(ZIP_MAGIC):
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
            if not sheets:
                return 0
            total, tail, pattern = 0, b"", b"<row "
            with archive.open(sorted(sheets)[0]) as source:
                while chunk := source.read(1 << 20):
                    block = tail + chunk
                    total += block.count(pattern)
                    tail = block[-(len(pattern) - 1) :]
            return max(0, total - 1)
        except (zipfile.BadZipFile, OSError, ValueError):
            return 0
    return max(0, data.count(b"\n") - 1)
