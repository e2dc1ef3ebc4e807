"""单位项目绩效自评表 as published with the final accounts (seed 002).

One row per project self-evaluation: unit and supervising department, project name and type,
资金归口处室, 全年预算数/全年执行数 (万元), 预算执行率, the 得分率 of 资金管理/成本/产出/效益/满意度,
自评得分 and 是否有偏差. Numbers stay numbers; each rate carries a % format with exactly its
decimals, so a reader sees 93.46%, 35.7% and 100% as in the published table.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db.models import QuerySet

from projects.models import Unit

from ...choices import GoalScope, Status
from ...models import SelfEvaluation
from ..imports.columns import PROJECT_TYPE_LABELS
from .workbook import Merge, SheetWriter, open_sheet, percent_format

COLUMNS = (
    "单位编码",
    "单位名称",
    "主管部门编码",
    "主管部门名称",
    "项目名称",
    "项目类型",
    "资金归口处室",
    "全年预算数",
    "全年执行数",
    "预算执行率",
    "资金管理情况得分率",
    "成本指标得分率",
    "产出指标得分率",
    "效益指标得分率",
    "满意度指标得分率",
    "自评得分",
    "是否有偏差",
)
RATE_KEYS = ("fund_management", "cost", "output", "benefit", "satisfaction")
WIDTHS = [10, 24, 10, 24, 30, 12, 12, 11, 11, 11, 11, 11, 11, 11, 11, 10, 9]


def _percent(writer: SheetWriter, value) -> object:
    """A stored percentage (93.46, "100.00") as a fraction with a matching % format."""
    if value is None or value == "":
        return None
    try:
        fraction = Decimal(str(value)) / 100
    except InvalidOperation:
        return str(value)
    return writer.cell(fraction, number_format=percent_format(fraction))


def write(
    workbook, *, root: Unit, units: QuerySet[Unit], year: int, published: bool = False
) -> list[SheetWriter]:
    """``published``: approved self-evaluations only."""
    evaluations = SelfEvaluation.objects.filter(scope=GoalScope.PROJECT, year=year, unit__in=units)
    if published:
        evaluations = evaluations.filter(status=Status.APPROVED)
    evaluations = evaluations.select_related("project", "unit", "unit__parent").order_by(
        "unit__path", "project__code"
    )
    width = len(COLUMNS)
    writer = open_sheet(
        workbook,
        f"{year}年单位项目绩效自评表",
        header=[
            ("title", ["单位项目绩效自评表", *[None] * (width - 1)]),
            ("right", [*[None] * (width - 1), f"{year}年度　单位：万元"]),
            ("header", list(COLUMNS)),
        ],
        header_merges=[Merge(1, 1, 1, width), Merge(2, 1, 2, width)],
        widths=WIDTHS,
        freeze="F4",
    )
    for evaluation in evaluations.iterator(chunk_size=2000):
        unit, project = evaluation.unit, evaluation.project
        parent = unit.parent
        rates = evaluation.category_rates or {}
        writer.row(
            [
                unit.code,
                unit.name,
                parent.code if parent else "",
                parent.name if parent else "",
                project.name,
                PROJECT_TYPE_LABELS.get(project.category, project.get_category_display()),
                project.managing_office,
                evaluation.budget,
                evaluation.executed,
                _percent(writer, evaluation.execution_rate),
                *(_percent(writer, rates.get(key)) for key in RATE_KEYS),
                evaluation.total_score,
                "是" if evaluation.has_deviation else "否",
            ]
        )
    writer.close()
    return [writer]
