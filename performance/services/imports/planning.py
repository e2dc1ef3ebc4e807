"""Match valid rows with the database and decide every write before making any.

A fixed number of queries loads the units, projects (with budgets), current goals and their
indicators of the whole file; each row is then an upsert by its natural key (unit, year,
project code, 一级, 二级, 三级) decided in memory. Scope, role and goal-state problems are
recorded as row errors, so a file with any of them writes nothing.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Q

from projects import audit
from projects.choices import FundSource, UnitKind
from projects.models import Project, Unit
from projects.permissions import may_edit_unit, visible_units

from ... import targets
from ...choices import GoalScope, Status
from ...field_specs import INDICATOR_FIELDS, PERIOD_FIELDS
from ...models import Indicator, PerformanceGoal
from ...selectors.previous_year import previous_year_value
from ...selectors.versions import current_goals
from ..goals import apply_parsed_target, apply_period_targets, period_plan_errors
from . import indicator_rows
from .columns import HEADER_OF
from .result import ImportResult
from .validation import TargetRow

ZERO = Decimal("0")


@dataclass
class ProjectPlan:
    """What to do for one goal of the file: a project's (with the project) or, for the 整体
    layout (``scope`` UNIT), its unit's."""

    row: TargetRow  # its first row
    unit: Unit
    project: Project | None  # None: create it (never for a unit goal)
    changes: dict = field(default_factory=dict)  # project fields to change
    budget: tuple[str, Decimal, Decimal] | None = None  # (fund source, amount, adjusted)
    goal: PerformanceGoal | None = None  # the current goal; None: create version 1
    created: list[Indicator] = field(default_factory=list)
    updated: list[tuple[Indicator, dict]] = field(default_factory=list)
    scope: str = GoalScope.PROJECT


@dataclass
class Plan:
    projects: list[ProjectPlan] = field(default_factory=list)


def indicator_key(level1: str, level2: str, level3: str) -> tuple[str, str, str]:
    level1 = (level1 or "").strip()
    return (level1, targets.normalize_level2(level1, level2)[0], (level3 or "").strip())


def _rows_label(rows: list[TargetRow]) -> str:
    return f"（共 {len(rows)} 行）" if len(rows) > 1 else ""


def _check_units(rows: list[TargetRow], actor, result: ImportResult) -> dict[str, Unit]:
    """The file's units the actor may import into; the others are reported once each."""
    by_code: dict[str, list[TargetRow]] = defaultdict(list)
    for row in rows:
        by_code[row.unit_code].append(row)
    units = {u.code: u for u in Unit.objects.filter(code__in=list(by_code))}
    visible = (
        set(by_code)
        if actor is None
        else set(visible_units(actor).filter(code__in=list(by_code)).values_list("code", flat=True))
    )
    allowed: dict[str, Unit] = {}
    for code, unit_rows in by_code.items():
        first, column = unit_rows[0].row, HEADER_OF["unit_code"]
        unit = units.get(code)
        if unit is None:
            hint = (
                "；若编码以 0 开头，可能被 Excel 当作数字去掉了开头的 0，请把该列设为“文本”格式"
                if code.isdigit() and len(code) < 6
                else ""
            )
            result.error(
                f"单位编码「{code}」不存在{_rows_label(unit_rows)}{hint}。",
                "unknown_unit",
                first,
                column,
            )
        elif code not in visible:
            result.error(
                f"单位「{code}」不在您可以维护的单位范围内{_rows_label(unit_rows)}，不能导入。",
                "unit_out_of_scope",
                first,
                column,
            )
        elif unit.kind == UnitKind.FINANCE:
            result.error(
                f"「{unit.name}」是财政局，项目必须属于主管部门或预算单位。",
                "finance_unit",
                first,
                column,
            )
        elif not may_edit_unit(actor, unit):
            result.error(
                f"您在「{unit.name}」没有导入绩效目标的权限（需要：填报人、单位审核人或管理员）"
                f"{_rows_label(unit_rows)}。",
                "no_permission",
                first,
                column,
            )
        else:
            allowed[code] = unit
            names = {r.unit_name for r in unit_rows if r.unit_name}
            for name in sorted(names - {unit.name}):
                result.warn(
                    f"单位名称「{name}」与系统中的「{unit.name}」不一致，已按单位编码 {code} 导入。",
                    "unit_name_differs",
                    next(r.row for r in unit_rows if r.unit_name == name),
                    HEADER_OF["unit_name"],
                )
    return allowed


def build_plan(
    rows: list[TargetRow],
    *,
    actor,
    result: ImportResult,
    has_explanation: bool,
    has_weight: bool,
    lock: bool,
) -> Plan:
    """Decide every create/update for ``rows``; problems go to ``result.errors``."""
    plan = Plan()
    units = _check_units(rows, actor, result)
    all_groups: dict[tuple[str, int, str], list[TargetRow]] = defaultdict(list)
    for row in rows:
        if row.unit_code in units:
            all_groups[row.goal_key].append(row)
    if not all_groups:
        return plan
    groups = {(y, c): g for (scope, y, c), g in all_groups.items() if scope == GoalScope.PROJECT}
    unit_groups = {(y, c): g for (scope, y, c), g in all_groups.items() if scope == GoalScope.UNIT}

    codes = {code for _, code in groups}
    years = {year for year, _ in groups}
    same_codes = Project.objects.filter(code__in=codes, year__in=years)
    projects = {
        (p.unit_id, p.year, p.code): p
        for p in same_codes.filter(unit__in=[u.pk for u in units.values()])
        .select_related("unit")
        .prefetch_related("budgets")
    }
    # Other units' projects with the file's codes, among the units the actor can see only: a
    # code of a unit the actor cannot see is as good as free for them (the database keeps
    # codes unique per unit), so the import answers exactly as for a new code.
    if actor is not None:
        same_codes = same_codes.filter(unit__in=visible_units(actor))
    owners: dict[tuple[int, str], list[Unit]] = defaultdict(list)
    for p in same_codes.select_related("unit").order_by("unit__code"):
        owners[(p.year, p.code)].append(p.unit)
    wanted = Q(scope=GoalScope.PROJECT, project__in=[p.pk for p in projects.values()])
    if unit_groups:
        wanted |= Q(
            scope=GoalScope.UNIT,
            unit__in=[units[code].pk for _, code in unit_groups],
            year__in={year for year, _ in unit_groups},
        )
    goal_rows = current_goals(PerformanceGoal.objects.filter(wanted)).select_related(
        "project", "unit"
    )
    if lock:
        goal_rows = goal_rows.select_for_update(of=("self",))
    goal_list = list(goal_rows)
    goals = {g.project_id: g for g in goal_list if g.scope == GoalScope.PROJECT}
    unit_goals = {(g.unit_id, g.year): g for g in goal_list if g.scope == GoalScope.UNIT}
    existing: dict[tuple, list[Indicator]] = defaultdict(list)
    next_order: dict[int, int] = defaultdict(int)
    goal_by_pk = {goal.pk: goal for goal in goal_list}
    for indicator in Indicator.objects.filter(goal__in=list(goal_by_pk)).order_by("order", "pk"):
        indicator.goal = goal_by_pk[indicator.goal_id]
        existing[
            (
                indicator.goal_id,
                *indicator_key(indicator.level1, indicator.level2, indicator.level3),
            )
        ].append(indicator)
        next_order[indicator.goal_id] = max(next_order[indicator.goal_id], indicator.order)
    matched: set[int] = set()
    context = _RowsContext(existing, next_order, matched, result, has_explanation, has_weight)

    for key, project_rows in groups.items():
        head = project_rows[0]
        unit = units[head.unit_code]
        project = projects.get((unit.pk, *key))
        other = next((u for u in owners[key] if u.pk != unit.pk), None)
        if project is None and other is not None:
            result.error(
                f"项目编码 {head.project_code}（{head.year} 年）已属于单位「{other.name}」，"
                f"不能导入到「{unit.name}」；请核对项目编码或单位编码。",
                "project_of_other_unit",
                head.row,
                HEADER_OF["project_code"],
            )
            continue
        entry = ProjectPlan(row=head, unit=unit, project=project)
        _plan_project(entry, result)
        goal = goals.get(project.pk) if project is not None else None
        entry.goal = goal
        placeholder = goal or PerformanceGoal(
            scope=GoalScope.PROJECT,
            year=head.year,
            unit=unit,
            project=project or Project(code=head.project_code, year=head.year, unit=unit),
        )
        _plan_rows(entry, project_rows, placeholder, context)
        plan.projects.append(entry)

    for (year, code), goal_rows_of_unit in unit_groups.items():
        head = goal_rows_of_unit[0]
        unit = units[code]
        goal = unit_goals.get((unit.pk, year))
        entry = ProjectPlan(row=head, unit=unit, project=None, goal=goal, scope=GoalScope.UNIT)
        placeholder = goal or PerformanceGoal(scope=GoalScope.UNIT, year=year, unit=unit)
        _plan_rows(entry, goal_rows_of_unit, placeholder, context)
        plan.projects.append(entry)

    untouched = sum(
        1 for key, found in existing.items() for indicator in found if indicator.pk not in matched
    )
    if untouched:
        result.notices.append(
            f"这些项目在系统中另有 {untouched} 条指标未出现在文件中；导入只新增和更新，不会删除它们。"
        )
    return plan


@dataclass
class _RowsContext:
    existing: dict[tuple, list[Indicator]]
    next_order: dict[int, int]
    matched: set[int]
    result: ImportResult
    has_explanation: bool
    has_weight: bool


def _label(row: TargetRow) -> str:
    return f"{row.level1} / {row.level2 or '—'} / {row.level3}"


def _plan_rows(
    entry: ProjectPlan, rows: list[TargetRow], placeholder: PerformanceGoal, context: _RowsContext
) -> None:
    """Each row of one goal: create, update or leave its indicator (``indicator_rows`` rule
    for keys repeated in the file or in the goal)."""
    goal, result = entry.goal, context.result
    by_key: dict[tuple[str, str, str], list[TargetRow]] = defaultdict(list)
    for row in rows:
        by_key[(row.level1, row.level2, row.level3)].append(row)
    decisions = {}
    for key, key_rows in by_key.items():
        found = context.existing.get((goal.pk, *key), []) if goal else []
        decision = indicator_rows.decide(
            [_values(row, context) for row in key_rows],
            [_values(indicator, context) for indicator in found],
        )
        decisions[key] = (decision, found)
        label = _label(key_rows[0])
        if decision == indicator_rows.AMBIGUOUS:
            for row in key_rows:
                result.error(
                    indicator_rows.ambiguous_message(label, len(found), len(key_rows)),
                    "ambiguous_indicator",
                    row.row,
                    HEADER_OF["level3"],
                )
        elif decision == indicator_rows.CREATE_REPEATED:
            for row in key_rows[1:]:
                result.warn(
                    indicator_rows.repeated_message(label, key_rows[0].row),
                    "repeated_indicator",
                    row.row,
                    HEADER_OF["level3"],
                )
        elif decision == indicator_rows.UNCHANGED:
            context.matched.update(indicator.pk for indicator in found)
    for row in rows:
        decision, found = decisions[(row.level1, row.level2, row.level3)]
        if decision in (indicator_rows.AMBIGUOUS,):
            continue
        if decision == indicator_rows.UNCHANGED:
            result.counts["indicators_unchanged"] += 1
            continue
        if decision == indicator_rows.UPDATE:
            context.matched.add(found[0].pk)
            changes = _plan_update(
                found[0],
                row,
                has_explanation=context.has_explanation,
                has_weight=context.has_weight,
            )
            if changes is None:
                result.counts["indicators_unchanged"] += 1
                continue
            indicator, is_new = found[0], False
        else:
            if goal is not None:
                context.next_order[goal.pk] += 1
            indicator = Indicator(
                goal=placeholder,
                level1=row.level1,
                level2=row.level2,
                level3=row.level3,
                raw_value=row.raw_value,
                explanation=row.explanation or "",
                weight=row.weight,
                order=context.next_order[goal.pk] if goal else len(entry.created) + 1,
            )
            changes, is_new = {}, True
        if goal is not None and not goal.is_editable:
            _locked_goal_error(goal, row, result)
            continue
        if not _parse(indicator, row, result):
            continue
        if is_new:
            entry.created.append(indicator)
        else:
            entry.updated.append((indicator, changes))


def _values(item, context: _RowsContext) -> tuple:
    """What a repeated row must equal to count as the same indicator: 指标值 and, when the file
    has those columns, 说明 and 分值."""
    return (
        item.raw_value,
        (item.explanation or "") if context.has_explanation else None,
        item.weight if context.has_weight else None,
    )


def _plan_project(entry: ProjectPlan, result: ImportResult) -> None:
    row, project = entry.row, entry.project
    if project is None:
        entry.budget = (FundSource.GENERAL_PUBLIC, row.amount, row.amount)
        return
    if project.name != row.project_name:
        entry.changes["name"] = row.project_name
    if project.category != row.category:
        entry.changes["category"] = row.category
    budgets = list(project.budgets.all())
    total = sum((b.amount for b in budgets), start=ZERO)
    if total == row.amount:
        return
    if len(budgets) > 1:
        sources = "、".join(b.get_fund_source_display() for b in budgets)
        result.error(
            f"资金总额 {row.amount} 与系统中的预算合计 {total} 不一致，而该项目有多个资金来源的预算"
            f"（{sources}），无法确定修改哪一项；请在项目中修改预算。",
            "budget_ambiguous",
            row.row,
            HEADER_OF["amount"],
        )
        return
    if budgets:
        old = budgets[0]
        adjusted = row.amount if old.adjusted_amount == old.amount else old.adjusted_amount
        entry.budget = (old.fund_source, row.amount, adjusted)
    else:
        entry.budget = (FundSource.GENERAL_PUBLIC, row.amount, row.amount)


def _plan_update(
    indicator: Indicator, row: TargetRow, *, has_explanation: bool, has_weight: bool
) -> dict | None:
    """Apply the row's values to ``indicator``; the audit changes, or None when nothing differs."""
    audited = (*INDICATOR_FIELDS, *PERIOD_FIELDS) if row.period is not None else INDICATOR_FIELDS
    before = audit.snapshot(indicator, audited)
    differs = indicator.raw_value != row.raw_value
    if has_explanation and (indicator.explanation or "") != (row.explanation or ""):
        differs = True
    if has_weight and indicator.weight != row.weight:
        differs = True
    if row.period is not None and not differs:
        differs = _plan_differs(indicator, row.period)
    if not differs:
        return None
    indicator.raw_value = row.raw_value
    if has_explanation:
        indicator.explanation = row.explanation or ""
    if has_weight:
        indicator.weight = row.weight
    if row.period is not None:
        apply_parsed_target(indicator)
        # an unreadable plan is reported on the row by ``_parse``, which applies it again
        with contextlib.suppress(ValidationError):
            apply_period_targets(indicator, row.period)
    changes = audit.diff(before, audit.snapshot(indicator, audited))
    return changes or None


def _plan_differs(indicator: Indicator, plan: dict) -> bool:
    """The row's period plan is not the indicator's (its 指标值 unchanged, so its target too)."""
    probe = copy.copy(indicator)
    try:
        apply_period_targets(probe, plan)
    except ValidationError:
        return True  # unreadable: the row is planned, and ``_parse`` reports it
    return any(getattr(probe, name) != getattr(indicator, name) for name in PERIOD_FIELDS)


# The columns a parse may fill with something the table cannot hold (an unknown unit's long
# name, a number with too many places); every other column was checked with its cell.
PARSED_CHECKED = ("level2", "operator", "target_value", "target_unit", "relative_to", "weight")
UNCHECKED = [f.name for f in Indicator._meta.concrete_fields if f.name not in PARSED_CHECKED]


def _parse(indicator: Indicator, row: TargetRow, result: ImportResult) -> bool:
    """Fill the parsed columns exactly as ``indicator_save`` does; False on a bad value."""
    apply_parsed_target(indicator)
    if indicator.kind == targets.RELATIVE:  # 不低于上年: resolved from last year's actual
        apply_parsed_target(indicator, previous_value=previous_year_value(indicator))
    try:
        indicator.clean_fields(exclude=UNCHECKED)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            column = HEADER_OF.get(name, HEADER_OF["raw_value"])
            result.error("；".join(messages), "invalid_value", row.row, column)
        return False
    if row.period is not None:  # the file's 分期方式/第n期目标值 columns set the plan
        try:
            apply_period_targets(indicator, row.period)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                result.error("；".join(messages), "period_targets", row.row, _period_column(name))
            return False
        for name, message in period_plan_errors(indicator).items():
            result.error(message, "period_targets", row.row, _period_column(name))
            return False
    # an indicator's period targets must still add up to a re-imported annual 指标值
    for message in period_plan_errors(indicator).values():
        result.error(
            f"{message}请先在指标页修改分期目标。",
            "period_targets",
            row.row,
            HEADER_OF["raw_value"],
        )
        return False
    for finding in indicator.findings:
        if finding.get("severity") == targets.ERROR and finding.get("field") == "raw_value":
            result.warn(
                f"指标值需要人工确认：{finding['message']}（已按原文保存，并标记为待处理）。",
                f"value_{finding['code']}",
                row.row,
                HEADER_OF["raw_value"],
            )
    return True


def _period_column(field_name: str) -> str:
    """The template column of a period-plan field (period_kind/period_mode → 分期方式)."""
    return HEADER_OF.get(field_name, HEADER_OF["period"])


def _locked_goal_error(goal: PerformanceGoal, row: TargetRow, result: ImportResult) -> None:
    whose = (
        f"单位 {row.unit_code} 的 {goal.year} 年整体绩效目标"
        if goal.scope == GoalScope.UNIT
        else f"项目 {row.project_code} 的 {goal.year} 年绩效目标"
    )
    if goal.status == Status.APPROVED:
        message = (
            f"{whose}（第 {goal.version} 版）已财政批复，"
            "不能直接修改；请先在系统中对该目标执行“调整”生成新版本，再导入修改。"
        )
        code = "goal_approved"
    else:
        message = (
            f"{whose}正在审核中（{goal.get_status_display()}），"
            "不能导入修改；请待审核退回或批复后再处理。"
        )
        code = "goal_in_review"
    result.error(message, code, row.row, HEADER_OF["raw_value"])


def project_data(row: TargetRow, unit: Unit) -> dict:
    """Fields of a project created by an import (the year as its implementation period)."""
    from projects.choices import Continuity

    return {
        "code": row.project_code,
        "name": row.project_name,
        "unit": unit,
        "year": row.year,
        "category": row.category,
        "continuity": Continuity.CONTINUING,
        "period_start": dt.date(row.year, 1, 1),
        "period_end": dt.date(row.year, 12, 31),
    }
