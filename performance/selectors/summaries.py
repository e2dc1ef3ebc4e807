"""Published summaries in fixed queries: self-evaluation summaries per unit, and performance
summaries per unit / department / year for the API and the dashboard, with 执行率 rounded by
each unit's scheme."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from projects.models import ExecutionRecord, Project, ProjectBudget, Unit

from .. import scoring
from ..choices import GoalScope, Grade, Light, Status
from ..models import (
    MonitoringReport,
    PerformanceGoal,
    SelfEvaluation,
)
from .schemes import common_path, scheme_lookup

ZERO = Decimal("0")


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


# --- API reads: summaries per unit / department / year ---------------------------------------


def execution_rate_lookup() -> Callable[[str, int, Decimal, Decimal], Decimal]:
    """``rate(path, year, budget, executed)``: 执行率 rounded by the scheme of the unit at
    ``path`` in ``year`` (``selectors.schemes``; refused with ``no_scheme`` when none applies)."""
    scheme_of = scheme_lookup()
    engines: dict[int, scoring.Scheme] = {}

    def rate(path: str, year: int, budget: Decimal, executed: Decimal) -> Decimal:
        scheme = scheme_of(path, year)
        if scheme.pk not in engines:
            engines[scheme.pk] = scheme.to_engine()
        return scoring.execution_rate(
            budget=budget or Decimal("0"),
            executed=executed or Decimal("0"),
            scheme=engines[scheme.pk],
        )

    return rate


SUMMARY_GROUPS = ("unit", "department", "year", "total")


def _empty_summary() -> dict[str, Any]:
    return {
        "goals": {"total": 0, "by_status": dict.fromkeys(Status.values, 0)},
        "projects": 0,
        "budget": Decimal("0"),
        "executed": Decimal("0"),
        "evaluations": {
            "total": 0,
            "scored": 0,
            "score_sum": Decimal("0"),
            "with_deviation": 0,
            "by_grade": dict.fromkeys(Grade.values, 0),
        },
        "monitoring": {"reports": 0, "by_light": {**dict.fromkeys(Light.values, 0), "none": 0}},
    }


def performance_summary(
    *, units: QuerySet[Unit], year: int | None = None, group_by: str = "unit"
) -> list[dict[str, Any]]:
    """Counts by status, budget, executed, 执行率, average score, grades and lights.

    ``units`` is already scoped by the caller (``visible_units``); rows are grouped per unit,
    per department (主管部门 and everything below it), per year, or one ``total`` row — each
    also per year unless ``year`` is given. Goals of both scopes are counted; scores, grades
    and deviations are those of project self-evaluations; lights are the reports' overall
    lights. A fixed number of queries (about ten) whatever the number of units.
    """
    if group_by not in SUMMARY_GROUPS:
        raise ValueError(f"unknown group_by {group_by!r}")
    unit_rows = {row["id"]: row for row in units.values("id", "code", "name", "kind", "path")}
    # The ids just read, rather than the units query again inside each aggregate (a scope
    # like "department 027" is a LIKE over every unit's path, once per query); a province's
    # worth of ids stays a subquery.
    unit_ids = list(unit_rows) if len(unit_rows) <= 2000 else units.values("id")
    by_year = {"year": year} if year else {}

    def key_of(unit_id: int, row_year: int) -> tuple:
        unit = unit_rows[unit_id]
        year_part = () if year else (row_year,)
        if group_by == "unit":
            return (unit["code"], *year_part)
        if group_by == "department":
            codes = [c for c in unit["path"].split("/") if c]
            return (codes[1] if len(codes) > 1 else "", *year_part)
        if group_by == "year":
            return (row_year,)
        return ()

    groups: dict[tuple, dict[str, Any]] = {}

    def group(unit_id: int, row_year: int) -> dict[str, Any]:
        key = key_of(unit_id, row_year)
        if key not in groups:
            groups[key] = {"_unit": unit_rows[unit_id], "_year": row_year, **_empty_summary()}
        elif row_year > groups[key]["_year"]:
            groups[key]["_year"] = row_year  # a row over several years: its latest
        return groups[key]

    goal_rows = (
        PerformanceGoal.objects.filter(unit__in=unit_ids, **by_year)
        .values("unit_id", "year", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in goal_rows:
        goals = group(row["unit_id"], row["year"])["goals"]
        goals["total"] += row["n"]
        goals["by_status"][row["status"]] = goals["by_status"].get(row["status"], 0) + row["n"]
    project_rows = (
        Project.objects.filter(unit__in=unit_ids, **by_year)
        .values("unit_id", "year")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in project_rows:
        group(row["unit_id"], row["year"])["projects"] += row["n"]
    project_year = {"project__year": year} if year else {}
    for model, field, target in (
        (ProjectBudget, "adjusted_amount", "budget"),
        (ExecutionRecord, "amount", "executed"),
    ):
        rows = (
            model.objects.filter(project__unit__in=unit_ids, **project_year)
            .values("project__unit_id", "project__year")
            .annotate(total=Sum(field))
            .order_by()
        )
        for row in rows:
            group(row["project__unit_id"], row["project__year"])[target] += row["total"] or 0
    evaluation_rows = (
        SelfEvaluation.objects.filter(unit__in=unit_ids, scope=GoalScope.PROJECT, **by_year)
        .values("unit_id", "year", "grade")
        .annotate(
            n=Count("id"),
            scored=Count("total_score"),
            score_sum=Sum("total_score"),
            deviations=Count("id", filter=Q(has_deviation=True)),
        )
        .order_by()
    )
    for row in evaluation_rows:
        evaluations = group(row["unit_id"], row["year"])["evaluations"]
        evaluations["total"] += row["n"]
        evaluations["scored"] += row["scored"]
        evaluations["score_sum"] += row["score_sum"] or 0
        evaluations["with_deviation"] += row["deviations"]
        if row["grade"]:
            evaluations["by_grade"][row["grade"]] += row["n"]
    round_year = {"round__year": year} if year else {}
    report_rows = (
        MonitoringReport.objects.filter(unit__in=unit_ids, **round_year)
        .values("unit_id", "round__year", "light")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in report_rows:
        monitoring = group(row["unit_id"], row["round__year"])["monitoring"]
        monitoring["reports"] += row["n"]
        monitoring["by_light"][row["light"] or "none"] += row["n"]

    if group_by == "total" and not groups:
        groups[()] = {"_unit": None, "_year": year or timezone.localdate().year, **_empty_summary()}
    departments = {}
    if group_by == "department":
        departments = {
            unit.code: unit
            for unit in Unit.objects.filter(code__in=[key[0] for key in groups]).only(
                "id", "code", "name", "kind", "path"
            )
        }
    rate_of = execution_rate_lookup()
    # A row over several units (a year, the total) is read with the scheme of the deepest
    # unit above them all, as the dashboard's total is.
    scope_path = common_path(row["path"] for row in unit_rows.values())
    rows = []
    for key in sorted(groups, key=lambda k: tuple(str(part) for part in k)):
        data = groups[key]
        unit, row_year = data.pop("_unit"), data.pop("_year")
        department = departments.get(key[0]) if group_by == "department" else None
        if group_by == "unit":
            path = unit["path"]
        elif department is not None:
            path = department.path
        else:
            path = scope_path
        evaluations = data["evaluations"]
        score_sum, scored = evaluations.pop("score_sum"), evaluations["scored"]
        evaluations["average_score"] = (
            scoring.round_to(score_sum / scored, 2, scoring.Rounding.HALF_UP) if scored else None
        )
        rows.append(
            {
                "group_by": group_by,
                "unit": unit if group_by == "unit" else None,
                "department": (
                    {"id": department.pk, "code": department.code, "name": department.name}
                    if department is not None
                    else None
                ),
                "year": year or (row_year if group_by != "total" else None),
                **data,
                "execution_rate": rate_of(path, row_year, data["budget"], data["executed"]),
            }
        )
    return rows
