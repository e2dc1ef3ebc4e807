"""The daily reminder sweep: windows with work due, and events worth a warning.

``reminders_sweep`` is what beat runs once a day (any number of extra runs is harmless): for
every active reporting window that has opened it finds the units with work still to do and
notifies their staff — when the window opens, again when the deadline is within
``lead_days``, and once more when it has passed, then also escalated to the unit's
主管部门审核人. Each notification's occasion key names the window, the stage and the unit, so
the ``(recipient, occasion_key)`` unique constraint lets each person get each reminder once
however often the sweep runs or its task is redelivered.

The same sweep raises the event warnings of domain.md §7 for submitted work: red and yellow
monitoring lights, "完全不可能" forecasts, a 差 self-evaluation grade and a deviation — once
per report, entry or evaluation (see ``_event_notices`` for how it shares keys with the
cycle's services, which warn as soon as a person saves).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from projects.choices import Role
from projects.models import Membership, Project, ProjectBudget, Unit

from ..choices import (
    EDITABLE_STATUSES,
    GoalScope,
    Grade,
    Light,
    Likelihood,
    NotificationKind,
    Status,
    WindowKind,
)
from ..models import (
    MonitoringEntry,
    MonitoringReport,
    Notification,
    PerformanceGoal,
    ReportingWindow,
    SelfEvaluation,
)
from ..models.goals import OPEN_STATUSES
from .notifications import notify

STAFF_ROLES = (Role.FILLER, Role.UNIT_REVIEWER)
ESCALATION_ROLES = (Role.DEPT_REVIEWER,)
# A goal past these states has left the unit's hands (it is with the reviewers or approved).
GOAL_HANDED_IN = (Status.SUBMITTED, Status.DEPT_APPROVED, Status.APPROVED, Status.SUPERSEDED)
HANDED_IN = (Status.SUBMITTED, Status.DEPT_APPROVED, Status.APPROVED)
# Event warnings look at recent years only, so the sweep does not grow with history.
EVENT_YEARS_BACK = 2
LISTED_ITEMS = 20

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


class _Recipients:
    """Role holders of many units at once: one query for memberships, one for users."""

    def __init__(self, units: Iterable[Unit], roles: Iterable[str]) -> None:
        units = list(units)
        codes = {code for unit in units for code in unit.path.split("/") if code}
        by_code: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
        for user_id, code, role in Membership.objects.filter(
            unit__code__in=codes, role__in=list(roles), user__is_active=True
        ).values_list("user_id", "unit__code", "role"):
            by_code[code][role].add(user_id)
        user_ids = {uid for roles_ in by_code.values() for ids in roles_.values() for uid in ids}
        self.users = get_user_model().objects.in_bulk(user_ids)
        self.by_code = by_code

    def of(self, unit: Unit, roles: Iterable[str]) -> list:
        """Users holding one of ``roles`` on ``unit`` or above it, ordered by id."""
        ids: set[int] = set()
        for code in (c for c in unit.path.split("/") if c):
            for role in roles:
                ids |= self.by_code.get(code, {}).get(role, set())
        return [self.users[pk] for pk in sorted(ids) if pk in self.users]


def _admin_link(name: str, query: str = "") -> str:
    try:
        return reverse(name) + query
    except NoReverseMatch:  # the admin is not mounted in this deployment
        return ""


def _listing(items: list[str]) -> str:
    lines = [f"- {item}" for item in items[:LISTED_ITEMS]]
    if len(items) > LISTED_ITEMS:
        lines.append(f"……等共 {len(items)} 项")
    return "\n".join(lines)


def _notify_once(*, recipients: list, occasion_key: str, existing: set, **fields) -> int:
    created = 0
    for user in recipients:
        if (user.pk, occasion_key) in existing:
            continue
        if notify(recipient=user, occasion_key=occasion_key, **fields) is not None:
            created += 1
    return created


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
    recipients = _Recipients(units.values(), roles)
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
    link = _admin_link(ADMIN_LIST[window.kind], f"?year={window.year}")
    created = 0
    for unit_id, items in sorted(due.items()):
        unit = units.get(unit_id)
        if unit is None:
            continue
        body = f"{unit.name}有 {len(items)} 项{WORK_LABEL[window.kind]}：\n{_listing(items)}"
        if stage == OVERDUE:
            body += "\n（已同时告知主管部门审核人。）"
        created += _notify_once(
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


def _event_notices(today: dt.date) -> list[tuple[str, str, str, str, Unit, bool]]:
    """(occasion key, kind, title, body, unit, escalate) for every event needing a warning.

    Red lights, 完全不可能 and 差 use the occasion keys of monitoring.notify_lights and
    evaluation.notify_grade, which warn at once when a person saves: the sweep is the safety
    net for changes that bypassed them (bulk recomputes, imports) and never sends a second copy.
    """
    since = today.year - EVENT_YEARS_BACK
    notices = []
    reports = (
        MonitoringReport.objects.filter(
            status__in=HANDED_IN, round__year__gte=since, light__in=[Light.RED, Light.YELLOW]
        )
        .select_related("unit", "project", "round")
        .order_by("pk")
    )
    for report in reports:
        red = report.light == Light.RED
        notices.append(
            (
                f"{report.light}:{report.pk}",
                NotificationKind.RED_LIGHT if red else NotificationKind.YELLOW_LIGHT,
                f"{'红灯' if red else '黄灯'}预警：{report.project.name}",
                f"“{report}”综合预警为{report.get_light_display()}：预算执行率 "
                f"{report.execution_rate}%，时间进度 {report.time_progress}%。"
                "请分析偏差原因并采取纠偏措施。",
                report.unit,
                red,
            )
        )
    entries = (
        MonitoringEntry.objects.filter(
            likelihood=Likelihood.IMPOSSIBLE,
            report__status__in=HANDED_IN,
            report__round__year__gte=since,
        )
        .select_related("indicator", "report__unit", "report__project", "report__round")
        .order_by("pk")
    )
    for entry in entries:
        report = entry.report
        notices.append(
            (
                f"impossible:{entry.pk}",
                NotificationKind.IMPOSSIBLE,
                f"预计完全不可能完成：{report.project.name}",
                f"“{report}”中指标“{entry.indicator.level3}”（目标 {entry.indicator.raw_value}）"
                "预计全年完全不可能完成。",
                report.unit,
                True,
            )
        )
    evaluations = (
        SelfEvaluation.objects.filter(status__in=HANDED_IN, year__gte=since)
        .filter(Q(grade=Grade.POOR) | Q(has_deviation=True))
        .select_related("unit", "project")
        .order_by("pk")
    )
    for evaluation in evaluations:
        if evaluation.grade == Grade.POOR:
            notices.append(
                (
                    f"poor:{evaluation.pk}",
                    NotificationKind.POOR_GRADE,
                    f"自评等级为差：{evaluation}",
                    f"“{evaluation}”自评得分 {evaluation.total_score}，等级为差。"
                    "请分析原因并制定整改措施。",
                    evaluation.unit,
                    True,
                )
            )
        if evaluation.has_deviation:
            notices.append(
                (
                    f"deviation:{evaluation.pk}",
                    NotificationKind.DEVIATION,
                    f"存在偏差需整改：{evaluation}",
                    f"“{evaluation}”存在偏差，请跟进整改并留存佐证材料。",
                    evaluation.unit,
                    False,
                )
            )
    return notices


def events_sweep(*, today: dt.date) -> int:
    """Warn about red/yellow lights, 完全不可能 forecasts, 差 grades and deviations, once each."""
    notices = _event_notices(today)
    if not notices:
        return 0
    all_roles = STAFF_ROLES + ESCALATION_ROLES
    recipients = _Recipients({n[4].pk: n[4] for n in notices}.values(), all_roles)
    existing = set(
        Notification.objects.filter(occasion_key__in=[n[0] for n in notices]).values_list(
            "recipient_id", "occasion_key"
        )
    )
    created = 0
    for key, kind, title, body, unit, escalate in notices:
        created += _notify_once(
            recipients=recipients.of(unit, all_roles if escalate else STAFF_ROLES),
            occasion_key=key,
            existing=existing,
            kind=kind,
            title=title,
            body=body,
            unit=unit,
        )
    return created


def reminders_sweep(*, today: dt.date | None = None) -> int:
    """Run every active window's reminders and the event warnings; returns new notifications.

    Each window is its own transaction, so one window's failure (retried by the task) does not
    undo the others, and no transaction stays open for a whole province.
    """
    today = today or timezone.localdate()
    created = 0
    windows = ReportingWindow.objects.filter(is_active=True, opens_on__lte=today).order_by("pk")
    for window in windows:
        with transaction.atomic():
            created += window_sweep(window=window, today=today)
    with transaction.atomic():
        created += events_sweep(today=today)
    return created
