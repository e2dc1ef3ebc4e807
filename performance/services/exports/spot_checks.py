"""财政复核结果表: the year's spot checks of the units in scope, one row each — the unit's own
score beside the 复核 one and the difference, the state, the outcome and the final result.

Units and departments see published results only (``published_only``); the bureau's finance
reviewers every spot check, drafts included.
"""

from __future__ import annotations

from django.db.models import QuerySet

from projects.models import Unit

from ...choices import SPOT_CHECK_STATUS_LABELS, DrawMethod, Grade, SpotCheckOutcome, Status
from ...models import SpotCheck
from .workbook import Merge, SheetWriter, open_sheet

COLUMNS = (
    "单位编码",
    "单位名称",
    "主管部门编码",
    "主管部门名称",
    "项目编码",
    "项目名称",
    "抽取方式",
    "自评得分",
    "自评等级",
    "复核得分",
    "复核等级",
    "差异（自评−复核）",
    "状态",
    "结论",
    "最终得分",
    "最终等级",
    "最终差异",
    "复核意见",
)
WIDTHS = [10, 24, 10, 24, 22, 30, 12, 9, 8, 9, 8, 10, 10, 14, 9, 8, 9, 40]
GRADES = dict(Grade.choices)
OUTCOMES = dict(SpotCheckOutcome.choices)
METHODS = dict(DrawMethod.choices)


def write(
    workbook, *, root: Unit, units: QuerySet[Unit], year: int, published_only: bool = True
) -> list[SheetWriter]:
    rows = (
        SpotCheck.objects.filter(year=year, unit__in=units)
        .select_related("unit", "unit__parent", "project", "draw")
        .order_by("unit__path", "project__code", "pk")
    )
    if published_only:
        rows = rows.filter(status=Status.APPROVED)
    width = len(COLUMNS)
    writer = open_sheet(
        workbook,
        f"{year}年财政复核结果",
        header=[
            ("title", ["财政复核结果表", *[None] * (width - 1)]),
            ("right", [*[None] * (width - 1), f"{year}年度　单位：分"]),
            ("header", list(COLUMNS)),
        ],
        header_merges=[Merge(1, 1, 1, width), Merge(2, 1, 2, width)],
        widths=WIDTHS,
        freeze="G4",
    )
    for spot_check in rows.iterator(chunk_size=2000):
        unit, project, parent = spot_check.unit, spot_check.project, spot_check.unit.parent
        writer.row(
            [
                unit.code,
                unit.name,
                parent.code if parent else "",
                parent.name if parent else "",
                project.code if project else "",
                project.name if project else f"{unit.name}整体",
                METHODS.get(spot_check.draw.method, ""),
                spot_check.self_total,
                GRADES.get(spot_check.self_grade, ""),
                spot_check.review_total,
                GRADES.get(spot_check.review_grade, ""),
                spot_check.difference,
                SPOT_CHECK_STATUS_LABELS.get(spot_check.status, spot_check.status),
                OUTCOMES.get(spot_check.outcome, ""),
                spot_check.final_total,
                GRADES.get(spot_check.final_grade, ""),
                spot_check.final_difference,
                spot_check.summary,
            ]
        )
    writer.close()
    return [writer]
