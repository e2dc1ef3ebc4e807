"""Work still due: which stage a reporting window is in today, and which units still owe what
for it. The reminder sweep and the dashboard read the same rule here."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Exists, F, OuterRef

from projects.models import Project, ProjectBudget

from ..choices import EDITABLE_STATUSES, GoalScope, Status, WindowKind
from ..models import (
    MonitoringReport,
    PerformanceGoal,
    ReportingWindow,
    SelfEvaluation,
)
from ..models.goals import OPEN_STATUSES

OPEN, DUE, OVERDUE = "open", "due", "overdue"

# A goal past these states has left the unit's hands (it is with the reviewers or approved).
GOAL_HANDED_IN = (Status.SUBMITTED, Status.DEPT_APPROVED, Status.APPROVED, Status.SUPERSEDED)


HANDED_IN = (Status.SUBMITTED, Status.DEPT_APPROVED, Status.APPROVED)


def window_stage(window: ReportingWindow, today: dt.date) -> str | None:
    """Which reminder a window calls for today: open, due (within lead days), overdue or none."""
    if today < window.opens_on:
        return None
    if today > window.closes_on:
        return OVERDUE
    if today >= window.closes_on - dt.timedelta(days=window.lead_days):
        return DUE
    return OPEN


def work_due(window: ReportingWindow) -> dict[int, list[str]]:
    """Units with work still to do for ``window``: ``{unit_id: [what, …]}`` in one query each.

    goal_set: a project of the year whose goal never left draft/returned (or has none), or a
    unit-overall goal still draft/returned. monitoring: a report of the window's round (or of
    the year's rounds) not yet submitted. self_evaluation: a project with an approved goal and
    no submitted evaluation. adjustment: an adjusted budget differing from the initial one on a
    project whose approved goal has never been adjusted and has no open adjustment version.
    """
    year = window.year
    rows: Iterable[tuple[int, str]]
    if window.kind == WindowKind.GOAL_SET:
        handed_in = PerformanceGoal.objects.filter(
            scope=GoalScope.PROJECT, project=OuterRef("pk"), year=year, status__in=GOAL_HANDED_IN
        )
        rows = list(
            Project.objects.filter(year=year, unit__is_active=True)
            .exclude(Exists(handed_in))
            .order_by("unit_id", "code")
            .values_list("unit_id", "name")
        )
        unit_handed_in = PerformanceGoal.objects.filter(
            scope=GoalScope.UNIT, unit=OuterRef("unit"), year=year, status__in=GOAL_HANDED_IN
        )
        rows += [
            (unit_id, "部门（单位）整体绩效目标")
            for unit_id in PerformanceGoal.objects.filter(
                scope=GoalScope.UNIT, year=year, status__in=EDITABLE_STATUSES
            )
            .exclude(Exists(unit_handed_in))
            .values_list("unit_id", flat=True)
            .distinct()
        ]
    elif window.kind == WindowKind.MONITORING:
        reports = MonitoringReport.objects.filter(status__in=EDITABLE_STATUSES)
        if window.monitoring_round_id:
            reports = reports.filter(round_id=window.monitoring_round_id)
        else:
            reports = reports.filter(round__year=year)
        rows = reports.order_by("unit_id", "project__code").values_list("unit_id", "project__name")
    elif window.kind == WindowKind.SELF_EVALUATION:
        approved = PerformanceGoal.objects.filter(
            scope=GoalScope.PROJECT, project=OuterRef("pk"), year=year, status=Status.APPROVED
        )
        evaluated = SelfEvaluation.objects.filter(
            scope=GoalScope.PROJECT, project=OuterRef("pk"), year=year, status__in=HANDED_IN
        )
        rows = (
            Project.objects.filter(Exists(approved), year=year, unit__is_active=True)
            .exclude(Exists(evaluated))
            .order_by("unit_id", "code")
            .values_list("unit_id", "name")
        )
    elif window.kind == WindowKind.ADJUSTMENT:
        changed = ProjectBudget.objects.filter(project=OuterRef("pk")).exclude(
            adjusted_amount=F("amount")
        )
        approved_unadjusted = PerformanceGoal.objects.filter(
            scope=GoalScope.PROJECT,
            project=OuterRef("pk"),
            year=year,
            status=Status.APPROVED,
            previous__isnull=True,
        )
        open_version = PerformanceGoal.objects.filter(
            scope=GoalScope.PROJECT, project=OuterRef("pk"), year=year, status__in=OPEN_STATUSES
        )
        rows = (
            Project.objects.filter(
                Exists(changed), Exists(approved_unadjusted), year=year, unit__is_active=True
            )
            .exclude(Exists(open_version))
            .order_by("unit_id", "code")
            .values_list("unit_id", "name")
        )
    else:  # an unknown kind has no work to chase
        return {}
    due: dict[int, list[str]] = defaultdict(list)
    for unit_id, name in rows:
        due[unit_id].append(name)
    return dict(due)
