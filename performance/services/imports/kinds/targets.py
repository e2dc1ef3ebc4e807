"""Kind ``targets`` (绩效目标): the flat project template, the 整体 flat layout and the printed
部门(单位)整体绩效目标表 (``unit_form``), as a declaration on the framework.

Validation, planning and writing are the template's modules (``validation``, ``planning``,
``writing``); this only wires them into :class:`~..framework.ImportKind`.
"""

from __future__ import annotations

from projects.permissions import UNIT_EDITORS

from ....choices import JobKind
from ..columns import COLUMNS
from ..framework import ImportKind, PlanContext, WriteContext
from ..planning import Plan, build_plan
from ..unit_form import open_targets_table
from ..validation import validate_rows
from ..writing import count_plan, write_plan


def _plan(rows: list, context: PlanContext) -> Plan:
    return build_plan(
        rows,
        actor=context.actor,
        result=context.result,
        has_explanation=context.layout.has_explanation,
        has_weight=context.layout.has_weight,
        lock=context.lock,
    )


def _write(plan: Plan, context: WriteContext) -> None:
    write_plan(plan, actor=context.actor, result=context.result)


TARGETS = ImportKind(
    name="targets",
    title="绩效目标",
    job_kind=JobKind.IMPORT_TARGETS,
    roles=frozenset(UNIT_EDITORS),
    columns=COLUMNS,
    example="targets.csv",
    counts=(
        ("rows", "行数"),
        ("projects_created", "新增项目"),
        ("projects_updated", "更新项目"),
        ("projects_unchanged", "未变化项目"),
        ("goals_created", "新增绩效目标"),
        ("indicators_created", "新增指标"),
        ("indicators_updated", "更新指标"),
        ("indicators_unchanged", "未变化指标"),
    ),
    change_counts=(
        "projects_created",
        "projects_updated",
        "indicators_created",
        "indicators_updated",
    ),
    validate=validate_rows,
    plan=_plan,
    count=count_plan,
    write=_write,
    refusal_message="您没有导入绩效目标的权限（需要：填报人、单位审核人或管理员）。",
    open=open_targets_table,  # the printed 部门(单位)整体绩效目标表 too
)
