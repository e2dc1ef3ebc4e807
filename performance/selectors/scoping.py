"""Scoped querysets: what a user may see of goals, monitoring reports, self-evaluations and
the import history.

Scope always comes from ``projects.permissions.visible_units``, so a foreign object is simply
absent (a 404 at the edges).
"""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from projects.permissions import visible_units

from ..models import (
    ImportRun,
    Indicator,
    IndicatorEvaluation,
    MonitoringEntry,
    MonitoringReport,
    PerformanceGoal,
    SelfEvaluation,
)


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


def import_runs_for(user) -> QuerySet[ImportRun]:
    """Import history the user may see: his own runs and the runs of units he may see (a
    unit's staff see their unit's runs; the scope of jobs); a superuser sees all."""
    runs = ImportRun.objects.select_related("created_by", "unit", "job")
    if not user.is_authenticated:
        return runs.none()
    if user.is_superuser:
        return runs
    return runs.filter(Q(created_by=user) | Q(unit__in=visible_units(user)))
