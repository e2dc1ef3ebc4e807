"""Escalation of review steps that wait too long (issue 15, N3).

Once a day (inside ``reminders_sweep``): every document at a review step whose wait exceeds its
finance bureau's ``escalation_working_days`` (``BureauPolicy``, else
``settings.REVIEW_ESCALATION_WORKING_DAYS``; 0 never escalates) is announced once to the next
level of the workflow table (``workflow.table.NEXT_LEVEL``). The occasion key
``escalate:<model>:<pk>:v<lock_version>`` names one stay at one step, so later runs of the sweep
add nothing, and a document that moves on and comes back is a new occasion.

The wait is counted in working days (``performance.workdays`` with the 工作日历) from
``step_entered_at``; a step escalates when it has waited more than N working days.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from projects.permissions import RoleHolders, role_labels

from ... import workdays
from ...choices import NotificationKind, Status
from ...models import Notification
from ...selectors.policies import bureau_code, calendar_overrides, policies_by_bureau
from ..notifications import occasion_key
from ..workflow.table import DOCUMENTS, NEXT_LEVEL, review_roles, review_states
from .common import notify_once

# How far back the calendar is read: more than the longest allowed wait (60 working days).
CALENDAR_SPAN = dt.timedelta(days=200)


def _cutoff(today: dt.date, days: int, overrides) -> dt.datetime:
    """Documents that reached their step before this moment have waited more than ``days``
    working days by ``today``."""
    last_day = workdays.subtract_working_days(today, days + 1, overrides)
    start = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time())
    return timezone.make_aware(start)


def overdue_condition(today: dt.date, overrides) -> Q:
    """Which documents (by their unit's bureau) have waited too long (an empty condition when
    nobody escalates)."""
    policies = policies_by_bureau()
    default_days = settings.REVIEW_ESCALATION_WORKING_DAYS
    condition = Q(pk__in=[])
    for code, policy in policies.items():
        if policy.escalation_working_days > 0:
            condition |= Q(
                unit__path__startswith=f"/{code}/",
                step_entered_at__lt=_cutoff(today, policy.escalation_working_days, overrides),
            )
    if default_days > 0:
        others = Q(step_entered_at__lt=_cutoff(today, default_days, overrides))
        for code in policies:
            others &= ~Q(unit__path__startswith=f"/{code}/")
        condition |= others
    return condition


def _link(obj) -> str:
    try:
        return reverse(f"admin:performance_{obj._meta.model_name}_change", args=[obj.pk])
    except NoReverseMatch:  # pragma: no cover - the admin is not mounted
        return ""


def review_escalation_sweep(*, today: dt.date) -> int:
    """Tell the next level, once, about every review step waiting too long; returns how many
    notifications were created."""
    overrides = calendar_overrides(today - CALENDAR_SPAN, today)
    condition = overdue_condition(today, overrides)
    waiting = []
    for model in DOCUMENTS:
        states = [s for s in review_states(model) if s in NEXT_LEVEL]
        rows = (
            model.objects.filter(status__in=states, step_entered_at__isnull=False)
            .filter(condition)
            .select_related("unit")
            .order_by("pk")
        )
        waiting.extend(rows)
    if not waiting:
        return 0
    roles = tuple(dict.fromkeys(r for level in NEXT_LEVEL.values() for r in level.roles))
    holders = RoleHolders({obj.unit.path for obj in waiting}, roles)
    keys = [occasion_key("escalate", obj) for obj in waiting]
    existing = set(
        Notification.objects.filter(occasion_key__in=keys).values_list(
            "recipient_id", "occasion_key"
        )
    )
    created = 0
    for obj, key in zip(waiting, keys, strict=True):
        level = NEXT_LEVEL[obj.status]
        path = f"/{bureau_code(obj.unit)}/" if level.bureau else obj.unit.path
        arrived = timezone.localtime(obj.step_entered_at).date()
        waited = workdays.working_days_between(arrived, today, overrides)
        step = Status(obj.status).label if obj.status in Status.values else obj.status
        noun = obj._meta.verbose_name
        reviewers = role_labels(review_roles(type(obj), obj.status))
        created += notify_once(
            recipients=holders.of_path(path, level.roles),
            occasion_key=key,
            existing=existing,
            kind=NotificationKind.REVIEW_OVERDUE,
            title=f"审核超时：{noun}“{obj}”在“{step}”环节已等待 {waited} 个工作日"[:200],
            body=(
                f"{obj.unit}的{noun}“{obj}”于 {arrived:%Y年%m月%d日} 进入“{step}”环节，"
                f"至今已等待 {waited} 个工作日，尚未由{reviewers}审核。请督促办理。"
            ),
            link=_link(obj),
            unit=obj.unit,
        )
    return created
