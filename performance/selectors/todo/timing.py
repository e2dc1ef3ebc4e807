"""When a document reached its current step, who moved it there, and working days.

One rule for "when it reached the step": ``ReviewedDocument.step_entered_at``, set by every
workflow transition (and for a new adjustment draft); a draft never moved since it was created
reached its step when it was created. Working days are ``performance.workdays``'.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import CharField, DateTimeField, F, OuterRef, Subquery, Value
from django.db.models.expressions import Expression
from django.db.models.functions import Cast, Coalesce, NullIf
from django.utils import timezone

from projects.models import AuditAction, AuditEntry, Unit

from ... import workdays
from ..policies import calendar_overrides, policies_by_bureau


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
    return Coalesce(F("step_entered_at"), F("created_at"), output_field=DateTimeField())


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


is_workday = workdays.is_workday
working_days_between = workdays.working_days_between
add_working_days = workdays.add_working_days


@dataclass
class ReviewTiming:
    """Days waited and review deadlines of many to-do lines with the rules the escalation sweep
    uses: the unit's bureau's ``escalation_working_days`` (``BureauPolicy``, else the default)
    and the 工作日历. Read once per list (policies; unit paths only when some bureau has its
    own settings; the calendar over the span the lines need)."""

    today: dt.date
    overrides: dict[dt.date, bool] = field(default_factory=dict)
    days_by_unit: dict[str, int] = field(default_factory=dict)
    default_days: int = field(default_factory=lambda: settings.REVIEW_ESCALATION_WORKING_DAYS)

    @classmethod
    def for_lines(cls, today: dt.date, arrivals: list[tuple[str, dt.date]]) -> ReviewTiming:
        """The timing of lines given as ``(unit code, arrival date)``; no query when empty."""
        if not arrivals:
            return cls(today=today)
        policies = policies_by_bureau()
        days_by_unit: dict[str, int] = {}
        if policies:
            codes = {code for code, _day in arrivals}
            for code, path in Unit.objects.filter(code__in=codes).values_list("code", "path"):
                policy = policies.get(path.strip("/").split("/", 1)[0])
                if policy is not None:
                    days_by_unit[code] = policy.escalation_working_days
        start = min(day for _code, day in arrivals)
        overrides = calendar_overrides(start, max(today, start) + CALENDAR_AHEAD)
        return cls(
            today=today,
            overrides=overrides,
            days_by_unit=days_by_unit,
            default_days=settings.REVIEW_ESCALATION_WORKING_DAYS,
        )

    def waited(self, arrived: dt.date) -> int:
        """Working days waited since ``arrived``."""
        return working_days_between(arrived, self.today, self.overrides)

    def due(self, unit_code: str, arrived: dt.date) -> dt.date | None:
        """The review deadline (arrival + the bureau's days); None when it never escalates."""
        days = self.days_by_unit.get(unit_code, self.default_days)
        if days <= 0:
            return None
        return add_working_days(arrived, days, self.overrides)


# Review deadlines lie at most 60 working days ahead (BureauPolicy's limit).
CALENDAR_AHEAD = dt.timedelta(days=120)
