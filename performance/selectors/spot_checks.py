"""Reads of 财政复核 (spot checks): who sees which, the draw's population with its risk flags,
and the distribution of differences per department. Fixed numbers of queries."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from projects.models import Unit
from projects.permissions import may_spot_check, visible_units

from ..choices import GoalScope, Grade, RiskRule, Status
from ..models import IndicatorEvaluation, SelfEvaluation, SpotCheck


def spot_checks_for(user) -> QuerySet[SpotCheck]:
    """The spot checks ``user`` may see: a finance bureau's 财政审核人 every one in scope; the
    units and departments only published (approved) ones — a draft is not there for them."""
    rows = SpotCheck.objects.filter(unit__in=visible_units(user))
    if not may_spot_check(user):
        rows = rows.filter(status=Status.APPROVED)
    return rows.select_related("unit", "project", "draw")


def population(
    *,
    year: int,
    unit: Unit | None = None,
    scopes: Iterable[str] = (GoalScope.PROJECT, GoalScope.UNIT),
) -> QuerySet[SelfEvaluation]:
    """Approved self-evaluations of ``year`` (below ``unit`` when given): what a draw draws from.

    It includes evaluations already spot-checked, so a seed's ranking never depends on earlier
    draws."""
    rows = SelfEvaluation.objects.filter(year=year, status=Status.APPROVED, scope__in=list(scopes))
    if unit is not None:
        rows = rows.filter(unit__path__startswith=unit.path)
    return rows


def risk_candidates(
    *, year: int, unit: Unit | None, scopes: Iterable[str], params: dict[str, dict]
) -> QuerySet[SelfEvaluation]:
    """:func:`population` annotated with one boolean per risk rule in ``params`` (and the
    values the reasons quote): one query, set-based."""
    rows = population(year=year, unit=unit, scopes=scopes)
    annotations = {}
    high = params.get(RiskRule.HIGH_SCORE_LOW_EXECUTION)
    if high is not None:
        annotations["r_" + RiskRule.HIGH_SCORE_LOW_EXECUTION] = ExpressionWrapper(
            Q(total_score__gte=Decimal(str(high["min_total"])))
            & Q(execution_rate__lt=Decimal(str(high["max_execution_rate"]))),
            output_field=BooleanField(),
        )
    many = params.get(RiskRule.MANY_OVERRIDES)
    if many is not None:
        overrides = (
            IndicatorEvaluation.objects.filter(
                evaluation=OuterRef("pk"), override_score__isnull=False
            )
            .order_by()
            .values("evaluation")
            .annotate(n=Count("pk"))
            .values("n")
        )
        rows = rows.annotate(
            overrides=Coalesce(Subquery(overrides, output_field=IntegerField()), Value(0))
        )
        annotations["r_" + RiskRule.MANY_OVERRIDES] = ExpressionWrapper(
            Q(overrides__gte=int(many["min_overrides"])), output_field=BooleanField()
        )
    if RiskRule.DECLARED_DEVIATION in params:
        annotations["r_" + RiskRule.DECLARED_DEVIATION] = ExpressionWrapper(
            Q(has_deviation=True), output_field=BooleanField()
        )
    if RiskRule.POOR_LAST_YEAR in params:
        last_year = SelfEvaluation.objects.filter(
            unit=OuterRef("unit"),
            year=year - 1,
            status=Status.APPROVED,
            grade=Grade.POOR,
            scope=OuterRef("scope"),
        )
        same_project = last_year.filter(project__code=OuterRef("project__code"))
        same_unit = last_year.filter(project__isnull=True)
        annotations["r_" + RiskRule.POOR_LAST_YEAR] = ExpressionWrapper(
            Q(scope=GoalScope.PROJECT, project__isnull=False) & Q(Exists(same_project))
            | Q(scope=GoalScope.UNIT) & Q(Exists(same_unit)),
            output_field=BooleanField(),
        )
    return rows.annotate(**annotations)


BANDS = ("below_zero", "zero_to_five", "five_to_threshold", "threshold_or_more")
BAND_LABELS = {
    "below_zero": "<0",
    "zero_to_five": "0–<5",
    "five_to_threshold": "5–<阈值",
    "threshold_or_more": "≥阈值",
}


def _band(difference: Decimal, threshold: Decimal) -> str:
    if difference < 0:
        return "below_zero"
    if difference < 5:
        return "zero_to_five"
    if difference < threshold:
        return "five_to_threshold"
    return "threshold_or_more"


def review_difference_distribution(
    *, user, year: int | None, threshold: Decimal, unit: Unit | None = None
) -> list[dict]:
    """Self minus 复核 per department: bands, count, mean and max (what ``user`` may see:
    every spot check for its finance reviewers, published ones for everyone else; below
    ``unit`` when given). A fixed number of queries."""
    rows = spot_checks_for(user).filter(difference__isnull=False)
    if year is not None:
        rows = rows.filter(year=year)
    if unit is not None:
        rows = rows.filter(unit__path__startswith=unit.path)
    groups: dict[str, list[Decimal]] = {}
    for path, difference in rows.values_list("unit__path", "difference"):
        codes = [code for code in path.split("/") if code]
        department = codes[1] if len(codes) > 1 else codes[0]
        groups.setdefault(department, []).append(difference)
    units = {unit.code: unit for unit in Unit.objects.filter(code__in=list(groups))}
    result = []
    for code in sorted(groups):
        values = groups[code]
        bands = dict.fromkeys(BANDS, 0)
        for value in values:
            bands[_band(value, threshold)] += 1
        result.append(
            {
                "department": units[code],
                "count": len(values),
                "mean": (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.01")),
                "max": max(values),
                "bands": bands,
            }
        )
    return result
