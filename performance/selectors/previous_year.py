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
   entry code in front.
3. **Several rows at the same rank** (the name twice under one 二级): the first in the table's
   order (排序, then id), as the table is shown and printed.
4. **The value** is that row's actual value. A row without one leaves the target unresolved:
   a namesake under another 二级 is a different indicator, not a stand-in.

``previous_year_values`` resolves many saved indicators at once (by pk), ``previous_year_value``
one indicator, saved or not: both are :func:`_resolve`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from .. import targets
from ..models import Indicator, IndicatorEvaluation


class LastYearRow(NamedTuple):
    """One row of last year's evaluation table, as the match keys read it."""

    level1: str
    level2: str
    level3: str
    actual_value: Decimal | None


def by_position(indicator: Any) -> tuple:
    """The same 三级 under the same 一级 and 二级."""
    return ("position", indicator.level1, indicator.level2, indicator.level3)


def by_name(indicator: Any) -> tuple:
    """The same 三级 name anywhere in the table."""
    return ("name", indicator.level3)


# Tried in order: the first key with a row decides. Each reads an indicator or a ``LastYearRow``.
MATCH_KEYS: tuple[Callable[[Any], tuple], ...] = (by_position, by_name)


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


def _resolve(indicators: Sequence[Any]) -> list[Decimal | None]:
    """Last year's value of each indicator (the rule above), in one query."""
    if not indicators:
        return []
    subjects = [_subject(i) for i in indicators]
    rows = (
        IndicatorEvaluation.objects.filter(
            evaluation__year__in={year for year, _, _ in subjects},
            evaluation__unit_id__in={unit for _, unit, _ in subjects},
            indicator__level3__in={i.level3 for i in indicators},
        )
        .order_by("indicator__order", "indicator_id")
        .values_list(
            "evaluation__year",
            "evaluation__unit_id",
            "evaluation__project__code",
            "indicator__level1",
            "indicator__level2",
            "indicator__level3",
            "actual_value",
        )
    )
    found: dict[tuple, Decimal | None] = {}
    for year, unit, code, *columns in rows:
        row = LastYearRow(*columns)
        for key in MATCH_KEYS:
            found.setdefault(((year, unit, code), key(row)), row.actual_value)
    values: list[Decimal | None] = []
    for indicator, subject in zip(indicators, subjects, strict=True):
        keys = (key(indicator) for key in MATCH_KEYS)
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
