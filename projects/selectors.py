"""Reads of units and projects with their budget figures in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from .models import ExecutionRecord, Project, ProjectBudget, Unit
from .permissions import visible_units

ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=20, decimal_places=6))


def subtree(code: str, prefix: str = "") -> Q:
    """The units at or below the unit ``code`` (through ``prefix``, e.g. ``"unit__"``): its
    path as a prefix, which PostgreSQL finds by the path's pattern index (0.3 ms), where
    "the path contains ``/code/``" — the same units, as codes are unique — scans every unit
    (3.7 ms for 10,500). A code no unit has matches nothing. One small query for the path."""
    path = Unit.objects.filter(code=code).values_list("path", flat=True).first()
    if path is None:
        return Q(pk__in=[])
    return Q(**{f"{prefix}path__startswith": path})


def _sum_subquery(model, field: str, **filters) -> Coalesce:
    rows = (
        model.objects.filter(project=OuterRef("pk"), **filters)
        .order_by()
        .values("project")
        .annotate(total=Sum(field))
        .values("total")
    )
    return Coalesce(
        Subquery(rows, output_field=DecimalField(max_digits=20, decimal_places=6)), ZERO
    )


def projects_with_figures(
    queryset: QuerySet[Project] | None = None, *, as_of: dt.date | None = None
) -> QuerySet[Project]:
    """Projects annotated with ``budget_initial``, ``budget_adjusted`` and ``executed``."""
    queryset = Project.objects.all() if queryset is None else queryset
    execution_filter = {"date__lte": as_of} if as_of else {}
    return queryset.select_related("unit", "unit__parent").annotate(
        budget_initial=_sum_subquery(ProjectBudget, "amount"),
        budget_adjusted=_sum_subquery(ProjectBudget, "adjusted_amount"),
        executed=_sum_subquery(ExecutionRecord, "amount", **execution_filter),
    )


def projects_for(user) -> QuerySet[Project]:
    """The projects a user may see, with figures."""
    return projects_with_figures(Project.objects.filter(unit__in=visible_units(user)))


def executed_to_date(project: Project, as_of: dt.date | None = None) -> Decimal:
    rows = ExecutionRecord.objects.filter(project=project)
    if as_of:
        rows = rows.filter(date__lte=as_of)
    return rows.aggregate(total=Sum("amount"))["total"] or Decimal("0")


def adjusted_budget(project: Project) -> Decimal:
    return ProjectBudget.objects.filter(project=project).aggregate(t=Sum("adjusted_amount"))[
        "t"
    ] or Decimal("0")


def units_for(user) -> QuerySet[Unit]:
    return visible_units(user).select_related("parent")
