"""When a document reached its current step, and working days: the one place WP1 swaps.

Until documents carry ``step_entered_at`` (issue 15 WP1), the time a document reached its
current state is the ``created_at`` of its latest transition audit row (every transition in
``services.workflow`` writes one, in the same transaction as the state change), else its
``submitted_at``, else its ``updated_at``. ``updated_at`` alone would be wrong: recomputes and
the quality review save documents that sit in a review state. When WP1 lands,
:func:`step_entered_at` becomes ``F("step_entered_at")`` and nothing else changes.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import CharField, DateTimeField, OuterRef, Subquery, Value
from django.db.models.expressions import Expression
from django.db.models.functions import Cast, Coalesce, NullIf
from django.utils import timezone

from projects.models import AuditAction, AuditEntry

# A step waiting longer than this many working days is overdue for its reviewer (the design's
# default escalation; WP1 replaces it with the bureau's policy).
REVIEW_WORKING_DAYS = 5


def _latest_transition(model, column: str) -> Subquery:
    rows = AuditEntry.objects.filter(
        content_type__app_label=model._meta.app_label,
        content_type__model=model._meta.model_name,
        object_id=Cast(OuterRef("pk"), CharField()),
        action=AuditAction.TRANSITION,
    ).order_by("-created_at", "-id")
    return Subquery(rows.values(column)[:1])


def step_entered_at(model) -> Expression:
    """The time a document of ``model`` reached its current state (see the module docstring)."""
    return Coalesce(
        _latest_transition(model, "created_at"),
        "submitted_at",
        "updated_at",
        output_field=DateTimeField(),
    )


def last_actor_name(model) -> Expression:
    """Who made the latest transition (the returner of a returned document): name or login."""
    return Coalesce(
        NullIf(_latest_transition(model, "actor__first_name"), Value("")),
        _latest_transition(model, "actor__username"),
        output_field=CharField(),
    )


def local_date(moment: dt.datetime | None) -> dt.date | None:
    """The local (``TIME_ZONE``) calendar date of ``moment``."""
    if moment is None:
        return None
    return timezone.localtime(moment).date()


def is_workday(day: dt.date) -> bool:
    """Monday to Friday (the 工作日历 of holidays and make-up days arrives with WP1)."""
    return day.weekday() < 5


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days ``d`` with ``start < d <= end`` (0 when ``end <= start``)."""
    if end <= start:
        return 0
    days = (end - start).days
    weeks, rest = divmod(days, 7)
    count = weeks * 5
    for offset in range(1, rest + 1):
        if is_workday(start + dt.timedelta(days=weeks * 7 + offset)):
            count += 1
    return count


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The ``n``-th working day after ``start``."""
    day = start
    while n > 0:
        day += dt.timedelta(days=1)
        if is_workday(day):
            n -= 1
    return day
