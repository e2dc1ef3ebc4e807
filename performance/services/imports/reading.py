"""Read an uploaded xlsx or csv into rows of cells, refusing what is not a plain table.

Nothing here trusts the file: its size is capped before it is opened, a zip's uncompressed
size is checked before openpyxl reads it, an xlsx sheet is streamed row by row from its XML
(its declared ``<dimension>`` is never used, and missing rows are never generated, so a sheet
claiming a million rows costs nothing), and at most ``IMPORT_MAX_ROWS`` data rows are read.

A small file can still unzip to hundreds of megabytes of one repeated letter, so nothing the
file says is held whole before it is known to be small (issue 13: a 300 KB file with one
290 MB cell grew the web process by 630 MB; 745 KB of empty rows took a worker to 1.16 GB):

- every XML part openpyxl parses whole (workbook, styles, theme…) is at most ``PART_MAX_BYTES``
  unzipped;
- shared strings are read by a streaming parser of our own: a string longer than Excel's cell
  limit (``CELL_MAX_CHARS``) is kept as a :class:`TooLong` marker (its cell is then a Chinese
  error with row and column), and the table holds at most ``3 × IMPORT_MAX_ROWS`` strings and
  ``100 × IMPORT_MAX_ROWS`` characters;
- a sheet's XML passes through :class:`_GuardedStream`, which refuses any text run longer than
  a cell can be (``TEXT_RUN_MAX_BYTES``) before the XML parser builds it, naming the cell;
- rows are dropped from the parsed tree as soon as they are read (openpyxl keeps every parsed
  row attached to the sheet), their dimensions are not collected, and a row (or any element
  outside the rows) holding more than ``ELEMENTS_MAX`` elements is refused.

Cells come back as Python values: ``str`` (csv and text cells), ``int``/``float`` (numbers),
:class:`PercentNumber` (a number shown with a % format), ``datetime``, ``bool``,
:class:`Formula` and :class:`CellError`; validation decides what each column accepts.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.parsers import expat

from django.conf import settings
from openpyxl.reader.excel import ExcelReader
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from ...csv_cells import formula_unescaped
from .columns import COLUMNS, Column, normalize_header
from .result import ImportFileError, ImportIssue

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted xlsx and legacy .xls
ZIP_MAGIC = b"PK\x03\x04"
HEADER_SEARCH_ROWS = 10
MAX_COLUMNS = 200
KNOWN_HEADERS = {column.header for column in COLUMNS}
CELL_MAX_CHARS = 32_767  # Excel's own limit for the text of a cell
# A cell's text in the XML: up to 3 UTF-8 bytes per character, with room for entities.
TEXT_RUN_MAX_BYTES = 256 * 1024
PART_MAX_BYTES = 8 * 1024 * 1024  # workbook.xml, styles.xml, theme… (read whole by openpyxl)
ELEMENTS_MAX = 100_000  # elements of one row (16,384 columns of a few elements each)
CHUNK_BYTES = 64 * 1024
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHEET_DATA = f"{{{MAIN_NS}}}sheetData"
ROW = f"{{{MAIN_NS}}}row"
MERGE_CELLS = f"{{{MAIN_NS}}}mergeCells"
LAST_CELL = re.compile(rb'<(?:[\w.-]+:)?c\b[^<>]*?\br\s*=\s*["\']([A-Za-z]{1,3})(\d{1,7})["\']')


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


class TooLong(str):
    """A shared string longer than any cell can hold; only its length is kept."""

    length: int

    def __new__(cls, length: int) -> TooLong:
        marker = super().__new__(cls, "")
        marker.length = length
        return marker


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


def open_table(data: bytes, filename: str, columns: tuple[Column, ...] = COLUMNS) -> Table:
    """The table in ``data``: xlsx by content (a zip), csv otherwise; clear errors for the rest.

    The header is the first row holding enough of ``columns``' headers (the import kind's)."""
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
        return _xlsx_table(data, columns)
    if name.endswith((".xlsx", ".xlsm", ".xls")):
        raise file_error(
            "文件不是有效的 Excel（.xlsx）文件，可能已损坏或只是改了扩展名；请用 Excel 打开后"
            "另存为 .xlsx 再上传。",
            "not_xlsx",
        )
    return _csv_table(data, columns)


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


LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)")
CSV_MAX_FIELDS = 16_384  # as many columns as Excel has


def _lines(text: str, delimiter: str) -> Iterator[str]:
    """The lines of ``text`` with their endings, one at a time (a ``StringIO`` of the whole
    text would hold four bytes per character); a line with more fields than any sheet has
    columns is refused before the csv reader makes a list of them."""
    end = 0
    for number, match in enumerate(LINE.finditer(text), start=1):
        end = match.end()
        line = match.group()
        if line.count(delimiter) >= CSV_MAX_FIELDS:
            raise ImportFileError(
                ImportIssue(
                    f"CSV 第 {number} 行超过 {CSV_MAX_FIELDS} 列，不像正常的导入模板；请检查分隔符"
                    "后重新保存。",
                    "too_many_cells",
                    row=number,
                )
            )
        yield line
    if end < len(text):
        yield text[end:]


def _csv_table(data: bytes, columns: tuple[Column, ...]) -> Table:
    text, notices = _decode(data)
    del data  # the caller keeps its bytes; this frame need not
    newline = text.find("\n")
    newline = len(text) if newline < 0 else newline
    delimiter = "\t" if text.count("\t", 0, newline) > text.count(",", 0, newline) else ","
    reader = csv.reader(_lines(text, delimiter), delimiter=delimiter)
    guard = limit("IMPORT_MAX_ROWS") * 2 + 1000

    def records() -> Iterator[tuple[int, tuple]]:
        try:
            for number, record in enumerate(reader, start=1):
                if number > guard:
                    raise _too_many_rows()
                yield number, tuple(map(formula_unescaped, record[:MAX_COLUMNS]))
        except csv.Error as error:
            if "field larger than field limit" in str(error):
                raise ImportFileError(
                    ImportIssue(
                        f"CSV 第 {reader.line_num} 行有单元格的内容超过 {csv.field_size_limit()} "
                        "字，不是正常的单元格内容；请检查引号是否成对后重新保存。",
                        "cell_too_large",
                        row=reader.line_num,
                    )
                ) from None
            raise file_error(
                f"CSV 格式错误（第 {reader.line_num} 行附近：{error}），请检查引号是否成对。",
                "bad_csv",
            ) from None

    return _find_header(records(), notices, kind="csv", columns=columns)


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
    for info in infos:
        name = info.filename.lower()
        streamed = name.startswith("xl/worksheets/") or name == "xl/sharedstrings.xml"
        if name.endswith((".xml", ".rels")) and not streamed and info.file_size > PART_MAX_BYTES:
            raise file_error(
                f"文件中的“{info.filename[:60]}”解压后超过 {PART_MAX_BYTES // (1024 * 1024)} MB"
                "（正常的导入模板远小于此，可能含有大量样式或其他多余内容）；请在 Excel 中只保留"
                "数据，另存为新的 .xlsx 后重新上传。",
                "zip_too_large",
            )
    names = {info.filename for info in infos}
    if "xl/workbook.xml" not in names:
        raise file_error(
            "压缩包中没有 Excel 工作簿（xl/workbook.xml）：这不是 .xlsx 文件；请上传导入模板的 "
            ".xlsx 或 .csv 文件。",
            "not_xlsx",
        )


def _xlsx_table(data: bytes, columns: tuple[Column, ...]) -> Table:
    _check_zip(data)

    try:
        package = _WorkbookReader(io.BytesIO(data), read_only=True, data_only=False)
        package.read()
        workbook = package.wb
        sheets = list(workbook.worksheets)
    except ImportFileError:
        raise
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
            table = _find_header(reader.rows(), [], kind="xlsx", columns=columns)
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


class _Sheet(ReadOnlyWorksheet):
    """openpyxl's read-only sheet without its size probe: for a sheet with no ``<dimension>``
    that probe parses the whole sheet into one tree (the empty-rows file's 1.16 GB)."""

    def _get_size(self) -> None:
        return None


class _WorkbookReader(ExcelReader):
    """openpyxl's reader, with the shared strings streamed under caps and lazy sheets."""

    def read_strings(self) -> None:
        from openpyxl.xml.constants import SHARED_STRINGS

        part = self.package.find(SHARED_STRINGS)
        if part is not None:
            with self.archive.open(part.PartName[1:]) as source:
                self.shared_strings = read_shared_strings(source)

    def read_worksheets(self) -> None:
        for sheet, rel in self.parser.find_sheets():
            if rel.target not in self.valid_files or "chartsheet" in rel.Type:
                continue
            worksheet = _Sheet(self.wb, sheet.name, rel.target, self.shared_strings)
            worksheet.sheet_state = sheet.state
            self.wb._sheets.append(worksheet)


def _strings_too_large(count: int, chars: int) -> ImportFileError:
    return file_error(
        f"文件中的文字内容过多（不重复的单元格文字超过 {count} 条或共 {chars} 字），远超导入模板"
        "的正常大小；请只保留导入模板的数据，或拆分为多个文件分批导入。",
        "too_much_text",
    )


def read_shared_strings(source) -> list[str]:
    """The shared-string table, streamed: no string is held past ``CELL_MAX_CHARS``.

    The same strings as openpyxl's ``read_string_table`` (the ``<t>`` of each ``<si>`` and of
    its ``<r>`` runs, not the phonetic ``<rPh>``); a longer string becomes :class:`TooLong`.
    """
    max_count = limit("IMPORT_MAX_ROWS") * 3 + 1000
    max_chars = limit("IMPORT_MAX_ROWS") * 100 + 100_000
    strings: list[str] = []
    stack: list[str] = []
    item: dict = {"parts": [], "length": 0, "collect": False}
    total = 0

    def local(name: str) -> str:
        return name.rpartition("}")[2]

    def start(name: str, attributes) -> None:
        stack.append(local(name))
        if stack[-1] == "si":
            item.update(parts=[], length=0)
        item["collect"] = stack[-1] == "t" and (
            stack[-2:-1] == ["si"] or (stack[-3:-1] == ["si", "r"])
        )

    def characters(data: str) -> None:
        if item["collect"]:
            item["length"] += len(data)
            if item["length"] <= CELL_MAX_CHARS:
                item["parts"].append(data)
            else:
                item["parts"] = []

    def end(name: str) -> None:
        nonlocal total
        tag = stack.pop()
        item["collect"] = False
        if tag != "si":
            return
        if item["length"] > CELL_MAX_CHARS:
            strings.append(TooLong(item["length"]))
        else:
            text = "".join(item["parts"]).replace("x005F_", "")
            total += len(text)
            strings.append(text)
        if len(strings) > max_count or total > max_chars:
            raise _strings_too_large(max_count, max_chars)

    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    try:
        while chunk := source.read(CHUNK_BYTES):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as error:
        raise file_error(
            f"文件中的共享字符串表（xl/sharedStrings.xml）无法解析（{error}），文件可能已损坏；"
            "请用 Excel 打开后另存为 .xlsx 再上传。",
            "corrupt_xlsx",
        ) from None
    return strings


class _TextTooLong(Exception):
    """A text run longer than any cell; ``cell`` is its reference (``"K2"``) when found."""

    def __init__(self, cell: tuple[str, int] | None) -> None:
        super().__init__(cell)
        self.cell = cell


class _GuardedStream:
    """A sheet's XML as the parser reads it, refusing a text run no cell can hold.

    Text in XML never contains ``<``, so the longest run of bytes without one bounds every
    cell's text (and every attribute); it is measured on each chunk before the parser sees
    it, so a 290 MB cell is refused after a quarter of a megabyte, never built.
    """

    def __init__(self, source) -> None:
        self.source = source
        self.run = 0  # bytes since the last "<"
        self.context = b""  # the bytes up to where the current run began: its cell's tag

    def read(self, size: int = -1) -> bytes:
        chunk = self.source.read(CHUNK_BYTES if size is None or size < 0 else size)
        if not chunk:
            return chunk
        pieces = chunk.split(b"<")
        if self.run + len(pieces[0]) > TEXT_RUN_MAX_BYTES:
            raise self._too_long(self.context)
        if len(pieces) == 1:
            self.run += len(chunk)
            return chunk
        if max(map(len, pieces)) > TEXT_RUN_MAX_BYTES:  # rare: find which run, and its cell
            offset = len(pieces[0])
            for piece in pieces[1:]:
                offset += 1
                if len(piece) > TEXT_RUN_MAX_BYTES:
                    raise self._too_long(self.context + chunk[:offset])
                offset += len(piece)
        self.run = len(pieces[-1])
        self.context = (self.context + chunk[: len(chunk) - self.run])[-8192:]
        return chunk

    @staticmethod
    def _too_long(context: bytes) -> _TextTooLong:
        found = LAST_CELL.findall(context[-8192:])
        return _TextTooLong((found[-1][0].decode().upper(), int(found[-1][1])) if found else None)

    def close(self) -> None:
        self.source.close()


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
        from xml.etree.ElementTree import iterparse

        from openpyxl.worksheet._reader import WorkSheetParser
        from openpyxl.worksheet.merge import MergeCells

        workbook = self.workbook
        seen = 0
        guard = limit("IMPORT_MAX_ROWS") * 2 + 1000
        merges = None
        with workbook._archive.open(self.sheet._worksheet_path) as raw:
            source = _GuardedStream(raw)
            parser = WorkSheetParser(  # for its cell and row parsing (types, dates, strings)
                source,
                self.sheet._shared_strings,
                data_only=False,
                epoch=workbook.epoch,
                date_formats=workbook._date_formats,
                timedelta_formats=workbook._timedelta_formats,
            )
            open_elements: list = []
            pending = 0  # elements parsed since the last one was dropped from the tree
            try:
                for event, element in iterparse(source, events=("start", "end")):
                    if event == "start":
                        open_elements.append(element)
                        continue
                    open_elements.pop()
                    pending += 1
                    if pending > ELEMENTS_MAX:
                        raise self._too_many_elements(open_elements)
                    if element.tag == ROW:
                        seen += 1
                        if seen > guard:
                            raise _too_many_rows()
                        index, cells = parser.parse_row(element)
                        parser.row_dimensions.clear()  # never used; one entry per styled row
                        open_elements[-1].remove(element)
                        pending = 0
                        if cells:
                            yield index, self._values(cells)
                    elif element.tag == MERGE_CELLS:
                        merges = MergeCells.from_tree(element)
                    if len(open_elements) == 1:  # a child of <worksheet>: done with it
                        open_elements[0].remove(element)
                        pending = 0
            except ImportFileError:
                raise
            except _TextTooLong as error:
                raise self._text_too_long(error.cell) from None
            except Exception as error:  # malformed sheet XML
                raise file_error(
                    f"工作表「{self.sheet.title}」内容无法解析（{type(error).__name__}），文件可能"
                    "已损坏；请用 Excel 打开后另存为 .xlsx 再上传。",
                    "corrupt_xlsx",
                ) from None
        if self.table is not None and merges is not None:
            self.table.merged = [str(m.ref) for m in getattr(merges, "mergeCell", [])]

    def _values(self, cells: list[dict]) -> tuple:
        width = min(max(c["column"] for c in cells), MAX_COLUMNS)
        values = [None] * width
        for cell in cells:
            if cell["column"] <= width:
                values[cell["column"] - 1] = self._value(cell)
        return tuple(values)

    def _too_many_elements(self, open_elements: list) -> ImportFileError:
        row = next((e.get("r") for e in reversed(open_elements) if e.tag == ROW), None)
        number = int(row) if row and row.isascii() and row.isdigit() else None
        where = f"第 {number} 行" if number else "某一行或其他部分"
        return ImportFileError(
            ImportIssue(
                f"工作表「{self.sheet.title}」{where}的单元格或其他内容过多（超过 {ELEMENTS_MAX}"
                " 项，Excel 一行最多 16384 列），不像正常的导入模板；请只保留数据，另存为新的 .xlsx"
                " 后重新上传。",
                "too_many_cells",
                row=number,
            )
        )

    def _text_too_long(self, cell: tuple[str, int] | None) -> ImportFileError:
        from openpyxl.utils.cell import column_index_from_string

        reason = (
            f"的内容超过 Excel 单元格的上限（{CELL_MAX_CHARS} 字），不是正常的单元格内容；"
            "请检查后重新保存文件再上传。"
        )
        if cell is None:
            return file_error(f"工作表「{self.sheet.title}」中有一段文字{reason}", "cell_too_large")
        letter, row = cell
        column = letter
        try:
            position = column_index_from_string(letter) - 1
        except ValueError:
            position = -1
        if self.table is not None and 0 <= position < len(self.table.headers):
            column = self.table.headers[position] or letter
        return ImportFileError(
            ImportIssue(
                f"工作表「{self.sheet.title}」{letter}{row} 单元格{reason}",
                "cell_too_large",
                row=row,
                column=column,
            )
        )


def _too_many_rows() -> ImportFileError:
    cap = limit("IMPORT_MAX_ROWS")
    return file_error(f"文件超过 {cap} 行的上限，请拆分为多个文件分批导入。", "too_many_rows")


# --- header ----------------------------------------------------------------------------------


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _find_header(
    records: Iterator[tuple[int, tuple]],
    notices: list[str],
    *,
    kind: str,
    columns: tuple[Column, ...] = COLUMNS,
) -> Table:
    """The first row (of the first ten non-empty ones) that holds the template's headers."""
    known = {column.header for column in columns}
    enough = min(4, sum(1 for column in columns if column.required))
    first: tuple[int, tuple] | None = None
    inspected = 0
    for number, values in records:
        if all(_is_blank(v) for v in values):
            continue
        first = first or (number, values)
        names = [normalize_header(v) for v in values]
        if len(known.intersection(names)) >= enough:
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
    expected = "，".join(column.header for column in columns if column.required)
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
