"""项目绩效目标表 as published with the department budget (seed 003).

Per project one block of rows: code, name and the amounts (资金总额, 政府预算资金, 财政专户管理资金,
单位资金, in 万元) merged down the block, then side by side the 三级指标/指标值 pairs of 成本,
产出, 效益 and 满意度 (a fifth pair 其他指标 appears only when some 一级 fits none of them).
A 合计 row and one row per unit with its totals come first, as in the published table.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import QuerySet, Sum

from projects.choices import FundSource
from projects.models import Project, ProjectBudget, Unit

from ...choices import GoalScope, Status
from ...models import Indicator, PerformanceGoal
from ...selectors.versions import current_goals
from .workbook import AMOUNT_FORMAT, Merge, SheetWriter, open_sheet

CATEGORIES = (
    ("cost", "成本指标"),
    ("output", "产出指标"),
    ("benefit", "效益指标"),
    ("satisfaction", "满意度指标"),
)
OTHER = ("other", "其他指标")
GOVERNMENT = {
    FundSource.GENERAL_PUBLIC,
    FundSource.GOVERNMENT_FUND,
    FundSource.STATE_CAPITAL,
    FundSource.CARRYOVER,
}
ZERO = Decimal("0")


def _funds(projects: list[Project]) -> dict[int, list[Decimal]]:
    """[资金总额, 政府预算资金, 财政专户管理资金, 单位资金] per project, from the initial budgets."""
    funds: dict[int, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO, ZERO, ZERO])
    rows = (
        ProjectBudget.objects.filter(project__in=[p.pk for p in projects])
        .values("project_id", "fund_source")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for row in rows:
        bucket = funds[row["project_id"]]
        bucket[0] += row["total"]
        if row["fund_source"] in GOVERNMENT:
            bucket[1] += row["total"]
        elif row["fund_source"] == FundSource.FISCAL_SPECIAL:
            bucket[2] += row["total"]
        else:
            bucket[3] += row["total"]
    return funds


def _header(year: int, pairs: list[tuple[str, str]]):
    width = 6 + 2 * len(pairs)
    blank = [None] * width
    top = ["单位编码（项目编码）", "项目单位（项目名称）", "项目金额（万元）", None, None, None]
    top += ["绩效目标"] + [None] * (2 * len(pairs) - 1)
    middle = [None, None, "资金总额", "政府预算资金", "财政专户管理资金", "单位资金"]
    bottom = [None] * 6
    for _, label in pairs:
        middle += [label, None]
        bottom += ["三级指标", "指标值"]
    header = [
        ("title", [f"{year}年部门预算项目绩效目标表", *blank[1:]]),
        ("right", [*blank[:-1], "单位：万元"]),
        ("header", top),
        ("header", middle),
        ("header", bottom),
    ]
    merges = [
        Merge(1, 1, 1, width),
        Merge(2, 1, 2, width - 1),
        Merge(3, 1, 5, 1),
        Merge(3, 2, 5, 2),
        Merge(3, 3, 3, 6),
        Merge(3, 7, 3, width),
    ]
    merges += [Merge(4, column, 5, column) for column in range(3, 7)]
    merges += [Merge(4, 7 + 2 * i, 4, 8 + 2 * i) for i in range(len(pairs))]
    return header, merges, [22, 30, 11, 11, 11, 11] + [26, 14] * len(pairs)


def write(
    workbook, *, root: Unit, units: QuerySet[Unit], year: int, published: bool = False
) -> list[SheetWriter]:
    """``published``: only projects with an approved goal, and that approved version (never an
    adjustment still under review) — what 绩效公开 may show."""
    unit_list = list(units)
    by_unit = {u.pk: u for u in unit_list}
    projects = Project.objects.filter(unit__in=unit_list, year=year)
    if published:
        projects = projects.filter(
            goals__scope=GoalScope.PROJECT, goals__status=Status.APPROVED
        ).distinct()
    projects = list(projects.order_by("unit__path", "code"))
    funds = _funds(projects)
    project_goals = PerformanceGoal.objects.filter(scope=GoalScope.PROJECT, project__in=projects)
    goals = {
        g.project_id: g
        for g in (
            project_goals.filter(status=Status.APPROVED)
            if published
            else current_goals(project_goals)
        )
    }
    indicators = Indicator.objects.filter(goal__in=list(goals.values())).order_by(
        "goal__project__unit__path", "goal__project__code", "order", "pk"
    )
    known = [code for code, _ in CATEGORIES]
    pairs = list(CATEGORIES)
    if indicators.exclude(category__in=known).exists():
        pairs.append(OTHER)
    column_of = {code: 6 + 2 * i for i, (code, _) in enumerate(pairs)}

    header, merges, widths = _header(year, pairs)
    writer = open_sheet(
        workbook,
        f"{year}年项目绩效目标表",
        header=header,
        header_merges=merges,
        widths=widths,
        freeze="C6",
    )
    width = 6 + 2 * len(pairs)

    def amounts(values: list[Decimal], *, always: bool = False) -> list:
        return [
            writer.cell(v, number_format=AMOUNT_FORMAT) if (v or always) else None for v in values
        ]

    total = [sum((funds[p.pk][i] for p in projects), start=ZERO) for i in range(4)]
    writer.row([None, "合计", *amounts(total, always=True), *[None] * (width - 6)])
    unit_totals: dict[int, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO, ZERO, ZERO])
    for project in projects:
        for i in range(4):
            unit_totals[project.unit_id][i] += funds[project.pk][i]

    stream = iter(indicators.iterator(chunk_size=2000))
    pending: Indicator | None = next(stream, None)
    current_unit = None
    for project in projects:
        if project.unit_id != current_unit:
            current_unit = project.unit_id
            unit = by_unit[current_unit]
            writer.row(
                [unit.code, unit.name, *amounts(unit_totals[current_unit], always=True)]
                + [None] * (width - 6)
            )
        goal = goals.get(project.pk)
        columns: dict[str, list[Indicator]] = defaultdict(list)
        while goal is not None and pending is not None and pending.goal_id == goal.pk:
            columns[pending.category if pending.category in column_of else "other"].append(pending)
            pending = next(stream, None)
        height = max([1, *(len(v) for v in columns.values())])
        rows = []
        for index in range(height):
            values: list = [None] * width
            if index == 0:
                values[:6] = [project.code, project.name, *amounts(funds[project.pk])]
                values[2] = writer.cell(funds[project.pk][0], number_format=AMOUNT_FORMAT)
            for category, items in columns.items():
                if index < len(items):
                    start = column_of[category]
                    values[start : start + 2] = [items[index].level3, items[index].raw_value]
            rows.append(values)
        writer.block(rows, merge_columns=range(1, 7))
    writer.close()
    return [writer]
