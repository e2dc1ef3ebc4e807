"""The printed 部门(单位)整体绩效目标表 (the 整体 form layout) as rows of the 整体 flat layout.

The form is what ``exports.unit_targets`` writes and what units publish: per sheet a title
holding "整体绩效目标表", "（2022年度）", labelled rows (部门(单位)名称, 年度履职目标, 年度主要任务,
预算情况), then the table 一级指标 / 二级指标 / 三级指标 / 指标值 (/ 指标值说明) whose runs of
equal 一级 and 二级 are merged. :func:`open_targets_table` reads every such sheet of a workbook
into one :class:`~.reading.Table` with the flat 整体 headers and the sheet's own row numbers,
so the flat layout's validation, planning and writing (fill-down of merged 一级/二级, the
repeated-三级 rule, "没有任何变化") apply unchanged. Any other file is read by ``open_table``.

Year: the "（YYYY年度）" line. Unit: the sheet title's leading code (the export names sheets
``"{code} {name}"``), else the one active unit whose name is the 部门(单位)名称 row's.
The indicator table ends at the first blank row. The overall goal's text, tasks and budget rows
are not read yet (they are not compared on re-import).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

from projects.models import Unit

from .columns import COLUMNS, HEADER_OF
from .reading import (
    ZIP_MAGIC,
    Table,
    _check_zip,
    _SheetReader,
    _WorkbookReader,
    file_error,
    open_table,
)

FORM_TITLE = "整体绩效目标表"
FORM_HEADER = ("一级指标", "二级指标", "三级指标", "指标值")
NAME_LABEL = "部门(单位)名称"
YEAR = re.compile(r"[（(]\s*(\d{4})\s*年")
SHEET_CODE = re.compile(r"^\s*([0-9A-Za-z]+)\s+\S")
TITLE_ROWS = 3  # the title and the year are in the first rows
HEADERS = (
    [HEADER_OF[key] for key in ("year", "unit_code", "unit_name")]
    + list(FORM_HEADER)
    + [HEADER_OF["explanation"]]
)


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _normal(text: str) -> str:
    return text.replace("（", "(").replace("）", ")").replace(" ", "")


def open_targets_table(data: bytes, filename: str, columns=COLUMNS) -> Table:
    """The 整体 form's rows when ``data`` is a workbook of such sheets, else ``open_table``."""
    if data.startswith(ZIP_MAGIC):
        table = _form_table(data)
        if table is not None:
            return table
    return open_table(data, filename, columns)


def _form_table(data: bytes) -> Table | None:
    _check_zip(data)
    try:
        package = _WorkbookReader(io.BytesIO(data), read_only=True, data_only=False)
        package.read()
        workbook = package.wb
    except Exception:  # not readable here: open_table reports why
        return None
    rows: list[tuple[int, tuple]] = []
    notices: list[str] = []
    for sheet in workbook.worksheets:
        sheet_rows = _SheetReader(workbook, sheet).rows()
        head = [values for _n, values in _take(sheet_rows, TITLE_ROWS)]
        texts = [_text(v) for values in head for v in values]
        if not any(FORM_TITLE in text for text in texts):
            continue
        year = next((m.group(1) for t in texts if (m := YEAR.search(t))), None)
        if year is None:
            raise file_error(
                f"工作表「{sheet.title}」：表头没有“（YYYY年度）”，无法确定年度。",
                "year_unresolved",
            )
        read = _sheet_rows(sheet.title, sheet_rows, year)
        rows.extend(read)
        notices.append(
            f"已按部门(单位)整体绩效目标表读取工作表「{sheet.title}」（{len(read)} 条指标）。"
        )
    if not notices:
        return None
    return Table(header_row=1, headers=list(HEADERS), rows=iter(rows), notices=notices, kind="xlsx")


def _take(rows: Iterator, count: int) -> list:
    taken = []
    for item in rows:
        taken.append(item)
        if len(taken) == count:
            break
    return taken


def _sheet_rows(title: str, rows: Iterator, year: str) -> list[tuple[int, tuple]]:
    """The indicator rows of one form sheet, as flat 整体 rows (their own row numbers)."""
    code_match = SHEET_CODE.match(title)
    code, name, in_table, read = (code_match.group(1) if code_match else ""), "", False, []
    for number, values in rows:
        cells = [_text(v) for v in values]
        if not in_table:
            if cells and _normal(cells[0]) == _normal(NAME_LABEL):
                name = next((c for c in cells[1:] if c), "")
            elif tuple(cells[:4]) == FORM_HEADER:
                in_table = True
                if not code:
                    code = _unit_code(title, name)
            continue
        if not any(cells):
            break
        indicator = (list(values) + [None] * 5)[:5]
        read.append((number, (year, code, name, *indicator)))
    if not in_table:
        raise file_error(
            f"工作表「{title}」：没有找到指标表头（{'、'.join(FORM_HEADER)}）。", "missing_columns"
        )
    return read


def _unit_code(title: str, name: str) -> str:
    """The unit named by the 部门(单位)名称 row, when exactly one active unit has that name."""
    codes = list(Unit.objects.filter(name=name, is_active=True).values_list("code", flat=True)[:2])
    if len(codes) != 1:
        raise file_error(
            f"工作表「{title}」：无法确定单位（请将工作表命名为“单位编码 单位名称”，"
            f"或核对部门(单位)名称「{name}」）。",
            "unit_unresolved",
        )
    return codes[0]
