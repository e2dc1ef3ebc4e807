"""Row validation of the flat template: every cell checked, every problem reported at once.

Pure with respect to the database: the header is mapped, each row's cells are cleaned into a
:class:`TargetRow` (or Chinese reasons with row and column), and the file is checked against
itself (duplicate natural keys, one project described differently on two rows). What needs the
database (units, scope, existing goals) is checked by ``planning``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from openpyxl.utils.cell import range_boundaries

from ... import targets
from ...resources import COLUMNS, HEADER_OF, PROJECT_TYPE_LABELS, project_type_of
from .reading import CellError, Formula, PercentNumber, Table
from .result import ImportFileError, ImportIssue, ImportResult

YEAR_RANGE = (2000, 2100)
UNIT_CODE = re.compile(r"[0-9A-Za-z]{1,20}")
PROJECT_CODE = re.compile(r"[0-9A-Za-z\-]{1,32}")
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")
GROUPED_NUMBER = re.compile(r"-?\d{1,3}(,\d{3})+(\.\d+)?")
MAX_LENGTH = {
    "unit_name": 200,
    "project_name": 300,
    "level1": 50,
    "level2": 50,
    "level3": 300,
    "raw_value": 300,
}
KNOWN_LEVEL1 = ("cost", "output", "benefit", "satisfaction", "fund_management", "input")


@dataclass(slots=True)
class TargetRow:
    """One valid row of the template, cleaned; ``explanation``/``weight`` are None when the
    file has no such column (then an import leaves those fields alone)."""

    row: int
    year: int
    unit_code: str
    unit_name: str
    project_code: str
    project_name: str
    category: str
    amount: Decimal
    level1: str
    level2: str
    level3: str
    raw_value: str
    explanation: str | None
    weight: Decimal | None

    @property
    def project_key(self) -> tuple[int, str]:
        return (self.year, self.project_code)

    @property
    def key(self) -> tuple[int, str, str, str, str]:
        return (self.year, self.project_code, self.level1, self.level2, self.level3)


class Bad(Exception):
    """A cell that cannot be used, with the reason shown to the user."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message, self.code = message, code


@dataclass(frozen=True)
class Layout:
    index: dict[str, int]  # column key → position in the row
    has_explanation: bool
    has_weight: bool


# --- header ----------------------------------------------------------------------------------


def map_header(table: Table, result: ImportResult) -> Layout:
    """Positions of the template's columns; missing or doubled columns are file errors,
    unknown columns are ignored with a warning (a unit's own notes column is common)."""
    by_header = {column.header: column for column in COLUMNS}
    index: dict[str, int] = {}
    issues: list[ImportIssue] = []
    for position, name in enumerate(table.headers):
        if not name:
            continue
        column = by_header.get(name)
        if column is None:
            result.warn(
                f"未知列「{name}」不属于导入模板，已忽略。", "unknown_column", table.header_row
            )
            continue
        if column.key in index:
            issues.append(
                ImportIssue(
                    f"列「{name}」出现了两次，请删除重复的列。",
                    "duplicate_column",
                    table.header_row,
                    name,
                )
            )
            continue
        index[column.key] = position
    missing = [column.header for column in COLUMNS if column.required and column.key not in index]
    if missing:
        issues.append(
            ImportIssue(
                f"缺少必需的列：{'、'.join(missing)}。请使用导入模板的表头（"
                f"{'，'.join(c.header for c in COLUMNS if c.required)}）。",
                "missing_columns",
                table.header_row,
            )
        )
    if issues:
        raise ImportFileError(*issues)
    return Layout(index, "explanation" in index, "weight" in index)


def check_merged(table: Table, layout: Layout) -> None:
    """Merged cells over the header or data leave blanks in every row but the first: refuse."""
    used = set(layout.index.values())
    issues = []
    for ref in table.merged:
        try:
            min_col, min_row, max_col, max_row = range_boundaries(ref)
        except (TypeError, ValueError):
            continue
        if max_row < table.header_row:
            continue  # a title above the header
        columns = [k for k, p in layout.index.items() if min_col - 1 <= p <= max_col - 1]
        if not used.intersection(range(min_col - 1, max_col)):
            continue
        names = "、".join(HEADER_OF[k] for k in columns)
        issues.append(
            ImportIssue(
                f"{ref} 是合并单元格（第 {min_row}–{max_row} 行「{names}」）；导入要求每一行都"
                "填写完整，请取消合并并把内容填到每一行。",
                "merged_cells",
                min_row,
                HEADER_OF[columns[0]] if columns else "",
            )
        )
    if issues:
        raise ImportFileError(*issues)


# --- cells -----------------------------------------------------------------------------------


def _special(value) -> None:
    """Refuse formulas, error values, dates and booleans in any column."""
    if isinstance(value, Formula):
        raise Bad(
            f"是公式（{value[:40]}），导入只接受数值和文本；请复制后用“选择性粘贴 → 数值”替换公式再导入。",
            "formula",
        )
    if isinstance(value, CellError):
        raise Bad(f"是错误值 {value}，请改正。", "cell_error")
    if isinstance(value, dt.datetime | dt.date | dt.time | dt.timedelta):
        shown = value.isoformat() if hasattr(value, "isoformat") else str(value)
        raise Bad(
            f"被 Excel 识别成了日期/时间（{shown}）；请把单元格设为“文本”格式后重新填写。",
            "date_cell",
        )
    if isinstance(value, bool):
        raise Bad("是逻辑值（TRUE/FALSE），请填写文本或数字。", "bool_cell")


def _plain(number: Decimal) -> str:
    if number == number.to_integral_value():
        return format(number.quantize(Decimal(1)), "f")
    return format(number.normalize(), "f")


def _text(value, *, strip: bool = True) -> str:
    if value is None:
        return ""
    _special(value)
    if isinstance(value, PercentNumber):
        return _plain(Decimal(repr(float(value))) * 100) + "%"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Bad("不是有效的数值。", "invalid_number")
        return _plain(Decimal(repr(value)))
    if isinstance(value, int):
        return str(value)
    text = str(value)
    return text.strip() if strip else text


def _required(text: str) -> str:
    if not text:
        raise Bad("不能为空。", "required")
    return text


def _decimal(value, *, places: int, int_digits: int, what: str) -> Decimal:
    _special(value)
    if isinstance(value, PercentNumber):
        raise Bad(f"{what}不应是百分比（{_text(value)}），请填写数字。", "invalid_number")
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise Bad("不是有效的数值。", "invalid_number")
        number = Decimal(repr(value))
    else:
        text = "".join(unicodedata.normalize("NFKC", str(value)).split())
        if not text:
            raise Bad("不能为空。", "required")
        if GROUPED_NUMBER.fullmatch(text):
            text = text.replace(",", "")  # 1,909.20: Excel's thousands separators
        if not PLAIN_NUMBER.fullmatch(text):
            raise Bad(
                f"「{str(value).strip()[:30]}」不是数字；{what}只填写数字（如 14.48），不要带单位或文字。",
                "invalid_number",
            )
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise Bad(f"「{text[:30]}」不是数字。", "invalid_number") from None
    if number < 0:
        raise Bad(f"{what}不能为负数（{_plain(number)}）。", "negative_number")
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise Bad(f"{what}最多保留 {places} 位小数（{_plain(number)}）。", "too_many_places")
    if number >= Decimal(10) ** int_digits:
        raise Bad(f"{what}数值过大（{_plain(number)}）。", "number_too_large")
    return number


def _year(value) -> int:
    if value is None or value == "":
        raise Bad("不能为空。", "required")
    _special(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value)).strip().removesuffix("年")
    if not re.fullmatch(r"\d{4}", text):
        raise Bad(f"「{str(value)[:20]}」不是四位数的年度（如 2022）。", "invalid_year")
    year = int(text)
    if not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
        raise Bad(f"年度 {year} 超出范围（{YEAR_RANGE[0]}–{YEAR_RANGE[1]}）。", "year_out_of_range")
    return year


def _unit_code(value) -> str:
    text = unicodedata.normalize("NFKC", _required(_text(value)))
    if not UNIT_CODE.fullmatch(text):
        raise Bad(f"「{text[:30]}」不是有效的单位编码（数字和字母，最长 20 位）。", "invalid_code")
    return text


def _project_code(value) -> str:
    if isinstance(value, float) and not isinstance(value, PercentNumber):
        raise Bad(
            f"项目编码被 Excel 存成了数字（{value:g}），长编码会丢失末尾的数字；请把该列设为“文本”"
            "格式后重新填写编码。",
            "code_as_number",
        )
    text = unicodedata.normalize("NFKC", _required(_text(value)))
    if any(ch.isspace() for ch in text):
        raise Bad(
            f"项目编码「{text[:40]}」中含有空格；项目编码是连续的数字和字母，请删除空格。",
            "code_with_spaces",
        )
    if not PROJECT_CODE.fullmatch(text):
        raise Bad(
            f"「{text[:40]}」不是有效的项目编码（只能包含数字、字母和短横线，最长 32 位）。",
            "invalid_code",
        )
    return text


def _limited(text: str, key: str) -> str:
    cap = MAX_LENGTH[key]
    if len(text) > cap:
        raise Bad(f"内容过长（{len(text)} 字），最多 {cap} 字。", "too_long")
    return text


# --- rows ------------------------------------------------------------------------------------


def clean_row(number: int, values: tuple, layout: Layout, result: ImportResult) -> TargetRow | None:
    """A cleaned row, or None after recording each bad cell as an error."""
    cells: dict[str, object] = {}

    def cell(key: str):
        position = layout.index.get(key)
        return values[position] if position is not None and position < len(values) else None

    cleaners: dict[str, Callable[[object], object]] = {
        "year": _year,
        "unit_code": _unit_code,
        "unit_name": lambda v: _limited(_text(v), "unit_name"),
        "project_code": _project_code,
        "project_name": lambda v: _limited(_required(_text(v)), "project_name"),
        "project_type": _project_type,
        "amount": lambda v: _decimal(v, places=6, int_digits=14, what="资金总额"),
        "level1": lambda v: _limited(_required(_text(v)), "level1"),
        "level2": lambda v: _limited(_text(v), "level2"),
        "level3": lambda v: _limited(_required(_text(v)), "level3"),
        "raw_value": _raw_value,
    }
    if layout.has_explanation:
        cleaners["explanation"] = lambda v: _text(v)
    if layout.has_weight:
        cleaners["weight"] = lambda v: (
            None
            if v is None or (isinstance(v, str) and not v.strip())
            else _decimal(v, places=2, int_digits=5, what="分值")
        )
    failed = False
    for key, cleaner in cleaners.items():
        try:
            cells[key] = cleaner(cell(key))
        except Bad as bad:
            failed = True
            result.error(bad.message, bad.code, number, HEADER_OF[key])
    if failed:
        return None
    level1 = str(cells["level1"])
    level2, findings = targets.normalize_level2(level1, str(cells["level2"]))
    for finding in findings:
        if finding.code != "level2_missing":
            result.warn(finding.message, finding.code, number, HEADER_OF["level2"])
    if targets.category_of(level1) not in KNOWN_LEVEL1:
        result.warn(
            f"一级指标「{level1}」不是常用的一级指标（成本指标、产出指标、效益指标、满意度指标），"
            "请确认。",
            "level1_unknown",
            number,
            HEADER_OF["level1"],
        )
    return TargetRow(
        row=number,
        year=int(cells["year"]),
        unit_code=str(cells["unit_code"]),
        unit_name=str(cells["unit_name"]),
        project_code=str(cells["project_code"]),
        project_name=str(cells["project_name"]),
        category=str(cells["project_type"]),
        amount=cells["amount"],  # type: ignore[arg-type]
        level1=level1,
        level2=level2,
        level3=str(cells["level3"]),
        raw_value=str(cells["raw_value"]),
        explanation=cells.get("explanation"),  # type: ignore[arg-type]
        weight=cells.get("weight"),  # type: ignore[arg-type]
    )


def _project_type(value) -> str:
    text = _required(_text(value))
    category = project_type_of(text)
    if category is None:
        accepted = "、".join(PROJECT_TYPE_LABELS.values())
        raise Bad(f"「{text[:30]}」不是已知的项目类型（可填：{accepted}）。", "invalid_type")
    return category


def _raw_value(value) -> str:
    """The 指标值 exactly as typed (no trimming); numbers as the cell shows them."""
    text = _text(value, strip=False)
    if not text.strip():
        raise Bad("指标值不能为空（如“≥90%”“及时”）。", "required")
    if len(text) > MAX_LENGTH["raw_value"]:
        raise Bad(f"内容过长（{len(text)} 字），最多 300 字。", "too_long")
    return text


def validate_rows(
    table: Table,
    result: ImportResult,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[TargetRow], Layout]:
    """Every row cleaned and the file checked against itself; errors go to ``result``."""
    layout = map_header(table, result)
    rows: list[TargetRow] = []
    count = 0
    for number, values in table.rows:
        count += 1
        row = clean_row(number, values, layout, result)
        if row is not None:
            rows.append(row)
        if progress and count % 1000 == 0:
            progress(count)
    check_merged(table, layout)
    result.counts["rows"] = count
    if count == 0:
        raise ImportFileError(
            ImportIssue("文件只有表头，没有数据行。", "no_rows", table.header_row)
        )
    _check_consistency(rows, result)
    return rows, layout


def _check_consistency(rows: list[TargetRow], result: ImportResult) -> None:
    seen: dict[tuple, int] = {}
    projects: dict[tuple[int, str], TargetRow] = {}
    for row in rows:
        first = seen.setdefault(row.key, row.row)
        if first != row.row:
            result.error(
                f"与第{first}行重复：项目 {row.project_code} 的指标「{row.level1} / "
                f"{row.level2 or '—'} / {row.level3}」出现了两次，请删除其中一行。",
                "duplicate_row",
                row.row,
                HEADER_OF["level3"],
            )
        head = projects.setdefault(row.project_key, row)
        if head is row:
            continue
        for key, shown in (
            ("unit_code", None),
            ("project_name", None),
            ("category", PROJECT_TYPE_LABELS),
            ("amount", None),
        ):
            mine, theirs = getattr(row, key), getattr(head, key)
            if mine != theirs:
                if shown:
                    mine, theirs = shown.get(mine, mine), shown.get(theirs, theirs)
                column = HEADER_OF["project_type" if key == "category" else key]
                result.error(
                    f"与第{head.row}行不一致（「{theirs}」与「{mine}」）：同一项目（{row.project_code}）"
                    f"各行的{column}必须相同。",
                    "project_conflict",
                    row.row,
                    column,
                )
