"""Reads of the performance app: scoped querysets and published summaries, in fixed queries.

Scope always comes from ``projects.permissions.visible_units``, so a foreign object is simply
absent (a 404 at the edges). Other parts may add functions at the end of this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, QuerySet

from projects.models import Project, Unit
from projects.permissions import visible_units

from . import scoring
from .choices import GoalScope, Grade, Status
from .models import (
    Indicator,
    IndicatorEvaluation,
    MonitoringEntry,
    MonitoringReport,
    PerformanceGoal,
    SelfEvaluation,
)

ZERO = Decimal("0")


# --- scoped querysets ----------------------------------------------------------------------


def goals_for(user) -> QuerySet[PerformanceGoal]:
    """Goals of the user's visible units with project, unit, indicators and tasks (3 queries)."""
    return (
        PerformanceGoal.objects.filter(unit__in=visible_units(user))
        .select_related("unit", "unit__parent", "project", "previous", "created_by")
        .prefetch_related(
            Prefetch("indicators", queryset=Indicator.objects.order_by("order", "id")),
            "tasks",
        )
    )


def reports_for(user) -> QuerySet[MonitoringReport]:
    """Monitoring reports of the user's visible units, with entries and their indicators."""
    return (
        MonitoringReport.objects.filter(unit__in=visible_units(user))
        .select_related("round", "unit", "unit__parent", "project", "goal")
        .prefetch_related(
            Prefetch(
                "entries",
                queryset=MonitoringEntry.objects.select_related("indicator").order_by(
                    "indicator__order", "indicator_id"
                ),
            )
        )
    )


def evaluations_for(user) -> QuerySet[SelfEvaluation]:
    """Self-evaluations of the user's visible units, with scheme and indicator scores."""
    return (
        SelfEvaluation.objects.filter(unit__in=visible_units(user))
        .select_related("unit", "unit__parent", "project", "goal", "scheme")
        .prefetch_related(
            Prefetch(
                "scores",
                queryset=IndicatorEvaluation.objects.select_related("indicator").order_by(
                    "indicator__order", "indicator_id"
                ),
            )
        )
    )


# --- the unit summary of the final accounts ------------------------------------------------


def _evaluation_row(evaluation: dict[str, Any]) -> dict[str, Any]:
    grade = evaluation["grade"]
    return {
        "id": evaluation["pk"],
        "project_id": evaluation["project_id"],
        "project_code": evaluation["project__code"],
        "project_name": evaluation["project__name"],
        "budget": evaluation["budget"],
        "executed": evaluation["executed"],
        "execution_rate": evaluation["execution_rate"],
        "execution_score": evaluation["execution_score"],
        "category_rates": {
            key: None if value is None else Decimal(value)
            for key, value in (evaluation["category_rates"] or {}).items()
        },
        "total_score": evaluation["total_score"],
        "grade": grade,
        "grade_label": Grade(grade).label if grade else "",
        "has_deviation": evaluation["has_deviation"],
        "status": evaluation["status"],
        "status_label": Status(evaluation["status"]).label,
    }


def evaluation_summaries(
    *, units: Iterable[Unit], year: int, published_only: bool = False
) -> list[dict[str, Any]]:
    """:func:`unit_evaluation_summary` for many units at once, in two queries."""
    units = list(units)
    unit_ids = [u.pk for u in units]
    to_evaluate = dict(
        Project.objects.filter(
            unit_id__in=unit_ids,
            year=year,
            goals__year=year,
            goals__scope=GoalScope.PROJECT,
            goals__status=Status.APPROVED,
        )
        .order_by()
        .values_list("unit_id")
        .annotate(n=Count("pk", distinct=True))
    )
    evaluations = SelfEvaluation.objects.filter(unit_id__in=unit_ids, year=year)
    if published_only:
        evaluations = evaluations.filter(status=Status.APPROVED)
    rows = evaluations.order_by("unit_id", "scope", "project__code").values(
        "pk",
        "unit_id",
        "scope",
        "project_id",
        "project__code",
        "project__name",
        "budget",
        "executed",
        "execution_rate",
        "execution_score",
        "category_rates",
        "total_score",
        "grade",
        "has_deviation",
        "status",
    )
    projects: dict[int, list[dict]] = {pk: [] for pk in unit_ids}
    overall: dict[int, dict] = {}
    for row in rows:
        if row["scope"] == GoalScope.UNIT:
            overall[row["unit_id"]] = _evaluation_row(row)
        else:
            projects[row["unit_id"]].append(_evaluation_row(row))

    summaries = []
    for unit in units:
        evaluated = [r for r in projects[unit.pk] if r["grade"]]
        counts = scoring.unit_summary(r["grade"] for r in evaluated)
        required = to_evaluate.get(unit.pk, 0)
        summaries.append(
            {
                "unit": unit,
                "year": year,
                "to_evaluate": required,
                **counts,
                "by_grade": {Grade(g).label: counts[g] for g in Grade.values},
                "with_deviation": sum(1 for r in evaluated if r["has_deviation"]),
                "budget": sum((r["budget"] for r in projects[unit.pk]), ZERO),
                "executed": sum((r["executed"] for r in projects[unit.pk]), ZERO),
                "text": scoring.summary_text(counts, required=required),
                "projects": projects[unit.pk],
                "unit_overall": overall.get(unit.pk),
            }
        )
    return summaries


def unit_evaluation_summary(*, unit: Unit, year: int, published_only: bool = False) -> dict:
    """The self-evaluation summary of a unit as published with the final accounts (决算).

    ``to_evaluate``: projects of the year with an approved goal; ``evaluated`` and the grade
    counts (``excellent``/``good``/``fair``/``poor``, also ``by_grade`` with 优/良/中/差 keys):
    project evaluations that have been scored (only approved ones with ``published_only``);
    ``with_deviation``; ``text``: the published sentence; ``projects``: one row per project
    (budget, executed, rate, category 得分率, total, grade, 是否有偏差); ``unit_overall``: the
    unit-overall self-evaluation's row or None. Two queries.
    """
    return evaluation_summaries(units=[unit], year=year, published_only=published_only)[0]
