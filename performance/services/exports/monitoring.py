"""项目绩效监控表: one block per project report of a monitoring round.

Per project (merged down its block): unit, code, name, 全年预算数, 1-N月执行数, 预算执行率,
全年预计执行数 and the budget light; per indicator: 一级/二级/三级, 年度指标值, 本期比较值 (what
the light compared the value with: the period target of the data month, or the annual target
pro-rated or whole — ``derived_figures.describe_entry_expectation``), 1-N月完成值, 全年预计完成值,
偏差原因 and its note, 完成目标可能性, 纠偏措施 and the indicator's light.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from projects.models import Unit
from projects.numbers import RATE, figure

from ...models import MonitoringEntry, MonitoringReport, MonitoringRound
from ..derived_figures import describe_entry_expectation
from .workbook import AMOUNT_FORMAT, Merge, SheetWriter, open_sheet, percent_format

PROJECT_COLUMNS = 9  # A–I merged down each project's block


def _round(units: QuerySet[Unit], year: int, data_month: int | None) -> MonitoringRound:
    rounds = MonitoringRound.objects.filter(year=year)
    if data_month is not None:
        rounds = rounds.filter(data_month=data_month)
    found = (
        rounds.filter(reports__unit__in=units).order_by("-data_month").distinct().first()
        or rounds.order_by("-data_month").first()
    )
    if found is None:
        when = f"{year} 年 1-{data_month} 月" if data_month else f"{year} 年"
        raise ValidationError({"year": f"{when}没有绩效监控轮次。"}, code="no_round")
    return found


def _rate_cell(writer: SheetWriter, rate: Decimal | None):
    if rate is None:
        return None
    fraction = rate / 100
    return writer.cell(fraction, style="center", number_format=percent_format(fraction))


def write(
    workbook, *, root: Unit, units: QuerySet[Unit], year: int, data_month: int | None = None
) -> list[SheetWriter]:
    round_ = _round(units, year, data_month)
    month = round_.data_month
    reports = list(
        MonitoringReport.objects.filter(round=round_, unit__in=units)
        .select_related("project", "unit")
        .order_by("unit__path", "project__code")
    )
    entries: dict[int, list[MonitoringEntry]] = defaultdict(list)
    rows = (
        MonitoringEntry.objects.filter(report__in=reports)
        .select_related("indicator")
        .order_by("report", "indicator__order", "indicator_id")
    )
    for entry in rows.iterator(chunk_size=2000):
        entries[entry.report_id].append(entry)

    names = [
        "单位编码",
        "单位名称",
        "项目编码",
        "项目名称",
        "全年预算数",
        f"1-{month}月执行数",
        "预算执行率",
        "全年预计执行数",
        "执行进度预警",
        "一级指标",
        "二级指标",
        "三级指标",
        "年度指标值",
        "本期比较值",
        f"1-{month}月完成值",
        "全年预计完成值",
        "偏差原因",
        "偏差原因说明",
        "完成目标可能性",
        "纠偏措施",
        "预警",
    ]
    width = len(names)
    blank = [None] * width
    group = [*names[:4], "预算执行情况（万元）", None, None, None, None]
    group += ["绩效指标完成情况", *[None] * (width - PROJECT_COLUMNS - 1)]
    second = [None] * 4 + names[4:]
    progress = reports[0].time_progress if reports and reports[0].time_progress else None
    subtitle = f"单位：万元　数据截至 {year} 年 {month} 月　预警按本期比较值计算"
    if progress is not None:
        subtitle += f"　时间进度 {figure(progress, RATE)}"
    writer = open_sheet(
        workbook,
        f"{year}年1-{month}月绩效监控",
        header=[
            ("title", [f"{year}年1-{month}月项目绩效运行监控表", *blank[1:]]),
            ("right", [*blank[:-1], subtitle]),
            ("header", group),
            ("header", second),
        ],
        header_merges=[
            Merge(1, 1, 1, width),
            Merge(2, 1, 2, width),
            *(Merge(3, c, 4, c) for c in range(1, 5)),
            Merge(3, 5, 3, PROJECT_COLUMNS),
            Merge(3, PROJECT_COLUMNS + 1, 3, width),
        ],
        widths=[10, 24, 22, 28, 11, 11, 10, 12, 10, 12, 14, 28, 14, 30, 14, 14, 12, 24, 12, 28, 8],
        freeze="E5",
    )
    for report in reports:
        head = [
            report.unit.code,
            report.unit.name,
            report.project.code,
            report.project.name,
            writer.cell(report.budget, style="center", number_format=AMOUNT_FORMAT),
            writer.cell(report.executed, style="center", number_format=AMOUNT_FORMAT),
            _rate_cell(writer, report.execution_rate),
            writer.cell(report.forecast_executed, style="center", number_format=AMOUNT_FORMAT)
            if report.forecast_executed is not None
            else None,
            report.get_budget_light_display() if report.budget_light else None,
        ]
        block = []
        for index, entry in enumerate(entries[report.pk] or [None]):
            values = head if index == 0 else [None] * PROJECT_COLUMNS
            if entry is None:
                block.append([*values, *[None] * (width - PROJECT_COLUMNS)])
                continue
            indicator = entry.indicator
            block.append(
                [
                    *values,
                    indicator.level1,
                    indicator.level2,
                    indicator.level3,
                    indicator.raw_value,
                    describe_entry_expectation(entry, month=month),
                    entry.value_raw or (entry.get_band_display() if entry.band else ""),
                    entry.forecast_raw,
                    entry.get_deviation_cause_display() if entry.deviation_cause else "",
                    entry.deviation_note,
                    entry.get_likelihood_display() if entry.likelihood else "",
                    entry.measures,
                    entry.get_light_display() if entry.light else "",
                ]
            )
        writer.block(block, merge_columns=range(1, PROJECT_COLUMNS + 1))
    writer.close()
    return [writer]
