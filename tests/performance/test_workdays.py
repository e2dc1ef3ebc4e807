"""Working days: Monday–Friday, except what the 工作日历 lists (pure functions)."""

from __future__ import annotations

import datetime as dt

from performance.workdays import (
    add_working_days,
    is_workday,
    subtract_working_days,
    working_days_between,
)

# 2026 National Day as the State Council would list it: Oct 1–8 off, Sun Sep 27 and Sat Oct 10 on.
NATIONAL_DAY = {
    **{dt.date(2026, 10, d): False for d in range(1, 9)},
    dt.date(2026, 9, 27): True,
    dt.date(2026, 10, 10): True,
}


def test_working_days_skip_weekends_and_listed_holidays_and_count_makeup_days():
    friday = dt.date(2026, 9, 25)
    assert is_workday(dt.date(2026, 9, 27), NATIONAL_DAY)  # a Sunday, worked (调休)
    assert not is_workday(dt.date(2026, 10, 1), NATIONAL_DAY)  # a Thursday, a holiday
    assert not is_workday(dt.date(2026, 9, 26), NATIONAL_DAY)  # a plain Saturday
    # Sep 27 (调休), 28, 29, 30; Oct 9 (Fri), 10 (调休 Saturday)
    assert working_days_between(friday, dt.date(2026, 10, 10), NATIONAL_DAY) == 6
    assert working_days_between(friday, dt.date(2026, 10, 10)) == 10  # no calendar: Mon–Fri
    assert add_working_days(friday, 5, NATIONAL_DAY) == dt.date(2026, 10, 9)
    # the latest arrival that has waited 5 working days by Oct 9: Saturday Sep 26 (not worked)
    assert subtract_working_days(dt.date(2026, 10, 9), 5, NATIONAL_DAY) == dt.date(2026, 9, 26)
    assert working_days_between(friday, friday, NATIONAL_DAY) == 0


def test_the_counts_agree_with_a_day_by_day_walk():
    start = dt.date(2026, 9, 1)
    for offset in range(60):
        for span in range(0, 40, 3):
            a = start + dt.timedelta(days=offset)
            b = a + dt.timedelta(days=span)
            walked = sum(
                is_workday(a + dt.timedelta(days=k), NATIONAL_DAY) for k in range(1, span + 1)
            )
            assert working_days_between(a, b, NATIONAL_DAY) == walked, (a, b)
