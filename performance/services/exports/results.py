"""结果应用表: one unit's year as the API's ``/api/v1/results/`` gives it, from the same selector
(``selectors.results.unit_results``) — a sheet of self-evaluations with their grades and 复核
differences, and a sheet of 整改 tasks, open and closed, with their history.

The 复核 columns are filled only where the selector shows the spot check (finance reviewers:
any; other users: once published), so the file never shows more than the API.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from projects.models import Unit

from ...choices import SPOT_CHECK_STATUS_LABELS, GoalScope, Grade, SpotCheckOutcome
from ...models import Rectification
from ...selectors.results import unit_results
from .workbook import Merge, SheetWriter, open_sheet

EVALUATION_COLUMNS = (
    "自评ID",
    "类型",
    "项目编码",
    "项目名称",
    "自评状态",
    "预算执行率（%）",
    "自评得分",
    "自评等级",
    "是否有偏差",
    "复核状态",
    "复核结论",
    "复核得分",
    "复核等级",
    "差异（自评−复核）",
    "最终得分",
    "最终等级",
    "最终差异",
)
EVALUATION_WIDTHS = [8, 10, 22, 30, 10, 12, 9, 8, 8, 10, 14, 9, 8, 10, 9, 8, 9]
RECTIFICATION_COLUMNS = (
    "整改ID",
    "项目编码",
    "项目名称",
    "整改原因",
    "存在问题",
    "整改要求",
    "整改期限",
    "状态",
    "逾期天数",
    "整改措施",
    "整改成效",
    "操作记录",
)
RECTIFICATION_WIDTHS = [8, 22, 30, 14, 40, 30, 12, 10, 8, 30, 30, 60]
GRADES = dict(Grade.choices)
OUTCOMES = dict(SpotCheckOutcome.choices)
SCOPES = dict(GoalScope.choices)


def evaluation_row(row: dict[str, Any]) -> list[Any]:
    """One self-evaluation of :func:`unit_results` as the export's row (IDs as the API's)."""
    evaluation, spot_check = row["evaluation"], row["spot_check"]
    project = evaluation.project
    check = (
        [
            SPOT_CHECK_STATUS_LABELS.get(spot_check.status, spot_check.status),
            OUTCOMES.get(spot_check.outcome, spot_check.outcome or ""),
            spot_check.review_total,
            GRADES.get(spot_check.review_grade, ""),
            spot_check.difference,
            spot_check.final_total,
            GRADES.get(spot_check.final_grade, ""),
            spot_check.final_difference,
        ]
        if spot_check is not None
        else [""] * 2 + [None, ""] + [None, None, "", None]
    )
    return [
        evaluation.pk,
        SCOPES.get(evaluation.scope, evaluation.scope),
        project.code if project else "",
        project.name if project else "整体",
        evaluation.get_status_display(),
        evaluation.execution_rate,
        evaluation.total_score,
        GRADES.get(evaluation.grade, ""),
        "是" if evaluation.has_deviation else "否",
        *check,
    ]


def history_text(task: Rectification) -> str:
    """The task's audit rows, one line each: time, who, what, comment."""
    lines = []
    for entry in task.history:
        who = entry.actor.username if entry.actor else "系统"
        what = entry.transition or entry.get_action_display()
        line = f"{entry.created_at:%Y-%m-%d %H:%M} {who} {what}"
        lines.append(f"{line}：{entry.comment}" if entry.comment else line)
    return "\n".join(lines)


def rectification_row(task: Rectification) -> list[Any]:
    """One 整改 task of :func:`unit_results` as the export's row."""
    project = task.project
    return [
        task.pk,
        project.code if project else "",
        project.name if project else "",
        task.get_cause_display(),
        task.problem,
        task.requirement,
        task.deadline.isoformat(),
        task.get_status_display(),
        task.overdue_days,
        task.measures,
        task.result,
        history_text(task),
    ]


def _sheet(workbook, title: str, caption: str, columns, widths) -> SheetWriter:
    width = len(columns)
    return open_sheet(
        workbook,
        title,
        header=[
            ("title", [title, *[None] * (width - 1)]),
            ("right", [*[None] * (width - 1), caption]),
            ("header", list(columns)),
        ],
        header_merges=[Merge(1, 1, 1, width), Merge(2, 1, 2, width)],
        widths=widths,
        freeze="B4",
    )


def write(workbook, *, root: Unit, units: QuerySet[Unit], year: int, user) -> list[SheetWriter]:
    """The results of ``root`` itself (as the API: one unit's year); ``user`` decides which
    复核 results show. ``units`` is the scope the framework checked ``root`` against."""
    data = unit_results(user=user, unit=root, year=year)
    caption = f"{root.code} {root.name}　{year}年度"
    evaluations = _sheet(
        workbook, "结果应用—自评与复核", caption, EVALUATION_COLUMNS, EVALUATION_WIDTHS
    )
    for row in data["evaluations"]:
        evaluations.row(evaluation_row(row))
    evaluations.close()
    tasks = _sheet(
        workbook, "结果应用—整改任务", caption, RECTIFICATION_COLUMNS, RECTIFICATION_WIDTHS
    )
    for task in data["rectifications"]:
        tasks.row(rectification_row(task))
    tasks.close()
    return [evaluations, tasks]
