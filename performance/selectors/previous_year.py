"""Last year's actual value of an indicator, for relative targets (不低于上年): the match is the
same unit, the same project code (or the unit-overall evaluation) and the same 三级 indicator
name, one year earlier.

``previous_year_value`` reads one indicator's (goal setting, imports);
``previous_year_values`` many at once (computing reports and evaluations).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from .. import targets
from ..models import (
    Indicator,
    IndicatorEvaluation,
)


def previous_year_values(indicators: Iterable[Indicator]) -> dict[int, Decimal]:
    """Last year's actual value for each unresolved relative indicator (不低于上年): one query.

    Same match as at goal-setting: the same unit, the same project code (or the unit-overall
    evaluation) and the same 三级 indicator name, one year earlier.
    """
    wanted = [
        i
        for i in indicators
        if i.kind == targets.RELATIVE and i.target_value is None and i.operator
    ]
    if not wanted:
        return {}
    years = {i.goal.year - 1 for i in wanted}
    units = {i.goal.unit_id for i in wanted}
    names = {i.level3 for i in wanted}
    rows = (
        IndicatorEvaluation.objects.filter(
            evaluation__year__in=years,
            evaluation__unit_id__in=units,
            indicator__level3__in=names,
            actual_value__isnull=False,
        )
        .order_by("pk")
        .values_list(
            "evaluation__year",
            "evaluation__unit_id",
            "evaluation__project__code",
            "indicator__level3",
            "actual_value",
        )
    )
    found = {(year, unit, code, name): value for year, unit, code, name, value in rows}
    result = {}
    for indicator in wanted:
        goal = indicator.goal
        code = goal.project.code if goal.project_id else None
        value = found.get((goal.year - 1, goal.unit_id, code, indicator.level3))
        if value is not None:
            result[indicator.pk] = value
    return result


def previous_year_value(indicator: Indicator) -> Decimal | None:
    """The actual value of the same indicator last year, for 不低于上年-style targets."""
    goal = indicator.goal
    row = (
        IndicatorEvaluation.objects.filter(
            evaluation__year=goal.year - 1,
            evaluation__unit=goal.unit,
            evaluation__project__code=goal.project.code if goal.project_id else None,
            indicator__level3=indicator.level3,
            actual_value__isnull=False,
        )
        .order_by("-evaluation__year")
        .values_list("actual_value", flat=True)
        .first()
    )
    return row
