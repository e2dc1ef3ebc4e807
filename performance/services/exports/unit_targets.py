"""部门(单位)整体绩效目标表 (seed 003): one sheet per unit with an overall goal for the year.

名称, 年度履职目标, 年度主要任务 (任务名称/主要内容), 预算情况 (总额, sources, structure in 万元),
then the indicators 一级/二级/三级/指标值/指标值说明 with runs of equal 一级 (and 二级) merged.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import QuerySet

from projects.models import Unit

from ...choices import GoalScope, Status
from ...models import GoalTask, Indicator, PerformanceGoal
from ...selectors.versions import current_goals
from .workbook import AMOUNT_FORMAT, Merge, SheetWriter, open_sheet

WIDTHS = [16, 22, 30, 16, 60]


def _runs(values: list) -> list[tuple[int, int]]:
    """(start, end) index pairs of runs of equal consecutive values longer than one."""
    runs, start = [], 0
    for index in range(1, len(values) + 1):
        if index == len(values) or values[index] != values[start]:
            if index - start > 1:
                runs.append((start, index - 1))
            start = index
    return runs


def write(
    workbook, *, root: Unit, units: QuerySet[Unit], year: int, published: bool = False
) -> list[SheetWriter]:
    """``published``: the approved goal only (never an adjustment under review)."""
    unit_goals = PerformanceGoal.objects.filter(scope=GoalScope.UNIT, unit__in=units, year=year)
    goals = list(
        (unit_goals.filter(status=Status.APPROVED) if published else current_goals(unit_goals))
        .select_related("unit")
        .order_by("unit__path")
    )
    tasks: dict[int, list[GoalTask]] = defaultdict(list)
    for task in GoalTask.objects.filter(goal__in=goals).order_by("goal", "order", "pk"):
        tasks[task.goal_id].append(task)
    indicators: dict[int, list[Indicator]] = defaultdict(list)
    for indicator in Indicator.objects.filter(goal__in=goals).order_by("goal", "order", "pk"):
        indicators[indicator.goal_id].append(indicator)

    writers = []
    for goal in goals or [None]:
        writer = open_sheet(
            workbook,
            f"{goal.unit.code} {goal.unit.name}" if goal else f"{year}年整体绩效目标表",
            header=[
                ("title", ["本级部门(单位)整体绩效目标表", None, None, None, None]),
                ("title", [f"（{year}年度）", None, None, None, None]),
            ],
            header_merges=[Merge(1, 1, 1, 5), Merge(2, 1, 2, 5)],
            widths=WIDTHS,
        )
        writers.append(writer)
        if goal is None:
            writer.row([f"{root.name} {year} 年没有整体绩效目标。"])
            writer.close()
            continue
        _write_goal(writer, goal, tasks[goal.pk], indicators[goal.pk])
        writer.close()
    return writers


def _labelled(writer: SheetWriter, label: str, value, *, amount: bool = False) -> None:
    """A row "label | value" with the value spanning the remaining columns."""
    cell = writer.cell(value, style="text", number_format=AMOUNT_FORMAT if amount else None)
    writer.row([writer.cell(label, style="header"), cell, None, None, None])
    writer.merge(Merge(writer.current_row, 2, writer.current_row, 5))


def _write_goal(writer: SheetWriter, goal, tasks: list, indicators: list[Indicator]) -> None:
    _labelled(writer, "部门(单位)名称", goal.unit.name)
    _labelled(writer, "年度履职目标", goal.overall_goal)

    first = writer.current_row + 1
    header = writer.cell("任务名称", style="header")
    writer.row(
        [
            writer.cell("年度主要任务", style="header"),
            header,
            writer.cell("主要内容", style="header"),
        ]
    )
    writer.merge(Merge(writer.current_row, 3, writer.current_row, 5))
    for task in tasks:
        writer.row(
            [None, writer.cell(task.name, style="text"), writer.cell(task.content, style="text")]
        )
        writer.merge(Merge(writer.current_row, 3, writer.current_row, 5))
    writer.merge(Merge(first, 1, writer.current_row, 1))

    budget = [
        ("部门预算总额（万元）", goal.budget_total),
        ("1、资金来源：（1）政府预算资金", goal.budget_government),
        ("（2）财政专户管理资金", goal.budget_fiscal_special),
        ("（3）单位资金", goal.budget_unit_funds),
        ("2、资金结构：（1）基本支出", goal.budget_basic),
        ("（2）项目支出", goal.budget_project),
    ]
    first = writer.current_row + 1
    for index, (label, value) in enumerate(budget):
        writer.row(
            [
                writer.cell("预算情况", style="header") if index == 0 else None,
                writer.cell(label, style="text"),
                None,
                None,
                writer.cell(value, style="text", number_format=AMOUNT_FORMAT),
            ]
        )
        writer.merge(Merge(writer.current_row, 2, writer.current_row, 4))
    writer.merge(Merge(first, 1, writer.current_row, 1))

    writer.row(
        [
            writer.cell(name, style="header")
            for name in ("一级指标", "二级指标", "三级指标", "指标值", "指标值说明")
        ]
    )
    first = writer.current_row + 1
    for indicator in indicators:
        writer.row(
            [
                writer.cell(value, style="text")
                for value in (
                    indicator.level1,
                    indicator.level2,
                    indicator.level3,
                    indicator.raw_value,
                    indicator.explanation,
                )
            ]
        )
    level1 = [i.level1 for i in indicators]
    level2 = [(i.level1, i.level2) for i in indicators]
    for start, end in _runs(level1):
        writer.merge(Merge(first + start, 1, first + end, 1))
    for start, end in _runs(level2):
        writer.merge(Merge(first + start, 2, first + end, 2))
