"""Event notifications of monitoring and self-evaluation: a red light, a 完全不可能 forecast and a
差 grade reach the unit's staff and its department's reviewers once per event (the occasion keys
``red:<report>``, ``impossible:<entry>`` and ``poor:<evaluation>``).

A monitoring report's warnings are due once it is handed in or its round's deadline has passed
(:func:`lights_due`): a round opens with nothing spent yet, so every report would be red at
once; a draft still being filled is no news. The daily sweep announces the drafts left red after
the deadline (``reminders.events``, the same keys)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from projects.models import Unit
from projects.numbers import RATE, SCORE, figure
from projects.permissions import DEPT_REVIEWERS, UNIT_STAFF, RoleHolders

from ..choices import Grade, Light, Likelihood, NotificationKind
from ..models import IndicatorEvaluation, MonitoringEntry, MonitoringReport, SelfEvaluation
from ..selectors.work_due import HANDED_IN
from . import derived_figures, notifications


def _admin_link(obj) -> str:
    try:
        return reverse(f"admin:performance_{obj._meta.model_name}_change", args=[obj.pk])
    except NoReverseMatch:  # pragma: no cover - admin not mounted
        return ""


def alert_recipients(unit: Unit) -> list:
    """Who hears about red lights, 完全不可能 forecasts and 差 grades: the unit's staff and
    its department's reviewers."""
    return notifications.unit_staff(unit) + notifications.department_reviewers(unit)


def alert_recipients_for(unit_paths: Mapping[int, str]) -> dict[int, list]:
    """:func:`alert_recipients` of many units at once, given ``{unit id: unit path}``: two
    queries in all."""
    holders = RoleHolders(unit_paths.values(), UNIT_STAFF + DEPT_REVIEWERS)
    return {
        unit_id: holders.of_path(path, UNIT_STAFF) + holders.of_path(path, DEPT_REVIEWERS)
        for unit_id, path in unit_paths.items()
    }


def lights_due(report: MonitoringReport, today: dt.date | None = None) -> bool:
    """Whether ``report``'s warnings are news: it was handed in, or its deadline has passed."""
    today = today or timezone.localdate()
    return report.status in HANDED_IN or report.round.deadline < today


def notify_lights(
    report: MonitoringReport,
    rows: Sequence[MonitoringEntry] | None = None,
    *,
    recipients: list | None = None,
) -> int:
    """Red light → the unit's staff and department reviewers, once per report; a 完全不可能
    forecast → the same people, once per entry; nothing until :func:`lights_due`.
    ``recipients`` may be passed in by bulk callers that already know them."""
    if not lights_due(report):
        return 0
    sent = 0
    if report.light == Light.RED:
        if recipients is None:
            recipients = alert_recipients(report.unit)
        sent += notifications.notify_many(
            recipients=recipients,
            kind=NotificationKind.RED_LIGHT,
            occasion_key=f"red:{report.pk}",
            title=f"红灯预警：{report.project.name}",
            body=(
                f"“{report}”综合预警为红灯：预算执行率 {figure(report.execution_rate, RATE)}，"
                f"时间进度 {figure(report.time_progress, RATE)}。请分析偏差原因并采取纠偏措施。"
            ),
            link=_admin_link(report),
            unit=report.unit,
        )
    for entry in rows or ():
        if entry.likelihood != Likelihood.IMPOSSIBLE:
            continue
        if recipients is None:
            recipients = notifications.unit_staff(report.unit) + notifications.department_reviewers(
                report.unit
            )
        sent += notifications.notify_many(
            recipients=recipients,
            kind=NotificationKind.IMPOSSIBLE,
            occasion_key=f"impossible:{entry.pk}",
            title=f"预计完全不可能完成：{report.project.name}",
            body=(
                f"“{report}”中指标“{entry.indicator.level3}”（目标 {entry.indicator.raw_value}）"
                f"预计全年完全不可能完成。偏差原因：{entry.get_deviation_cause_display() or '未填'}；"
                f"纠偏措施：{entry.measures or '未填'}。"
            ),
            link=_admin_link(report),
            unit=report.unit,
        )
    return sent


def announce_lights_on_submit(report: MonitoringReport) -> int:
    """A report just handed in: its red light and 完全不可能 forecasts, once each."""
    rows = list(report.entries.select_related("indicator").order_by("pk"))
    return notify_lights(report, rows)


def notify_grade(
    evaluation: SelfEvaluation,
    rows: Sequence[IndicatorEvaluation],
    *,
    recipients: list | None = None,
) -> int:
    """A filled-in evaluation graded 差 → the unit's staff and department reviewers, once.

    Not before every indicator has a value, band or override: a fresh draft scores only its
    execution rate and would be 差 for no reason.
    """
    if evaluation.grade != Grade.POOR or not derived_figures.is_complete(rows):
        return 0
    unit = evaluation.unit
    return notifications.notify_many(
        recipients=alert_recipients(unit) if recipients is None else recipients,
        kind=NotificationKind.POOR_GRADE,
        occasion_key=f"poor:{evaluation.pk}",
        title=f"自评等级为差：{evaluation}",
        body=(
            f"“{evaluation}”自评得分 {figure(evaluation.total_score, SCORE)}，等级为差。请分析原因并制定整改措施。"
        ),
        link=_admin_link(evaluation),
        unit=unit,
    )
