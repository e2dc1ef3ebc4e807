"""Writes of goals and indicators: creation, field edits and parsing of 指标值 on every save.

Workflow transitions (submit/review/approve/return/adjust) live in ``services/workflow/``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max

from projects import audit
from projects.bulk_writes import bulk_update_rows
from projects.choices import Continuity
from projects.models import AuditAction, Project, Unit
from projects.permissions import require_editor
from projects.services.locking import check_lock_version

from .. import scoring, targets
from ..choices import GoalScope, Status
from ..field_specs import (
    GOAL_FIELDS,
    INDICATOR,
    INDICATOR_FIELDS,
    PARSED_FIELDS,
    PERIOD_FIELDS,
    TASK_FIELDS,
)
from ..models import GoalTask, Indicator, PerformanceGoal
from ..selectors.previous_year import previous_year_value
from . import derived_figures
from .workflow import require_edit

GOAL_IS_FIXED = "指标创建后不能改挂到其他绩效目标；请在目标下新增指标，再删除原指标。"


def apply_parsed_target(indicator: Indicator, *, previous_value: Decimal | None = None) -> None:
    """Fill the parsed columns of ``indicator`` from its raw 指标值 (pure parser, no guessing)."""
    target = targets.parse_target(
        indicator.raw_value, level1=indicator.level1, previous_value=previous_value
    )
    level2, level2_findings = targets.normalize_level2(indicator.level1, indicator.level2)
    indicator.level2 = level2
    indicator.category = targets.category_of(indicator.level1)
    indicator.operator = target.operator or ""
    indicator.target_value = target.value
    indicator.target_unit = target.unit
    indicator.kind = target.kind
    indicator.direction = target.direction
    indicator.relative_to = target.relative_to or ""
    indicator.findings = [{**asdict(f), "field": "raw_value"} for f in target.findings] + [
        {**asdict(f), "field": "level2"} for f in level2_findings
    ]


# An indicator's audited fields: what the unit fills, its period plan included.
INDICATOR_AUDITED = (*INDICATOR_FIELDS, *INDICATOR.grouped)
PERIOD_INPUT = "period_targets"


def apply_period_targets(indicator: Indicator, plan: Mapping[str, Any] | None) -> None:
    """Set an indicator's period plan from ``{"kind", "mode", "values"}`` (None clears it).

    Values may be numbers or text read against the indicator's target ("20个", "0.2万元").
    Unreadable values raise a field-level ValidationError; the plan as a whole is checked by
    :func:`period_plan_errors`.
    """
    plan = plan or {}
    indicator.period_kind = plan.get("kind") or ""
    indicator.period_mode = plan.get("mode") or ""
    values = list(plan.get("values") or ())
    if len(values) > len(scoring.PERIOD_TARGET_FIELDS):
        raise ValidationError({scoring.PERIOD_TARGET_FIELDS[-1]: "分期目标最多 4 期。"})
    target = derived_figures.indicator_target(indicator)
    errors = {}
    for index, name in enumerate(scoring.PERIOD_TARGET_FIELDS):
        value = values[index] if index < len(values) else None
        if isinstance(value, str):
            value = value.strip() or None
        if isinstance(value, str) and target.operator is not None:
            parsed, findings = targets.parse_actual(value, target=target)
            problems = [f.message for f in findings if f.severity == targets.ERROR]
            if problems or parsed is None:
                errors[name] = f"第{index + 1}期目标值「{value}」：{'；'.join(problems)}"
            value = parsed
        elif isinstance(value, str):
            value = None if indicator.operator else value  # 定性: refused as a whole below
        setattr(indicator, name, value)
    if errors:
        raise ValidationError(errors)


def period_plan_errors(indicator: Indicator) -> dict[str, str]:
    """The Chinese field errors of an indicator's period plan against its annual 指标值."""
    return scoring.period_plan_problems(
        kind=indicator.period_kind,
        mode=indicator.period_mode,
        values=[getattr(indicator, name) for name in scoring.PERIOD_TARGET_FIELDS],
        operator=indicator.operator or None,
        annual=indicator.target_value,
        unit=indicator.target_unit,
        relative=indicator.kind == targets.RELATIVE,
    )


@transaction.atomic
def goal_create(
    *,
    scope: str,
    year: int,
    unit: Unit | None = None,
    project: Project | None = None,
    actor=None,
    data: Mapping[str, Any] | None = None,
    indicators: Iterable[Mapping[str, Any]] = (),
    tasks: Iterable[Mapping[str, Any]] = (),
    copied_from: PerformanceGoal | None = None,
) -> PerformanceGoal:
    """Create version 1 of a project's or a unit's goal for a year, with its indicators.

    ``copied_from``: the goal it starts from (从上年目标开始), named in the audit row."""
    if scope == GoalScope.PROJECT:
        if project is None:
            raise ValidationError({"project": "项目绩效目标必须指定项目。"})
        unit = project.unit
        if project.year != year:
            raise ValidationError({"year": f"目标年度 {year} 与项目年度 {project.year} 不一致。"})
    elif unit is None:
        raise ValidationError({"unit": "整体绩效目标必须指定单位。"})
    require_editor(actor, unit, "编制绩效目标")
    existing = PerformanceGoal.objects.filter(scope=scope, year=year, unit=unit, project=project)
    if existing.exists():
        raise ValidationError(
            {"year": f"{year} 年已有该{GoalScope(scope).label}，请在已有目标上修改或调整。"}
        )
    goal = PerformanceGoal(
        scope=scope,
        year=year,
        unit=unit,
        project=project,
        status=Status.DRAFT,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    for key, value in (data or {}).items():
        if key not in GOAL_FIELDS:
            raise ValidationError({key: "未知字段。"})
        setattr(goal, key, value)
    goal.full_clean()
    goal.save()
    changes = _goal_changes({}, goal)
    comment = ""
    if copied_from is not None:
        changes["copied_from"] = [None, copied_from.pk]
        comment = f"从上年目标开始：复制 {copied_from.year} 年已批复目标 v{copied_from.version}"
    audit.record(obj=goal, actor=actor, action=AuditAction.CREATE, changes=changes, comment=comment)
    for order, row in enumerate(indicators, start=1):
        indicator_save(goal=goal, data={"order": order, **row}, actor=actor, _audit=False)
    for order, row in enumerate(tasks, start=1):
        GoalTask.objects.create(goal=goal, order=row.get("order", order), **_task_fields(row))
    return goal


def _task_fields(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"name": row["name"], "content": row.get("content", "")}


def _goal_changes(before: dict, goal: PerformanceGoal) -> dict:
    return audit.diff(before, audit.snapshot(goal, GOAL_FIELDS))


@transaction.atomic
def goal_update(
    *,
    goal: PerformanceGoal,
    data: Mapping[str, Any],
    actor=None,
    expected_version: int | None = None,
) -> PerformanceGoal:
    """Edit the text and budget fields of a draft or returned goal."""
    goal = PerformanceGoal.objects.select_for_update().get(pk=goal.pk)
    check_lock_version(goal, expected_version)
    require_edit(goal, actor=actor, action="修改绩效目标")
    before = audit.snapshot(goal, GOAL_FIELDS)
    for key, value in data.items():
        if key not in GOAL_FIELDS:
            raise ValidationError({key: "该字段不能在此修改。"})
        setattr(goal, key, value)
    goal.full_clean()
    changes = _goal_changes(before, goal)
    if changes:
        goal.lock_version += 1
        goal.save()
        audit.record(obj=goal, actor=actor, action=AuditAction.UPDATE, changes=changes)
    return goal


@transaction.atomic
def goal_delete(*, goal: PerformanceGoal, actor=None) -> None:
    """Delete a goal version with its indicators and tasks: system administrators only (units
    adjust an approved goal instead); one that reports or evaluations use stays (protected)."""
    if actor is not None and not actor.is_superuser:
        raise PermissionDenied("只有系统管理员可以删除绩效目标。")
    goal = PerformanceGoal.objects.select_for_update().get(pk=goal.pk)
    indicators = {
        f"indicator[{row['pk']}]": [{k: row[k] for k in INDICATOR_FIELDS}, None]
        for row in goal.indicators.values("pk", *INDICATOR_FIELDS)
    }
    audit.record(
        obj=goal,
        actor=actor,
        action=AuditAction.DELETE,
        changes={**audit.diff(audit.snapshot(goal, ("status", *GOAL_FIELDS)), {}), **indicators},
    )
    goal.delete()


@transaction.atomic
def indicator_save(
    *,
    goal: PerformanceGoal,
    data: Mapping[str, Any],
    actor=None,
    indicator: Indicator | None = None,
    expected_version: int | None = None,
    _audit: bool = True,
) -> Indicator:
    """Create or edit an indicator of an editable goal; parses the 指标值 before saving.

    An existing indicator stays under the goal it was created in: ``goal`` must be that goal.
    """
    if indicator is not None:
        current = Indicator.objects.filter(pk=indicator.pk).values_list("goal_id", flat=True)
        if current.first() not in (None, goal.pk):
            raise ValidationError({"goal": GOAL_IS_FIXED})
    require_edit(goal, actor=actor, action="修改绩效指标")
    created = indicator is None
    if created:
        indicator = Indicator(goal=goal)
        before: dict[str, Any] = {}
    else:
        indicator = Indicator.objects.select_for_update().get(pk=indicator.pk, goal=goal)
        check_lock_version(indicator, expected_version)
        before = audit.snapshot(indicator, INDICATOR_AUDITED)
    data = {k: v for k, v in data.items() if not (k == "order" and v in (None, ""))}
    plan_given = PERIOD_INPUT in data
    plan = data.pop(PERIOD_INPUT, None)
    if created and "order" not in data:  # 排序 left blank ("自动"): after the goal's last one
        last = Indicator.objects.filter(goal=goal).aggregate(last=Max("order"))["last"]
        indicator.order = (last or 0) + 1
    for key, value in data.items():
        if key in PERIOD_FIELDS:
            raise ValidationError({key: "分期目标须整体填写（分期方式、口径和各期目标值）。"})
        if key not in INDICATOR_FIELDS:
            raise ValidationError({key: "该字段由系统根据指标值解析，不能直接填写。"})
        setattr(indicator, key, value if value is not None or key == "weight" else "")
    if not (indicator.level1 or "").strip():
        raise ValidationError({"level1": "一级指标不能为空。"})
    if not (indicator.level3 or "").strip():
        raise ValidationError({"level3": "三级指标不能为空。"})
    apply_parsed_target(indicator)
    if indicator.kind == targets.RELATIVE:  # 不低于上年: resolved from last year's actual
        apply_parsed_target(indicator, previous_value=previous_year_value(indicator))
    if plan_given:
        apply_period_targets(indicator, plan)
    # checked on every save: a changed annual 指标值 must still agree with the plan
    problems = period_plan_errors(indicator)
    if problems:
        raise ValidationError(problems)
    indicator.full_clean()
    changes = audit.diff(before, audit.snapshot(indicator, INDICATOR_AUDITED))
    if created or changes:
        if not created:
            indicator.lock_version += 1
        indicator.save()
        if _audit:
            audit.record(
                obj=goal,
                actor=actor,
                action=AuditAction.CREATE if created else AuditAction.UPDATE,
                changes={f"indicator[{indicator.pk}].{k}": v for k, v in changes.items()},
                comment=f"指标：{indicator.level3}",
            )
    return indicator


@transaction.atomic
def indicator_delete(
    *, indicator: Indicator, actor=None, expected_version: int | None = None
) -> None:
    """Delete an indicator of an editable goal (refused when it changed since ``expected_version``)."""
    goal = indicator.goal
    require_edit(goal, actor=actor, action="删除绩效指标")
    check_lock_version(indicator, expected_version)
    snapshot = audit.snapshot(indicator, INDICATOR_AUDITED)
    pk = indicator.pk
    indicator.delete()
    audit.record(
        obj=goal,
        actor=actor,
        action=AuditAction.DELETE,
        changes={f"indicator[{pk}]": [snapshot, None]},
        comment=f"删除指标：{snapshot['level3']}",
    )


@transaction.atomic
def goal_task_save(
    *,
    goal: PerformanceGoal,
    data: Mapping[str, Any],
    actor=None,
    task: GoalTask | None = None,
    expected_version: int | None = None,
) -> GoalTask:
    """Create or edit a 年度主要任务 of an editable (unit-overall) goal."""
    require_edit(goal, actor=actor, action="修改年度主要任务")
    created = task is None
    if created:
        task = GoalTask(goal=goal)
    else:
        task = GoalTask.objects.select_for_update().get(pk=task.pk, goal=goal)
        check_lock_version(task, expected_version)
    before = {} if created else audit.snapshot(task, TASK_FIELDS)
    for key, value in data.items():
        if key not in TASK_FIELDS:
            raise ValidationError({key: "未知字段。"})
        setattr(task, key, value if value is not None else "")
    if not (task.name or "").strip():
        raise ValidationError({"name": "任务名称不能为空。"})
    task.order = task.order or 0
    task.full_clean()
    changes = audit.diff(before, audit.snapshot(task, TASK_FIELDS))
    if created or changes:
        if not created:
            task.lock_version += 1
        task.save()
        audit.record(
            obj=goal,
            actor=actor,
            action=AuditAction.CREATE if created else AuditAction.UPDATE,
            changes={f"task[{task.pk}].{k}": v for k, v in changes.items()},
            comment=f"年度主要任务：{task.name}",
        )
    return task


@transaction.atomic
def goal_task_delete(*, task: GoalTask, actor=None, expected_version: int | None = None) -> None:
    """Delete a 年度主要任务 (refused when it changed since ``expected_version``)."""
    goal = task.goal
    require_edit(goal, actor=actor, action="删除年度主要任务")
    check_lock_version(task, expected_version)
    snapshot = audit.snapshot(task, TASK_FIELDS)
    pk = task.pk
    task.delete()
    audit.record(
        obj=goal,
        actor=actor,
        action=AuditAction.DELETE,
        changes={f"task[{pk}]": [snapshot, None]},
        comment=f"删除年度主要任务：{snapshot['name']}",
    )


@transaction.atomic
def indicators_reparse(*, goal_ids: Iterable[int] | None = None, batch_size: int = 2000) -> int:
    """Re-read every indicator's 指标值 with the current parser (after a parser upgrade).

    Set-based: reads the indicators in batches, ``bulk_update``s the parsed columns of those
    whose reading changed, and writes one audit row per changed indicator. Returns the count.
    """
    queryset = Indicator.objects.order_by("pk")
    if goal_ids is not None:
        queryset = queryset.filter(goal_id__in=list(goal_ids))
    changed_rows: list[tuple[Indicator, dict]] = []
    pending: list[Indicator] = []
    for indicator in queryset.iterator(chunk_size=batch_size):
        before = audit.snapshot(indicator, (*PARSED_FIELDS, "level2"))
        apply_parsed_target(indicator)
        changes = audit.diff(before, audit.snapshot(indicator, (*PARSED_FIELDS, "level2")))
        if changes:
            pending.append(indicator)
            changed_rows.append((indicator, changes))
        if len(pending) >= batch_size:
            bulk_update_rows(pending, [*PARSED_FIELDS, "level2"], batch_size=batch_size)
            pending = []
    if pending:
        bulk_update_rows(pending, [*PARSED_FIELDS, "level2"], batch_size=batch_size)
    audit.record_many(
        entries=((row.goal, {f"indicator[{row.pk}]": c}) for row, c in changed_rows),
        actor=None,
        action=AuditAction.COMPUTE,
        comment="按新版解析规则重新解析指标值",
    )
    return len(changed_rows)


# --- 从上年目标开始 (issue 16) -----------------------------------------------------------------

NEW_PROJECT_HAS_NO_LAST_YEAR = "新增项目没有上年目标，请从指标库选取指标。"


def last_year_goal(*, scope: str, year: int, unit: Unit, project: Project | None = None):
    """Last year's approved goal a goal for ``year`` starts from: the same unit's, of the
    project with the same code (codes are kept for a project's life), or its 整体 goal."""
    goals = PerformanceGoal.objects.filter(
        scope=scope, unit=unit, year=year - 1, status=Status.APPROVED
    )
    if project is not None:
        goals = goals.filter(project__code=project.code)
    return goals.prefetch_related("indicators", "tasks").first()


@transaction.atomic
def goal_start_from_last_year(
    *, actor, year: int | None = None, project: Project | None = None, unit: Unit | None = None
) -> PerformanceGoal:
    """A draft goal for ``year`` copied from last year's approved goal (从上年目标开始).

    For a 延续 project (``project``) or a unit's 整体 goal (``unit`` and ``year``): text fields
    (not budgets), indicators (names, 指标值 re-parsed for this year, weights, 说明, library
    links) and tasks. Last year's figures are not copied: the views read them beside."""
    if project is not None:
        scope, unit, year = GoalScope.PROJECT, project.unit, project.year
    elif unit is None or year is None:
        raise ValidationError({"project": "请选择项目，或选择单位和年度（整体绩效目标）。"})
    else:
        scope = GoalScope.UNIT
    require_editor(actor, unit, "编制绩效目标")
    if project is not None and project.continuity != Continuity.CONTINUING:
        raise ValidationError({"project": NEW_PROJECT_HAS_NO_LAST_YEAR})
    existing = PerformanceGoal.objects.filter(scope=scope, year=year, unit=unit, project=project)
    if existing.exists():
        subject = "该项目" if project is not None else "该单位"
        raise ValidationError({"year": f"{subject} {year} 年已有{GoalScope(scope).label}。"})
    source = last_year_goal(scope=scope, year=year, unit=unit, project=project)
    if source is None:
        subject = f"编码为 {project.code} 的项目" if project is not None else "该单位整体"
        raise ValidationError(
            {
                "project" if project is not None else "unit": (
                    f"上年（{year - 1} 年）{subject}没有已批复的绩效目标，不能从上年目标开始。"
                )
            }
        )
    rows = list(source.indicators.all())
    goal = goal_create(
        scope=scope,
        year=year,
        unit=unit,
        project=project,
        actor=actor,
        data={name: getattr(source, name) for name in ("overall_goal", "midterm_goal")},
        indicators=[{name: getattr(row, name) for name in INDICATOR_FIELDS} for row in rows],
        tasks=[
            {"name": t.name, "content": t.content, "order": t.order} for t in source.tasks.all()
        ],
        copied_from=source,
    )
    linked = []
    for copy, row in zip(goal.indicators.order_by("order", "id"), rows, strict=True):
        if row.library_entry_id:
            copy.library_entry_id, copy.library_code = row.library_entry_id, row.library_code
            linked.append(copy)
    Indicator.objects.bulk_update(linked, ["library_entry", "library_code"])
    return goal
