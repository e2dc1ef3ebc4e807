"""Versions of a goal: every version of one scope, the open one, the current one of each scope
(what imports update and exports show), and the diff between two.

Adjustments (``workflow.goal_adjust``) create the versions; this module only reads them.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Exists, OuterRef, Q

from projects import audit

from .. import field_specs
from ..choices import GoalScope, Status
from ..models import PerformanceGoal
from ..models.goals import OPEN_STATUSES

GOAL_DIFF_FIELDS = tuple(f for f in field_specs.GOAL_FIELDS if f != "adjustment_reason")
INDICATOR_DIFF_FIELDS = ("level1", "level2", "level3", "raw_value", "weight", "explanation")


def same_scope(goal: PerformanceGoal) -> models.QuerySet[PerformanceGoal]:
    """Every version of the goal's project (or unit-overall) goal for its year."""
    queryset = PerformanceGoal.objects.filter(scope=goal.scope, year=goal.year)
    if goal.scope == GoalScope.PROJECT:
        return queryset.filter(project_id=goal.project_id)
    return queryset.filter(unit_id=goal.unit_id, project__isnull=True)


def current_goals(
    queryset: models.QuerySet[PerformanceGoal] | None = None,
) -> models.QuerySet[PerformanceGoal]:
    """The version of each goal that an import updates and an export shows.

    The open version (draft … dept_approved, returned) when an adjustment is under way, else
    the approved one; superseded versions never. The database allows at most one of each.
    """
    queryset = PerformanceGoal.objects.all() if queryset is None else queryset
    open_version = PerformanceGoal.objects.filter(
        scope=OuterRef("scope"),
        project=OuterRef("project"),
        unit=OuterRef("unit"),
        year=OuterRef("year"),
        status__in=OPEN_STATUSES,
    )
    return queryset.exclude(status=Status.SUPERSEDED).exclude(
        Q(status=Status.APPROVED) & Exists(open_version)
    )


def goal_versions(goal: PerformanceGoal) -> list[PerformanceGoal]:
    """All versions of a goal, oldest first (for the version history)."""
    return list(same_scope(goal).select_related("created_by").order_by("version"))


def open_version(goal: PerformanceGoal) -> PerformanceGoal | None:
    """The version of this goal's scope still in review (draft … dept_approved), if any."""
    return same_scope(goal).filter(status__in=OPEN_STATUSES).order_by("-version").first()


def _indicator_rows(goal: PerformanceGoal) -> dict[str, dict[str, Any]]:
    """Indicators keyed by 一级 / 三级 (a repeated key gets ``#2``, ``#3``…)."""
    rows: dict[str, dict[str, Any]] = {}
    for indicator in goal.indicators.order_by("order", "id"):
        base = f"{indicator.level1} / {indicator.level3}"
        key, n = base, 1
        while key in rows:
            n += 1
            key = f"{base} #{n}"
        rows[key] = {
            "key": key,
            "id": indicator.pk,
            **audit.snapshot(indicator, INDICATOR_DIFF_FIELDS),
        }
    return rows


def _task_rows(goal: PerformanceGoal) -> dict[str, dict[str, Any]]:
    return {t.name: {"key": t.name, "name": t.name, "content": t.content} for t in goal.tasks.all()}


def _diff_rows(old: dict, new: dict, fields) -> dict[str, list]:
    changed = []
    for key in old.keys() & new.keys():
        changes = audit.diff({f: old[key][f] for f in fields}, {f: new[key][f] for f in fields})
        if changes:
            changed.append({"key": key, "changes": changes})
    order = list(new)
    changed.sort(key=lambda c: order.index(c["key"]))
    return {
        "added": [new[k] for k in new if k not in old],
        "removed": [old[k] for k in old if k not in new],
        "changed": changed,
    }


def goal_diff(old: PerformanceGoal, new: PerformanceGoal) -> dict:
    """Field-by-field differences between two versions of a goal.

    ``{"fields": {name: [old, new]}, "indicators": {"added", "removed", "changed"},
    "tasks": {"added", "removed", "changed"}}``; indicators match on 一级 and 三级 name, so a
    renamed indicator shows as removed plus added. Values are JSON-ready (Decimals as text).
    """
    fields = audit.diff(
        audit.snapshot(old, GOAL_DIFF_FIELDS), audit.snapshot(new, GOAL_DIFF_FIELDS)
    )
    return {
        "fields": fields,
        "indicators": _diff_rows(_indicator_rows(old), _indicator_rows(new), INDICATOR_DIFF_FIELDS),
        "tasks": _diff_rows(_task_rows(old), _task_rows(new), ("content",)),
    }
