"""Event warnings of submitted work: red/yellow lights, 完全不可能, 差 grades, deviations."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from projects.models import Unit
from projects.numbers import RATE, SCORE, figure
from projects.permissions import DEPT_REVIEWERS, UNIT_STAFF, RoleHolders

from ...choices import EDITABLE_STATUSES, Grade, Light, Likelihood, NotificationKind
from ...models import MonitoringEntry, MonitoringReport, Notification, SelfEvaluation
from ...selectors.work_due import HANDED_IN
from .common import notify_once

# Event warnings look at recent years only, so the sweep does not grow with history.
EVENT_YEARS_BACK = 2


def event_notices(today: dt.date) -> list[tuple[str, str, str, str, Unit, bool]]:
    """(occasion key, kind, title, body, unit, escalate) for every event needing a warning.

    Red lights, 完全不可能 and 差 use the occasion keys of monitoring.notify_lights and
    evaluation.notify_grade, which warn at once when a person saves: the sweep is the safety
    net for changes that bypassed them (bulk recomputes, imports) and never sends a second copy.
    """
    since = today.year - EVENT_YEARS_BACK
    notices = []
    reports = (
        MonitoringReport.objects.filter(round__year__gte=since, light__in=[Light.RED, Light.YELLOW])
        .filter(
            Q(status__in=HANDED_IN)
            # a red draft left after its deadline (alerts.lights_due): the same key, once
            | Q(status__in=EDITABLE_STATUSES, light=Light.RED, round__deadline__lt=today)
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
                f"{figure(report.execution_rate, RATE)}，时间进度 {figure(report.time_progress, RATE)}。"
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
                    f"“{evaluation}”自评得分 {figure(evaluation.total_score, SCORE)}，等级为差。"
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
    notices = event_notices(today)
    if not notices:
        return 0
    all_roles = UNIT_STAFF + DEPT_REVIEWERS
    recipients = RoleHolders({n[4].pk: n[4].path for n in notices}.values(), all_roles)
    existing = set(
        Notification.objects.filter(occasion_key__in=[n[0] for n in notices]).values_list(
            "recipient_id", "occasion_key"
        )
    )
    created = 0
    for key, kind, title, body, unit, escalate in notices:
        created += notify_once(
            recipients=recipients.of(unit, all_roles if escalate else UNIT_STAFF),
            occasion_key=key,
            existing=existing,
            kind=kind,
            title=title,
            body=body,
            unit=unit,
        )
    return created
