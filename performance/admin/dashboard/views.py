"""数据看板: the admin's dashboard page for one year and one unit scope.

The figures come from :func:`performance.selectors.dashboard.dashboard_figures`, the charts
from the pure SVG builders in :mod:`performance.admin.dashboard.charts`; this view only reads the
filter, picks the chart rows and renders. A unit outside the user's scope is a 404.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.safestring import mark_safe

from projects.admin.params import whole_number
from projects.permissions import visible_units
from projects.years import FIRST_YEAR, LAST_YEAR

from ...selectors.dashboard import dashboard_figures, dashboard_units, default_year
from ...selectors.schemes import NO_SCHEME
from ...selectors.spot_checks import BAND_LABELS, BANDS, review_difference_distribution
from . import charts

CHART_BARS = 30  # more rows than this go to the table only


def _year(value: str) -> int | None:
    return whole_number(value, low=FIRST_YEAR, high=LAST_YEAR)


def build_charts(figures: dict[str, Any]) -> dict[str, str]:
    """The five charts of the dashboard as SVG markup (escaped by the builders)."""
    year = figures["year"]
    goals = figures["goals"]
    execution = figures["execution"]
    execution_rows = execution[execution["chart_by"]][:CHART_BARS]
    scores = figures["scores"]
    overdue_units: dict[str, int] = {}
    for row in figures["overdue"]:
        overdue_units[row["unit"]] = overdue_units.get(row["unit"], 0) + row["count"]
    built = {
        "goals": charts.bar_chart(
            chart_id="chart-goals",
            title=f"{year}年绩效目标按状态（共 {goals['total']} 个）",
            bars=[
                charts.Bar(row["label"], row["count"], charts.STATUS_COLORS[row["code"]])
                for row in goals["by_status"]
            ],
            suffix=" 个",
        ),
        "execution": charts.progress_chart(
            chart_id="chart-execution",
            title=f"{year}年预算执行率与时间进度"
            + ("（按主管部门）" if execution["chart_by"] == "departments" else "（按单位）"),
            bars=[
                charts.Bar(
                    row["label"],
                    row["rate"],
                    charts.LIGHT_COLORS[row["light"] or "none"],
                    row["light_label"] if row["light"] else "",
                )
                for row in execution_rows
            ],
            reference=figures["time_progress"],
            reference_label="时间进度",
        ),
        "lights": charts.stacked_chart(
            chart_id="chart-lights",
            title=f"{year}年绩效监控预警灯（按监控轮次）",
            rows=[
                (
                    row["label"],
                    [
                        charts.Segment(c["label"], c["count"], charts.LIGHT_COLORS[c["code"]])
                        for c in row["counts"]
                    ]
                    + [charts.Segment("未计算", row["unlit"], charts.LIGHT_COLORS["none"])],
                )
                for row in figures["lights"]
            ],
            legend=[
                (label, charts.LIGHT_COLORS[code])
                for code, label in (
                    ("green", "绿灯"),
                    ("blue", "蓝灯"),
                    ("yellow", "黄灯"),
                    ("red", "红灯"),
                    ("none", "未计算"),
                )
            ],
        ),
        "scores": charts.bar_chart(
            chart_id="chart-scores",
            title=f"{year}年项目自评得分分布（已评分 {scores['scored']} 个）",
            bars=[charts.Bar(f"{row['label']} 分", row["count"]) for row in scores["bands"]],
            suffix=" 个",
        ),
        "grades": charts.bar_chart(
            chart_id="chart-grades",
            title=f"{year}年项目自评等级",
            bars=[
                charts.Bar(row["label"], row["count"], charts.GRADE_COLORS[row["code"]])
                for row in scores["grades"]
            ],
            suffix=" 个",
        ),
        "overdue": charts.bar_chart(
            chart_id="chart-overdue",
            title=f"{year}年逾期未报单位（截止后仍未完成的事项数）",
            bars=[
                charts.Bar(unit, count, charts.LIGHT_COLORS["red"])
                for unit, count in list(overdue_units.items())[:CHART_BARS]
            ],
            suffix=" 项",
        ),
    }
    if "review_differences" in figures:
        threshold = figures["review_threshold"]
        labels = {
            **BAND_LABELS,
            "five_to_threshold": f"5–<{threshold}",
            "threshold_or_more": f"≥{threshold}",
        }
        built["review_differences"] = charts.stacked_chart(
            chart_id="chart-reviews",
            title=f"{year}年财政复核：自评与复核得分差异（按主管部门）",
            rows=[
                (
                    row["department"].name,
                    [
                        charts.Segment(labels[band], row["bands"][band], REVIEW_BAND_COLORS[band])
                        for band in BANDS
                    ],
                )
                for row in figures["review_differences"]
            ],
            legend=[(labels[band], REVIEW_BAND_COLORS[band]) for band in BANDS],
        )
    return {name: mark_safe(svg) for name, svg in built.items()}  # the builders escape every text


# Under-rating (blue), small and middling over-rating, and at or above the threshold (red).
REVIEW_BAND_COLORS = {
    "below_zero": charts.LIGHT_COLORS["blue"],
    "zero_to_five": charts.LIGHT_COLORS["green"],
    "five_to_threshold": charts.LIGHT_COLORS["yellow"],
    "threshold_or_more": charts.LIGHT_COLORS["red"],
}


def dashboard_view(request):
    """GET ?year=&unit=: the dashboard of ``year`` for the user's units (or one subtree)."""
    if not request.user.has_perm("performance.view_performancegoal"):
        raise PermissionDenied
    units = dashboard_units(request.user)
    code = request.GET.get("unit", "").strip()
    unit = None
    if code:
        unit = next((u for u in units if u.code == code), None)
        if unit is None:
            raise Http404(f"单位「{code}」不存在或您无权查看。")
    today = timezone.localdate()
    year = _year(request.GET.get("year", ""))
    if year is None:
        scope = visible_units(request.user)
        if unit is not None:
            scope = scope.filter(path__startswith=unit.path)
        year = default_year(scope, today)
    context = {
        **admin.site.each_context(request),
        "title": "数据看板",
        "subtitle": f"{year}年",
        "units": units,
        "today": today,
    }
    try:
        figures = dashboard_figures(user=request.user, year=year, unit=unit, today=today)
    except ValidationError as error:  # no scheme applies: the page says so (selectors.schemes)
        if error.code != NO_SCHEME:
            raise
        context.update(figures={"year": year, "years": [year], "unit": unit})
        context["unavailable"] = error.messages
        return TemplateResponse(request, "admin/performance/dashboard/index.html", context)
    figures["review_threshold"] = settings.SPOT_CHECK_DIFFERENCE_THRESHOLD
    figures["review_differences"] = review_difference_distribution(
        user=request.user, year=year, unit=unit, threshold=settings.SPOT_CHECK_DIFFERENCE_THRESHOLD
    )
    context.update(
        figures=figures,
        charts=build_charts(figures),
        chart_bars=CHART_BARS,
        execution_truncated=len(figures["execution"][figures["execution"]["chart_by"]])
        > CHART_BARS,
    )
    return TemplateResponse(request, "admin/performance/dashboard/index.html", context)
