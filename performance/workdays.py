"""Working days: Monday to Friday, except the dates the 工作日历 lists (holidays on weekdays,
调休 weekend days people work). Pure: the caller passes the calendar's rows for the span it asks
about (``selectors.policies.calendar_overrides``); an empty mapping means plain Monday–Friday.

"Waited N working days" counts the working days ``d`` with ``arrival < d <= today`` (local
dates), so a document that arrived today has waited 0 and one that arrived on Friday has waited
1 on Monday.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

Overrides = Mapping[dt.date, bool]
NO_OVERRIDES: Overrides = {}
ONE_DAY = dt.timedelta(days=1)


def is_workday(day: dt.date, overrides: Overrides = NO_OVERRIDES) -> bool:
    """Whether people work on ``day``: the calendar's word if it lists the date, else Mon–Fri."""
    listed = overrides.get(day)
    return day.weekday() < 5 if listed is None else listed


def _weekdays_between(start: dt.date, end: dt.date) -> int:
    """Monday–Friday dates ``d`` with ``start < d <= end``."""
    days = (end - start).days
    weeks, rest = divmod(days, 7)
    count = weeks * 5
    first = start + dt.timedelta(days=weeks * 7)
    for offset in range(1, rest + 1):
        if (first + dt.timedelta(days=offset)).weekday() < 5:
            count += 1
    return count


def working_days_between(start: dt.date, end: dt.date, overrides: Overrides = NO_OVERRIDES) -> int:
    """Working days ``d`` with ``start < d <= end`` (0 when ``end <= start``)."""
    if end <= start:
        return 0
    count = _weekdays_between(start, end)
    for day, works in overrides.items():
        if start < day <= end and works != (day.weekday() < 5):
            count += 1 if works else -1
    return count


def add_working_days(start: dt.date, n: int, overrides: Overrides = NO_OVERRIDES) -> dt.date:
    """The ``n``-th working day after ``start`` (``start`` itself for ``n <= 0``)."""
    day = start
    while n > 0:
        day += ONE_DAY
        if is_workday(day, overrides):
            n -= 1
    return day


def subtract_working_days(today: dt.date, n: int, overrides: Overrides = NO_OVERRIDES) -> dt.date:
    """The latest date ``a`` with ``working_days_between(a, today) >= n``: a document that
    reached its step on ``a`` or before has waited at least ``n`` working days by ``today``."""
    day = today
    while n > 0:
        if is_workday(day, overrides):
            n -= 1
        day -= ONE_DAY
    return day
