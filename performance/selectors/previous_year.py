"""Last year's actual value of an indicator, for relative targets (不低于上年): one rule and one
query, whether the target is resolved when the goal is set (indicator save, imports) or when it
is scored (monitoring reports, self-evaluations, the yearly recompute).

The rule, in order:

1. **Last year's evaluation**: the self-evaluation of the same unit, one year earlier, of the
   project with the same code (a project keeps its code from year to year), or the unit-overall
   evaluation for a unit-overall goal. There is at most one: one evaluation per project and
   year, one per unit and year, and a code is unique within a unit and year. Its status does
   not rank: a draft's actual counts as soon as it is entered (goals are set before last year
   is reviewed), and a correction reaches every target still unresolved when it is next
   computed. A target once resolved is stored on the indicator and stays as approved.
2. **The same indicator in it**: among its rows with the same 三级 name, the one under the same
   一级 and 二级 (二级 as normalised on save); when no row is, any row of that name. The match
   keys are tried in the order of ``MATCH_KEYS``; the indicator library (issue 16) puts its
   entry code (``library_code``, the same across versions) in front.
3. **Several rows at the same rank** (the name twice under one 二级): the first in the table's
   order (排序, then id), as the table is shown and printed.
4. **The value** is that row's actual value. A row without one leaves the target unresolved:
   a namesake under another 二级 is a different indicator, not a stand-in.

``previous_year_values`` resolves many saved indicators at once (by pk), ``previous_year_value``
one indicator, saved or not: both are :func:`_resolve`.

**Last year beside this year** (issue 16, :func:`last_year_for`) shows, per indicator, last
year's target and actual of the same indicator by the same match keys, read from last year's
*approved* goal (the target as approved) and its evaluation; where last year is not evaluated
yet, the latest monitoring value with its month. Scoring keeps reading evaluations only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from django.db.models import Q

from projects.choices import Continuity

from .. import targets
from ..choices import GoalScope, Status
from ..models import Indicator, IndicatorEvaluation, MonitoringEntry


class LastYearRow(NamedTuple):
    """One row of last year's evaluation table, as the match keys read it."""

    level1: str
    level2: str
    level3: str
    library_code: str
    actual_value: Decimal | None


def by_library(indicator: Any) -> tuple | None:
    """The same indicator library code (any version of the entry); none for a typed row."""
    code = getattr(indicator, "library_code", "")
    return ("library", code) if code else None


def by_position(indicator: Any) -> tuple:
    """The same 三级 under the same 一级 and 二级."""
    return ("position", indicator.level1, indicator.level2, indicator.level3)


def by_name(indicator: Any) -> tuple:
    """The same 三级 name anywhere in the table."""
    return ("name", indicator.level3)


# Tried in order: the first key with a row decides. Each reads an indicator or a ``LastYearRow``.
MATCH_KEYS: tuple[Callable[[Any], tuple | None], ...] = (by_library, by_position, by_name)


def is_unresolved_relative(indicator: Any) -> bool:
    """A 不低于上年-style target whose value is still to come from last year."""
    return (
        indicator.kind == targets.RELATIVE
        and indicator.target_value is None
        and bool(indicator.operator)
    )


def _subject(indicator: Any) -> tuple[int, int, str | None]:
    """(last year, unit, project code or None for the unit as a whole) of an indicator's goal."""
    goal = indicator.goal
    code = goal.project.code if goal.project_id else None
    return goal.year - 1, goal.unit_id, code


def _keys(row: Any) -> list[tuple]:
    """The match keys of an indicator or a last-year row, in ``MATCH_KEYS`` order."""
    return [k for k in (key(row) for key in MATCH_KEYS) if k is not None]


def _resolve(indicators: Sequence[Any]) -> list[Decimal | None]:
    """Last year's value of each indicator (the rule above), in one query."""
    if not indicators:
        return []
    subjects = [_subject(i) for i in indicators]
    rows = (
        IndicatorEvaluation.objects.filter(
            evaluation__year__in={year for year, _, _ in subjects},
            evaluation__unit_id__in={unit for _, unit, _ in subjects},
        )
        .filter(
            Q(indicator__level3__in={i.level3 for i in indicators})
            | Q(
                indicator__library_code__in={getattr(i, "library_code", "") for i in indicators}
                - {""}
            )
        )
        .order_by("indicator__order", "indicator_id")
        .values_list(
            "evaluation__year",
            "evaluation__unit_id",
            "evaluation__project__code",
            "indicator__level1",
            "indicator__level2",
            "indicator__level3",
            "indicator__library_code",
            "actual_value",
        )
    )
    found: dict[tuple, Decimal | None] = {}
    for year, unit, code, *columns in rows:
        row = LastYearRow(*columns)
        for key in _keys(row):
            found.setdefault(((year, unit, code), key), row.actual_value)
    values: list[Decimal | None] = []
    for indicator, subject in zip(indicators, subjects, strict=True):
        keys = _keys(indicator)
        match = next(((subject, k) for k in keys if (subject, k) in found), None)
        values.append(found[match] if match else None)
    return values


def previous_year_values(indicators: Iterable[Indicator]) -> dict[int, Decimal]:
    """Last year's value of each unresolved relative indicator among ``indicators`` (saved
    ones, with their goal and its project, or ``light_rows.IndicatorRow``s): ``{pk: value}``,
    without the ones that have none. One query."""
    wanted = [i for i in indicators if is_unresolved_relative(i)]
    return {
        indicator.pk: value
        for indicator, value in zip(wanted, _resolve(wanted), strict=True)
        if value is not None
    }


def previous_year_value(indicator: Indicator) -> Decimal | None:
    """Last year's value of one unresolved relative indicator, saved or not (goal-setting
    parses before it saves): the same rule and query as :func:`previous_year_values`."""
    if not is_unresolved_relative(indicator):
        return None
    return _resolve([indicator])[0]


class LastYear(NamedTuple):
    """Last year's target and actual of the indicator matched to one of this year's."""

    year: int
    goal_id: int
    indicator_id: int
    matched_by: str  # "library" (same library code) or "name" (一级/二级/三级, or 三级 alone)
    target_raw: str
    target_value: Decimal | None
    target_unit: str
    actual_raw: str
    actual_value: Decimal | None
    actual_source: str  # "evaluation" (自评), "monitoring" (监控) or "" (none yet)
    actual_month: int | None  # the monitoring round's data month

    @property
    def actual_display(self) -> str:
        """``95%（自评）``, ``1-7月 88%（监控）`` or ``上年尚无实际值``."""
        if self.actual_source == "evaluation":
            return f"{self.actual_raw}（自评）"
        if self.actual_source == "monitoring":
            return f"1-{self.actual_month}月 {self.actual_raw}（监控）"
        return "上年尚无实际值"

    @property
    def display(self) -> str:
        """The second line the admin shows under an indicator: ``上年：≥90% / 95%（自评）``."""
        return f"上年：{self.target_raw or '—'} / {self.actual_display}"


def has_last_year(goal: Any) -> bool:
    """A goal that can have a last year: a unit-overall goal or a 延续 project's (a 新增
    project has none by definition). Reads ``goal.project`` (select it with the goal)."""
    if goal.scope == GoalScope.UNIT:
        return True
    return goal.project_id is not None and goal.project.continuity == Continuity.CONTINUING


def last_year_for(
    indicators: Sequence[Any], *, with_monitoring: bool = True
) -> dict[int, LastYear]:
    """Last year's target and actual of each indicator (saved, with its goal and the goal's
    project selected): ``{pk: LastYear}``, without the ones that have no match.

    Three queries whatever the number of indicators: last year's approved goals' indicators,
    their evaluation rows, their latest monitoring values (``with_monitoring``)."""
    wanted = [i for i in indicators if has_last_year(i.goal)]
    if not wanted:
        return {}
    subjects = {i.pk: _subject(i) for i in wanted}
    codes = {code for _, _, code in subjects.values() if code is not None}
    rows = (
        Indicator.objects.filter(
            goal__status=Status.APPROVED,
            goal__year__in={year for year, _, _ in subjects.values()},
            goal__unit_id__in={unit for _, unit, _ in subjects.values()},
        )
        .filter(Q(goal__scope=GoalScope.UNIT) | Q(goal__project__code__in=codes))
        .order_by("order", "id")
        .values_list(
            "goal__year",
            "goal__unit_id",
            "goal__project__code",
            "goal_id",
            "pk",
            "level1",
            "level2",
            "level3",
            "library_code",
            "raw_value",
            "target_value",
            "target_unit",
        )
    )
    found: dict[tuple, tuple] = {}
    for year, unit, code, goal_id, pk, level1, level2, level3, library_code, *target in rows:
        row = LastYearRow(level1, level2, level3, library_code, None)
        for key in _keys(row):
            found.setdefault(((year, unit, code), key), (year, goal_id, pk, key[0], *target))
    matches: dict[int, tuple] = {}
    for indicator in wanted:
        subject = subjects[indicator.pk]
        match = next((found[(subject, k)] for k in _keys(indicator) if (subject, k) in found), None)
        if match is not None:
            matches[indicator.pk] = match
    previous_ids = {match[2] for match in matches.values()}
    actuals = _actuals(previous_ids, with_monitoring=with_monitoring)
    result = {}
    for pk, (year, goal_id, previous_id, key, raw, value, unit) in matches.items():
        actual = actuals.get(previous_id, ("", None, "", None))
        result[pk] = LastYear(
            year,
            goal_id,
            previous_id,
            "library" if key == "library" else "name",
            raw,
            value,
            unit,
            *actual,
        )
    return result


def _actuals(indicator_ids: set[int], *, with_monitoring: bool) -> dict[int, tuple]:
    """``{last year's indicator pk: (actual_raw, actual_value, source, month)}``: the entered
    evaluation actual, else (``with_monitoring``) the latest monitoring value. Two queries."""
    if not indicator_ids:
        return {}
    actuals: dict[int, tuple] = {}
    evaluated = (
        IndicatorEvaluation.objects.filter(indicator_id__in=indicator_ids)
        .exclude(actual_raw="")
        .values_list("indicator_id", "actual_raw", "actual_value")
    )
    for pk, raw, value in evaluated:
        actuals[pk] = (raw, value, "evaluation", None)
    missing = indicator_ids - actuals.keys()
    if with_monitoring and missing:
        monitored = (
            MonitoringEntry.objects.filter(indicator_id__in=missing)
            .exclude(value_raw="")
            .order_by("indicator_id", "-report__round__data_month", "-id")
            .values_list("indicator_id", "value_raw", "value", "report__round__data_month")
        )
        for pk, raw, value, month in monitored:
            actuals.setdefault(pk, (raw, value, "monitoring", month))
    return actuals
