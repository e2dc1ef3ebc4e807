"""The dashboard's figures for one year and one unit scope, in a fixed number of queries.

Counts, budgets, 执行率, average scores and grades come from
:func:`performance.selectors.summaries.performance_summary` (per unit, per 主管部门 and in total); lights
from the engine (:func:`performance.scoring.budget_light`, :func:`~performance.scoring.time_progress`);
overdue work from the reminder sweep's own rule (:func:`performance.selectors.work_due.work_due`
for every reporting window past its deadline). This module only groups and orders them.

Public interface
----------------
dashboard_units(user) -> list[Unit]                    units offered by the unit filter
default_year(units, today) -> int                      latest year with projects in scope
    units: a Unit queryset or unit ids
elapsed_months(year, today) -> int                     months of ``year`` elapsed by ``today``
dashboard_figures(*, user, year, unit=None, today=None) -> dict
    scope: ``visible_units(user)``, narrowed to ``unit`` and the units below it when given.
    Keys: year, years, unit, month, time_progress, goals, execution, lights, scores, overdue
    (see :func:`dashboard_figures`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from projects.models import Project, Unit
from projects.permissions import visible_units

from .. import scoring
from ..choices import GoalScope, Grade, Light, Status, WindowKind
from ..models import MonitoringReport, ReportingWindow, SelfEvaluation
from .schemes import Lookup, common_path, scheme_lookup
from .summaries import performance_summary
from .work_due import OVERDUE, window_stage, work_due

# Score bands of the distribution: [low, high) in points, the last one closed at the top.
SCORE_BANDS = (
    ("<60", None, Decimal(60)),
    ("60–<70", Decimal(60), Decimal(70)),
    ("70–<80", Decimal(70), Decimal(80)),
    ("80–<90", Decimal(80), Decimal(90)),
    ("≥90", Decimal(90), None),
)
LIGHT_ORDER = (Light.GREEN, Light.BLUE, Light.YELLOW, Light.RED)
NO_DEPARTMENT = "财政局本级"
OVERDUE_ITEMS_SHOWN = 5


def dashboard_units(user) -> list[Unit]:
    """The units the user may pick in the filter (departments and their units), by path."""
    return list(visible_units(user).order_by("path").only("id", "code", "name", "kind", "path"))


def default_year(units: QuerySet[Unit], today: dt.date) -> int:
    """The latest year with projects in scope (this year when there are none)."""
    latest = (
        Project.objects.filter(unit__in=units)
        .order_by("-year")
        .values_list("year", flat=True)
        .first()
    )
    return latest or today.year


def elapsed_months(year: int, today: dt.date) -> int:
    """Months of ``year`` elapsed by ``today``: 12 for a past year, 0 before it starts, and
    the current month in the year itself (as domain.md §6 counts July as 7/12)."""
    if year < today.year:
        return 12
    if year > today.year:
        return 0
    return today.month


def _status_counts(by_status: dict[str, int]) -> list[dict[str, Any]]:
    return [
        {"code": code, "label": label, "count": by_status.get(code, 0)}
        for code, label in Status.choices
    ]


def _grade_counts(by_grade: dict[str, int]) -> list[dict[str, Any]]:
    return [
        {"code": code, "label": label, "count": by_grade.get(code, 0)}
        for code, label in Grade.choices
    ]


def _unit_label(unit: dict[str, Any]) -> str:
    return f"{unit['code']} {unit['name']}"


def _department_label(row: dict[str, Any]) -> str:
    department = row["department"]
    return f"{department['code']} {department['name']}" if department else NO_DEPARTMENT


def _execution_row(
    label: str, row: dict[str, Any], path: str, year: int, month: int, scheme_of: Lookup
) -> dict:
    """Budget, executed, 执行率 and the budget light (when there is a budget to judge), by the
    scheme of the unit at ``path`` in ``year``."""
    light = None
    if row["budget"] > 0:
        engine = scheme_of(path, year).to_engine()
        light = scoring.budget_light(rate=row["execution_rate"], month=month, scheme=engine)
    return {
        "label": label,
        "budget": row["budget"],
        "executed": row["executed"],
        "rate": row["execution_rate"],
        "light": light.value if light else None,
        "light_label": Light(light.value).label if light else "—",
    }


def _score_distribution(units: QuerySet[Unit], year: int) -> list[dict[str, Any]]:
    """Scored project self-evaluations per score band, in one query."""
    conditions = {}
    for index, (_label, low, high) in enumerate(SCORE_BANDS):
        condition = Q()
        if low is not None:
            condition &= Q(total_score__gte=low)
        if high is not None:
            condition &= Q(total_score__lt=high)
        conditions[f"band{index}"] = Count("id", filter=condition)
    counts = SelfEvaluation.objects.filter(
        unit__in=units, year=year, scope=GoalScope.PROJECT, total_score__isnull=False
    ).aggregate(**conditions)
    return [
        {"label": label, "count": counts[f"band{index}"]}
        for index, (label, _low, _high) in enumerate(SCORE_BANDS)
    ]


def _lights_by_round(units: QuerySet[Unit], year: int) -> list[dict[str, Any]]:
    """Overall lights of the year's monitoring reports, per round (1-N月), in one query."""
    rounds: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(Light.values, 0))
    unlit: dict[int, int] = defaultdict(int)
    rows = (
        MonitoringReport.objects.filter(unit__in=units, round__year=year)
        .values("round__data_month", "light")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        counts = rounds[row["round__data_month"]]  # a round without lights yet still shows
        if row["light"]:
            counts[row["light"]] += row["n"]
        else:
            unlit[row["round__data_month"]] += row["n"]
    return [
        {
            "month": month,
            "label": f"1-{month}月",
            "counts": [
                {"code": light.value, "label": light.label, "count": rounds[month][light.value]}
                for light in LIGHT_ORDER
            ],
            "unlit": unlit[month],
            "total": sum(rounds[month].values()) + unlit[month],
        }
        for month in sorted(rounds)
    ]


def _overdue(unit_ids: set[int], names: dict[int, str], year: int, today: dt.date) -> list:
    """Units in scope with work still due in a reporting window of ``year`` past its deadline.

    The reminder sweep's rule (``work_due``) decides what is still due, so the dashboard and
    the escalation e-mails agree. One query for the windows, then one or two per past window.
    """
    windows = ReportingWindow.objects.filter(
        year=year, is_active=True, closes_on__lt=today
    ).order_by("closes_on", "pk")
    rows = []
    for window in windows:
        if window_stage(window, today) != OVERDUE:
            continue
        for unit_id, items in sorted(work_due(window).items()):
            if unit_id not in unit_ids:
                continue
            rows.append(
                {
                    "unit": names[unit_id],
                    "window": window.title,
                    "kind": WindowKind(window.kind).label,
                    "closes_on": window.closes_on,
                    "days_overdue": (today - window.closes_on).days,
                    "count": len(items),
                    "items": items[:OVERDUE_ITEMS_SHOWN],
                    "more": max(0, len(items) - OVERDUE_ITEMS_SHOWN),
                }
            )
    return rows


def dashboard_figures(
    *, user, year: int, unit: Unit | None = None, today: dt.date | None = None
) -> dict[str, Any]:
    """Everything the dashboard shows for ``year`` in the user's scope (narrowed to ``unit``).

    goals: ``by_status`` (every status, zeros included), ``total`` and ``rows`` per unit;
    execution: ``units`` and ``departments`` rows (budget, executed, 执行率, light) and
    ``total``, with ``chart_by`` telling which of the two the chart shows;
    lights: per monitoring round the count of each light; scores: ``bands`` (distribution),
    ``grades``, ``average``, ``scored`` and ``rows`` per unit; overdue: one row per unit and
    past-deadline window with what is still due. ``month`` and ``time_progress`` are the
    year's 时间进度 as of ``today``.
    """
    today = today or timezone.localdate()
    units = visible_units(user)
    if unit is not None:
        units = units.filter(path__startswith=unit.path)
    unit_rows = list(units.order_by("path").values("id", "code", "name", "path"))
    unit_ids = {row["id"] for row in unit_rows}
    names = {row["id"]: f"{row['code']} {row['name']}" for row in unit_rows}
    scoped = Unit.objects.filter(pk__in=unit_ids)

    years = sorted(
        set(
            Project.objects.filter(unit__in=scoped)
            .order_by()
            .values_list("year", flat=True)
            .distinct()
        )
        | {year},
        reverse=True,
    )
    month = elapsed_months(year, today)
    progress = scoring.time_progress(month)
    scheme_of = scheme_lookup()

    per_unit = performance_summary(units=scoped, year=year, group_by="unit")
    per_department = performance_summary(units=scoped, year=year, group_by="department")
    (total,) = performance_summary(units=scoped, year=year, group_by="total")
    department_paths: dict[str, str] = {}
    for row in unit_rows:
        codes = [code for code in row["path"].split("/") if code]
        if len(codes) > 1:
            department_paths.setdefault(codes[1], f"/{codes[0]}/{codes[1]}/")

    root_path = unit.path if unit is not None else common_path(r["path"] for r in unit_rows)
    execution_units = [
        _execution_row(_unit_label(row["unit"]), row, row["unit"]["path"], year, month, scheme_of)
        for row in per_unit
        if row["budget"] > 0 or row["projects"]
    ]
    execution_departments = [
        _execution_row(
            _department_label(row),
            row,
            department_paths.get((row["department"] or {}).get("code"), root_path),
            year,
            month,
            scheme_of,
        )
        for row in per_department
        if row["budget"] > 0 or row["projects"]
    ]
    evaluations = total["evaluations"]
    return {
        "year": year,
        "years": years,
        "unit": unit,
        "month": month,
        "time_progress": progress,
        "goals": {
            "total": total["goals"]["total"],
            "by_status": _status_counts(total["goals"]["by_status"]),
            "rows": [
                {
                    "label": _unit_label(row["unit"]),
                    "total": row["goals"]["total"],
                    "by_status": _status_counts(row["goals"]["by_status"]),
                }
                for row in per_unit
                if row["goals"]["total"]
            ],
        },
        "execution": {
            "units": execution_units,
            "departments": execution_departments,
            "chart_by": "departments" if len(execution_departments) > 1 else "units",
            "total": _execution_row("合计", total, root_path, year, month, scheme_of),
        },
        "lights": _lights_by_round(scoped, year),
        "scores": {
            "bands": _score_distribution(scoped, year),
            "grades": _grade_counts(evaluations["by_grade"]),
            "scored": evaluations["scored"],
            "average": evaluations["average_score"],
            "with_deviation": evaluations["with_deviation"],
            "rows": [
                {
                    "label": _unit_label(row["unit"]),
                    "scored": row["evaluations"]["scored"],
                    "average": row["evaluations"]["average_score"],
                    "grades": _grade_counts(row["evaluations"]["by_grade"]),
                    "with_deviation": row["evaluations"]["with_deviation"],
                }
                for row in per_unit
                if row["evaluations"]["total"]
            ],
        },
        "overdue": _overdue(unit_ids, names, year, today),
    }
