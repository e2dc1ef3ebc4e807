"""Reporting-window reminders: one notice per stage per recipient for the units that still
owe work (``selectors.work_due``)."""

from __future__ import annotations

import datetime as dt

from projects.models import Unit
from projects.permissions import DEPT_REVIEWERS, UNIT_STAFF, RoleHolders

from ...choices import NotificationKind, WindowKind
from ...models import (
    Notification,
    ReportingWindow,
)
from ...selectors.work_due import DUE, OPEN, OVERDUE, window_stage, work_due
from .common import admin_link, listing, notify_once

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
    roles = UNIT_STAFF + (DEPT_REVIEWERS if stage == OVERDUE else ())
    recipients = RoleHolders((unit.path for unit in units.values()), roles)
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
