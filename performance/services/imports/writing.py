"""Carry out a :class:`~.planning.Plan` inside the caller's transaction.

Projects, budgets and new goals go through their services (``project_save``,
``project_set_budget``, ``goal_create``: checks and audit rows included). Indicators are
written set-based — ``projects.bulk_writes`` (COPY on PostgreSQL), with the parsed columns already
filled by ``goals.apply_parsed_target`` — and audited with one row each via ``record_many``.
"""

from __future__ import annotations

from django.utils import timezone

from projects import audit
from projects.bulk_writes import bulk_create_rows, bulk_update_rows
from projects.models import AuditAction
from projects.services import projects as project_services

from ...choices import GoalScope
from ...field_specs import INDICATOR_FIELDS, PARSED_FIELDS, PERIOD_FIELDS
from ...models import Indicator
from .. import goals as goal_services
from .planning import Plan, project_data
from .result import ImportResult, NewProject

BATCH_SIZE = 1000
UPDATE_FIELDS = [
    *(f for f in INDICATOR_FIELDS if f != "order"),
    *PARSED_FIELDS,
    *PERIOD_FIELDS,
    "lock_version",
    "updated_at",
]


def count_plan(plan: Plan, result: ImportResult) -> None:
    """The counts a dry run reports and a real run confirms."""
    counts = result.counts
    for entry in plan.projects:
        if entry.scope == GoalScope.UNIT:
            pass  # the 整体 layout: no project
        elif entry.project is None:
            counts["projects_created"] += 1
            result.new_projects.append(NewProject(entry.row.project_code, entry.row.project_name))
        elif entry.changes or entry.budget:
            counts["projects_updated"] += 1
        else:
            counts["projects_unchanged"] += 1
        if entry.goal is None:
            counts["goals_created"] += 1
        counts["indicators_created"] += len(entry.created)
        counts["indicators_updated"] += len(entry.updated)


def write_plan(plan: Plan, *, actor, result: ImportResult) -> None:
    comment = f"导入文件：{result.filename}"[:500]
    created: list[Indicator] = []
    updated: list[tuple[Indicator, dict]] = []
    now = timezone.now()
    for entry in plan.projects:
        row = entry.row
        project = entry.project
        if entry.scope == GoalScope.UNIT:
            pass  # the 整体 layout: the unit's goal, no project
        elif project is None:
            project = project_services.project_save(data=project_data(row, entry.unit), actor=actor)
        elif entry.changes:
            project = project_services.project_save(
                project=project, data=entry.changes, actor=actor
            )
        if entry.budget and project is not None:
            source, amount, adjusted = entry.budget
            project_services.project_set_budget(
                project=project,
                fund_source=source,
                amount=amount,
                adjusted_amount=adjusted,
                actor=actor,
            )
        goal = entry.goal
        if goal is None and (entry.created or entry.updated):
            goal = goal_services.goal_create(
                scope=entry.scope, year=row.year, project=project, unit=entry.unit, actor=actor
            )
        for indicator in entry.created:
            indicator.goal = goal
            created.append(indicator)
        for indicator, changes in entry.updated:
            indicator.lock_version += 1
            indicator.updated_at = now
            updated.append((indicator, changes))

    bulk_create_rows(created, batch_size=BATCH_SIZE)
    bulk_update_rows([indicator for indicator, _ in updated], UPDATE_FIELDS, batch_size=BATCH_SIZE)
    entries = [(indicator.goal, _created_changes(indicator)) for indicator in created] + [
        (indicator.goal, {f"indicator[{indicator.pk}].{k}": v for k, v in changes.items()})
        for indicator, changes in updated
    ]
    goals = {goal.pk: goal for goal, _ in entries}
    audit.record_many(
        entries=entries,
        actor=actor,
        action=AuditAction.IMPORT,
        comment=comment,
        batch_size=BATCH_SIZE,
        reprs={pk: str(goal) for pk, goal in goals.items()},  # each goal's text once
    )


CREATED_FIELDS = sorted((*INDICATOR_FIELDS, *PERIOD_FIELDS))


def _created_changes(indicator: Indicator) -> dict:
    """``audit.diff`` of nothing against the new indicator's fields (what was set), keyed
    ``indicator[<pk>].<field>``."""
    changes = {}
    for name in CREATED_FIELDS:
        value = audit.to_jsonable(getattr(indicator, name))
        if value is not None and not (name in PERIOD_FIELDS and value == ""):
            changes[f"indicator[{indicator.pk}].{name}"] = [None, value]
    return changes
