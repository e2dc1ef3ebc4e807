"""Reporting-window reminders: which units owe what, and one notice per stage per recipient."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Exists, F, OuterRef

from projects.models import Project, ProjectBudget, Unit

from ...choices import EDITABLE_STATUSES, GoalScope, NotificationKind, Status, WindowKind
from ...models import (
    MonitoringReport,
    Notification,
    PerformanceGoal,
    ReportingWindow,
    SelfEvaluation,
)
from ...models.goals import OPEN_STATUSES
from .common import (
    ESCALATION_ROLES,
    GOAL_HANDED_IN,
    HANDED_IN,
    STAFF_ROLES,
    Recipients,
    admin_link,
    listing,
    notify_once,
)

OPEN, DUE, OVERDUE = "open", "due", "overdue"
WORK_LABEL = {
    WindowKind.GOAL_SET: "尚未提交绩效目标",
    WindowKind.MONITORING: "尚未提交绩效监控表",
    WindowKind.SELF_EVALUATION: "尚未提交绩效自评",
    WindowKind.ADJUSTMENT: "预算已调整、需要调整绩效目标",
}
ADMIN_LIST = {
    WindowKind.GOAL_SET: "admin:performance_performancegoal_changelist",
    WindowKind.MONITORING: "admin:performance_monitoringreport_changelist",
    WindowKind.SELF_EVALUATION: "admin:performance_selfevaluation_changelist",
    WindowKind.ADJUSTMENT: "admin:performance_performancegoal_changelist",
}


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


def window_key(window: ReportingWindow, stage: str, unit_id: int) -> str:
    return f"window:{window.pk}:{stage}:{unit_id}"


def window_sweep(*, window: ReportingWindow, today: dt.date) -> int:
    """Notify every unit with work due in ``window``; returns how many notifications were new."""
    stage = window_stage(window, today)
    if stage is None:
        return 0
    due = work_due(window)
    if not due:
        return 0
    units = {unit.pk: unit for unit in Unit.objects.filter(pk__in=due)}
    roles = STAFF_ROLES + (ESCALATION_ROLES if stage == OVERDUE else ())
    recipients = Recipients(units.values(), roles)
    keys = [window_key(window, stage, unit_id) for unit_id in units]
    existing = set(
        Notification.objects.filter(occasion_key__in=keys).values_list(
            "recipient_id", "occasion_key"
        )
    )
    closes = f"{window.closes_on:%Y年%m月%d日}"
    if stage == OPEN:
        kind = NotificationKind.WINDOW_OPEN
        title = f"{window.title}已开始，请于{closes}前完成"
    elif stage == DUE:
        kind = NotificationKind.WINDOW_DUE
        days = (window.closes_on - today).days
        title = f"{window.title}将于{closes}截止（剩 {days} 天）"
    else:
        kind = NotificationKind.WINDOW_OVERDUE
        title = f"{window.title}已于{closes}截止，尚未完成"
    if window.kind == WindowKind.ADJUSTMENT and stage != OVERDUE:
        kind = NotificationKind.ADJUSTMENT_NEEDED
    link = admin_link(ADMIN_LIST[window.kind], f"?year={window.year}")
    created = 0
    for unit_id, items in sorted(due.items()):
        unit = units.get(unit_id)
        if unit is None:
            continue
        body = f"{unit.name}有 {len(items)} 项{WORK_LABEL[window.kind]}：\n{listing(items)}"
        if stage == OVERDUE:
            body += "\n（已同时告知主管部门审核人。）"
        created += notify_once(
            recipients=recipients.of(unit, roles),
            occasion_key=window_key(window, stage, unit_id),
            existing=existing,
            kind=kind,
            title=f"{title}：{unit.name}",
            body=body,
            link=link,
            unit=unit,
        )
    return created
