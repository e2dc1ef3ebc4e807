"""Each finance bureau's review settings and the working-day calendar, as the workflow, the
notices, the escalation sweep and the to-do list read them: one rule for "which settings apply
to this unit" (its bureau's row, or the defaults) and one query for a span of the calendar."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from projects.models import Unit

from ..models import BureauPolicy, WorkCalendarDay


def bureau_code(unit: Unit) -> str:
    """The code of the finance bureau above ``unit`` (the first code of its path)."""
    return unit.path.strip("/").split("/", 1)[0]


def default_policy(bureau: Unit | None = None) -> BureauPolicy:
    """The settings of a bureau without a row (unsaved): no unit-internal review, escalation
    after ``settings.REVIEW_ESCALATION_WORKING_DAYS``."""
    policy = BureauPolicy(
        unit_review_required=False,
        escalation_working_days=settings.REVIEW_ESCALATION_WORKING_DAYS,
    )
    if bureau is not None:
        policy.bureau = bureau
    return policy


def policies_by_bureau() -> dict[str, BureauPolicy]:
    """Every bureau's stored settings by bureau code (one query; a handful of rows)."""
    return {p.bureau.code: p for p in BureauPolicy.objects.select_related("bureau")}


def policy_for_unit(unit: Unit, policies: dict[str, BureauPolicy] | None = None) -> BureauPolicy:
    """The review settings that apply to ``unit``: its bureau's row, else the defaults.
    ``policies`` (from :func:`policies_by_bureau`) saves the query when asking for many units."""
    code = bureau_code(unit)
    if policies is not None:
        return policies.get(code) or default_policy()
    return BureauPolicy.objects.filter(bureau__code=code).first() or default_policy()


def calendar_overrides(start: dt.date, end: dt.date) -> dict[dt.date, bool]:
    """The listed dates from ``start`` to ``end`` (inclusive) → whether people work that day."""
    rows = WorkCalendarDay.objects.filter(date__gte=start, date__lte=end)
    return dict(rows.values_list("date", "is_workday"))
