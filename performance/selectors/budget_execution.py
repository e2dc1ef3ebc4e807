"""Budget and execution per project or unit, as of a date: the figures 执行率 and the budget
light are computed from (one aggregate query, over ``projects.selectors.projects_with_figures``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from projects.models import Project
from projects.selectors import projects_with_figures

ZERO = Decimal("0")


def figures_for(
    project_ids: Iterable[int], *, as_of: dt.date
) -> dict[int, tuple[Decimal, Decimal]]:
    """(adjusted budget, executed up to ``as_of``) per project: one aggregate query."""
    rows = projects_with_figures(Project.objects.filter(pk__in=list(project_ids)), as_of=as_of)
    return {
        pk: (budget or ZERO, executed or ZERO)
        for pk, budget, executed in rows.values_list("pk", "budget_adjusted", "executed")
    }


def unit_figures_for(
    unit_ids: Iterable[int], *, year: int, as_of: dt.date
) -> dict[int, tuple[Decimal, Decimal]]:
    """A unit's totals over its projects of ``year`` (for the unit-overall self-evaluation)."""
    rows = projects_with_figures(
        Project.objects.filter(unit_id__in=list(unit_ids), year=year), as_of=as_of
    ).values_list("unit_id", "budget_adjusted", "executed")
    totals: dict[int, tuple[Decimal, Decimal]] = {}
    for unit_id, budget, executed in rows:
        old_budget, old_executed = totals.get(unit_id, (ZERO, ZERO))
        totals[unit_id] = (old_budget + (budget or ZERO), old_executed + (executed or ZERO))
    return totals
