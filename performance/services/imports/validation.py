"""Row validation of the flat template: every cell checked, every problem reported at once.

Pure with respect to the database: the header is mapped, each row's cells are cleaned into a
:class:`TargetRow` (or Chinese reasons with row and column), and the file is checked against
itself (duplicate natural keys, one project described differently on two rows). What needs the
database (units, scope, existing goals) is checked by ``planning``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from openpyxl.utils.cell import range_boundaries

from ... import targets
from ...choices import GoalScope
from . import cell_cleaning
from .columns import (
    COLUMNS,
    HEADER_OF,
    PERIOD_COLUMNS,
    PERIOD_KEYS,
    PERIOD_PLANS,
    PROJECT_TYPE_LABELS,
    UNIT_COLUMNS,
    Column,
)
from .reading import PercentNumber, Table
from .result import ImportFileError, ImportIssue, ImportResult

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
    scope: str = GoalScope.PROJECT
    # the period plan ``{"kind", "mode", "values"}`` as ``goals.apply_period_targets`` takes it
    # (all blank: no plan); None when the file has no period columns (the plan is left alone)
    period: dict | None = None

    @property
    def project_key(self) -> tuple[int, str]:
        return (self.year, self.project_code)

    @property
    def goal_key(self) -> tuple[str, int, str]:
        """The goal the row belongs to: a project's, or (整体 layout) its unit's."""
        if self.scope == GoalScope.UNIT:
            return (GoalScope.UNIT, self.year, self.unit_code)
        return (GoalScope.PROJECT, self.year, self.project_code)

    @property
    def key(self) -> tuple[int, str, str, str, str]:
        return (self.year, self.project_code, self.level1, self.level2, self.level3)


@dataclass(frozen=True)
class Layout:
    index: dict[str, int]  # column key → position in the row
    has_explanation: bool
    has_weight: bool
    scope: str = GoalScope.PROJECT  # GoalScope.UNIT: the 整体 layout (no project columns)

    @property
    def has_period(self) -> bool:
        """The file carries the period-plan columns (分期方式, 第1–4期目标值)."""
        return any(key in self.index for key in PERIOD_KEYS)


# --- header ----------------------------------------------------------------------------------


def map_columns(table: Table, columns: tuple[Column, ...], result: ImportResult) -> dict[str, int]:
    """Positions of ``columns`` in the header (every kind's rule): missing or doubled columns
    are file errors, unknown ones are ignored with a warning (a unit's own notes column is
    common)."""
    by_header = {column.header: column for column in columns}
    index: dict[str, int] = {}
    issues = []
    for position, name in enumerate(table.headers):
        if not name:
            continue
        column = by_header.get(name)
        if column is None:
            result.warn(
                f"未知列「{name}」不属于导入模板，已忽略。", "unknown_column", table.header_row
            )
        elif column.key in index:
            issues.append(
                ImportIssue(
                    f"列「{name}」出现了两次，请删除重复的列。",
                    "duplicate_column",
                    table.header_row,
                    name,
                )
            )
        else:
            index[column.key] = position
    missing = [c.header for c in columns if c.required and c.key not in index]
    if missing:
        issues.append(
            ImportIssue(
                f"缺少必需的列：{'、'.join(missing)}。请使用导入模板的表头（"
                f"{'，'.join(c.header for c in columns if c.required)}）。",
                "missing_columns",
                table.header_row,
            )
        )
    if issues:
        raise ImportFileError(*issues)
    return index


def map_header(table: Table, result: ImportResult) -> Layout:
    """Positions of the template's columns; missing or doubled columns are file errors,
    unknown columns are ignored with a warning (a unit's own notes column is common).

    A header without any project column (项目编码, 项目名称, 项目类型, 资金总额) is the 整体
    layout: its rows go into their unit's 部门（单位）整体绩效目标."""
    project_headers = {HEADER_OF[k] for k in ("project_code", "project_name", "project_type")}
    unit_layout = not project_headers.intersection(table.headers) and HEADER_OF[
        "amount"
    ] not in set(table.headers)
    columns = (*UNIT_COLUMNS, *PERIOD_COLUMNS) if unit_layout else COLUMNS
    index = map_columns(table, columns, result)
    scope = GoalScope.UNIT if unit_layout else GoalScope.PROJECT
    return Layout(index, "explanation" in index, "weight" in index, scope)


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


# --- rows ------------------------------------------------------------------------------------


def clean_row(number: int, values: tuple, layout: Layout, result: ImportResult) -> TargetRow | None:
    """A cleaned row, or None after recording each bad cell as an error."""
    clean: dict[str, object] = {}

    def cell(key: str):
        position = layout.index.get(key)
        return values[position] if position is not None and position < len(values) else None

    cleaners: dict[str, Callable[[object], object]] = {
        "year": cell_cleaning.year,
        "unit_code": cell_cleaning.unit_code,
        "unit_name": lambda v: cell_cleaning.limited(cell_cleaning.as_text(v), "unit_name"),
        "project_code": cell_cleaning.project_code,
        "project_name": lambda v: cell_cleaning.limited(
            cell_cleaning.required(cell_cleaning.as_text(v)), "project_name"
        ),
        "project_type": cell_cleaning.project_type,
        "amount": lambda v: cell_cleaning.number(v, places=6, int_digits=14, what="资金总额"),
        "level1": lambda v: cell_cleaning.limited(
            cell_cleaning.required(cell_cleaning.as_text(v)), "level1"
        ),
        "level2": lambda v: cell_cleaning.limited(cell_cleaning.as_text(v), "level2"),
        "level3": lambda v: cell_cleaning.limited(
            cell_cleaning.required(cell_cleaning.as_text(v)), "level3"
        ),
        "raw_value": cell_cleaning.raw_value,
    }
    if layout.scope == GoalScope.UNIT:
        for key in ("project_code", "project_name", "project_type", "amount"):
            del cleaners[key]
        cleaners["level3"] = _level3_required
        clean.update(project_code="", project_name="", project_type="", amount=Decimal(0))
    if layout.has_explanation:
        cleaners["explanation"] = lambda v: cell_cleaning.as_text(v)
    if layout.has_weight:
        cleaners["weight"] = lambda v: (
            None
            if v is None or (isinstance(v, str) and not v.strip())
            else cell_cleaning.number(v, places=2, int_digits=5, what="分值")
        )
    if layout.has_period:
        cleaners["period"] = _period_plan
        for key in PERIOD_KEYS[1:]:
            cleaners[key] = _period_value
    failed = False
    for key, cleaner in cleaners.items():
        try:
            clean[key] = cleaner(cell(key))
        except cell_cleaning.Bad as bad:
            failed = True
            result.error(bad.message, bad.code, number, HEADER_OF[key])
    if failed:
        return None
    level1 = str(clean["level1"])
    level2, findings = targets.normalize_level2(level1, str(clean["level2"]))
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
        year=int(clean["year"]),
        unit_code=str(clean["unit_code"]),
        unit_name=str(clean["unit_name"]),
        project_code=str(clean["project_code"]),
        project_name=str(clean["project_name"]),
        category=str(clean["project_type"]),
        amount=clean["amount"],  # type: ignore[arg-type]
        level1=level1,
        level2=level2,
        level3=str(clean["level3"]),
        raw_value=str(clean["raw_value"]),
        explanation=clean.get("explanation"),  # type: ignore[arg-type]
        weight=clean.get("weight"),  # type: ignore[arg-type]
        scope=layout.scope,
        period=_period(clean) if layout.has_period else None,
    )


def _period_plan(value) -> tuple[str, str]:
    """(period_kind, period_mode) of a 分期方式 cell; ("", "") when blank."""
    text = "".join(cell_cleaning.as_text(value).split())
    if not text:
        return ("", "")
    plan = PERIOD_PLANS.get(text)
    if plan is None:
        raise cell_cleaning.Bad(
            f"分期方式「{text}」无法识别，应为季度累计、季度当期、半年累计、半年当期或留空。",
            "period_kind",
        )
    return plan


def _period_value(value) -> Decimal | str | None:
    """A 第n期目标值 cell: a number, or text read against the indicator's target later (20个)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, PercentNumber):  # a 95% cell: read as "95%" against a % target
        return cell_cleaning.as_text(value)
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return cell_cleaning.number(value, places=6, int_digits=14, what="分期目标值")
    return cell_cleaning.as_text(value)


def _period(clean: dict) -> dict:
    kind, mode = clean["period"]  # type: ignore[misc]
    return {"kind": kind, "mode": mode, "values": [clean[key] for key in PERIOD_KEYS[1:]]}


def _level3_required(value) -> str:
    text = cell_cleaning.limited(cell_cleaning.as_text(value), "level3")
    if not text:
        raise cell_cleaning.Bad("三级指标不能为空。", "level3_required")
    return text


FILLED = ("level1", "level2")


def _fill_down(
    number: int, values: tuple, layout: Layout, previous: dict[str, object], filled: list
) -> tuple:
    """整体 layout: an empty 一级/二级 is the merged cell above (as published tables leave it);
    二级 is filled only under the same 一级. Records (row, column) of each filled cell."""
    values = list(values)
    level1_filled = False
    for key in FILLED:
        position = layout.index.get(key)
        if position is None:
            continue
        while len(values) <= position:
            values.append(None)
        blank = values[position] is None or (
            isinstance(values[position], str) and not values[position].strip()
        )
        if blank and previous.get(key) is not None and (key == "level1" or level1_filled):
            values[position] = previous[key]
            filled.append((number, key))
            level1_filled = level1_filled or key == "level1"
        elif key == "level1":
            level1_filled = values[position] == previous.get("level1")
        previous[key] = values[position]
    return tuple(values)


def _filled_notice(filled: list[tuple[int, str]]) -> str:
    by_column: dict[str, list[int]] = {}
    for number, key in filled:
        by_column.setdefault(key, []).append(number)
    parts = []
    for key, numbers in by_column.items():
        ranges, start = [], numbers[0]
        for a, b in zip(numbers, [*numbers[1:], None], strict=True):
            if b != a + 1:
                ranges.append(f"第{start}行" if start == a else f"第{start}–{a}行")
                start = b
        parts.append(f"「{HEADER_OF[key]}」{'、'.join(ranges)}")
    return "空白的一级/二级指标已按上一行（合并单元格）补齐：" + "；".join(parts) + "。"


def validate_rows(
    table: Table,
    result: ImportResult,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[TargetRow], Layout]:
    """Every row cleaned and the file checked against itself; errors go to ``result``."""
    layout = map_header(table, result)
    rows: list[TargetRow] = []
    count = 0
    previous: dict[str, object] = {}
    filled: list[tuple[int, str]] = []
    for number, values in table.rows:
        count += 1
        if layout.scope == GoalScope.UNIT:
            values = _fill_down(number, values, layout, previous, filled)
        row = clean_row(number, values, layout, result)
        if row is not None:
            rows.append(row)
        if progress and count % 1000 == 0:
            progress(count)
    check_merged(table, layout)
    result.counts["rows"] = count
    if filled:
        result.notices.append(_filled_notice(filled))
    if count == 0:
        raise ImportFileError(
            ImportIssue("文件只有表头，没有数据行。", "no_rows", table.header_row)
        )
    _check_consistency(rows, result)
    return rows, layout


def _check_consistency(rows: list[TargetRow], result: ImportResult) -> None:
    # A key repeated in the file is not an error here: the planner applies the
    # ``indicator_rows`` rule (kept in order with a warning, or ambiguous against the goal).
    projects: dict[tuple[int, str], TargetRow] = {}
    for row in rows:
        if row.scope == GoalScope.UNIT:
            continue  # no project columns
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
