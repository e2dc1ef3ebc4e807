"""Kind ``units`` (单位): the unit tree from the finance bureau's master data.

Columns 单位编码, 单位名称, 单位类型, 上级单位编码 (empty only for a 财政局). The file is overlaid
on the database and the final tree checked once (``projects.units_tree.check_tree``): a cycle,
a parent of the wrong kind or a missing parent is an error on the row that causes it. A change
of parent moves the subtree. With ``complete`` (and ``root``), units below the root that the
file leaves out are deactivated — never deleted — and only with ``expected_deactivations``.
Writes through ``projects.services.units.unit_tree_apply``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from projects.choices import UnitKind
from projects.permissions import MASTER_DATA_IMPORTERS
from projects.services.units import UnitSpec, UnitTreePlan, unit_tree_apply, unit_tree_plan

from ....choices import JobKind
from ..cell_cleaning import Bad, as_text, limited, required, unit_code
from ..columns import Column
from ..framework import ImportKind, PlanContext, WriteContext
from ..reading import Table
from ..result import ImportResult
from .master_data import Progress, clean_rows, expected_count, flag, guard_complete

COLUMNS = (
    Column("code", "单位编码"),
    Column("name", "单位名称"),
    Column("kind", "单位类型"),
    Column("parent", "上级单位编码", required=False),
)
KIND_OF = {**{label: value for value, label in UnitKind.choices}, **{v: v for v in UnitKind.values}}


@dataclass(frozen=True)
class UnitRow:
    row: int
    spec: UnitSpec


def _kind(value) -> str:
    text = "".join(unicodedata.normalize("NFKC", required(as_text(value))).split())
    if text not in KIND_OF:
        raise Bad(
            f"「{text[:20]}」不是单位类型（可填：财政局、主管部门、预算单位）。", "invalid_kind"
        )
    return KIND_OF[text]


def _parent(value) -> str | None:
    return unit_code(value) if as_text(value) else None


def validate(table: Table, result: ImportResult, progress: Progress | None) -> tuple[list, None]:
    """Clean every row; a code in two rows is an error when the rows differ."""
    rows = clean_rows(
        table,
        COLUMNS,
        result,
        progress,
        {
            "code": unit_code,
            "name": lambda v: limited(required(as_text(v)), "unit_name"),
            "kind": _kind,
            "parent": _parent,
        },
        lambda number, v: UnitRow(number, UnitSpec(v["code"], v["name"], v["kind"], v["parent"])),
    )
    first: dict[str, UnitRow] = {}
    kept = []
    for row in rows:
        seen = first.get(row.spec.code)
        if seen is None:
            first[row.spec.code] = row
            kept.append(row)
        elif seen.spec == row.spec:
            result.warn(f"与第{seen.row}行完全相同，已忽略。", "duplicate_row", row.row, "单位编码")
        else:
            what = "名称" if seen.spec.name != row.spec.name else "类型或上级单位"
            result.error(
                f"单位编码「{row.spec.code}」在第{seen.row}行已出现，两行的{what}不同"
                f"（「{seen.spec.name}」/「{row.spec.name}」）；一个单位只能写一行。",
                "unit_conflict",
                row.row,
                "单位编码",
            )
    return kept, None


@dataclass
class Plan:
    tree: UnitTreePlan


def plan(rows: list[UnitRow], context: PlanContext) -> Plan | None:
    result, options = context.result, context.options
    complete = flag(options, "complete")
    try:
        tree = unit_tree_plan(
            specs=[row.spec for row in rows],
            actor=context.actor,
            complete=complete,
            root=(options.get("root") or None) if complete else None,
            lock=context.lock,
        )
    except ValidationError as error:
        for key, messages in error.message_dict.items():
            for message in messages:
                result.error(message, "invalid_option", column=key)
        return None
    row_of = {row.spec.code: row.row for row in rows}
    rowed_cycles = {p.message for p in tree.problems if p.problem == "cycle" and p.code in row_of}
    for problem in tree.problems:
        number = row_of.get(problem.code)
        if number is None and problem.problem == "cycle" and rowed_cycles:
            continue  # the same loop, already named on the rows of the file that close it
        message = problem.message if number else f"单位「{problem.code}」：{problem.message}"
        column = "上级单位编码" if problem.problem != "unit_out_of_scope" else "单位编码"
        result.error(message, problem.problem, number, column if number else "")
    if not tree.problems:
        guard_complete(
            result,
            dry_run=not context.lock,
            count=len(tree.deactivate),
            expected=expected_count(options, "expected_deactivations"),
            key="expected_deactivations",
            what="停用单位",
        )
        if tree.deactivate:
            shown = "、".join(tree.deactivate[:50])
            more = " 等" if len(tree.deactivate) > 50 else ""
            result.notices.append(f"将停用（不删除）的单位：{shown}{more}。")
        for code, count in tree.moved.items():
            result.notices.append(f"单位「{code}」将移到新的上级单位下，连同下级 {count} 个单位。")
    return Plan(tree)


def count(plan: Plan, result: ImportResult) -> None:
    tree = plan.tree
    result.counts.update(
        units_created=len(tree.creates),
        units_updated=len(tree.changes) - len(tree.deactivate),
        units_moved=len(tree.moved),
        units_deactivated=len(tree.deactivate),
        units_reactivated=len(tree.reactivate),
        units_unchanged=tree.unchanged,
    )


def write(plan: Plan, context: WriteContext) -> None:
    unit_tree_apply(
        plan=plan.tree, actor=context.actor, comment=f"导入文件：{context.result.filename}"
    )


UNITS = ImportKind(
    name="units",
    title="单位",
    job_kind=JobKind.IMPORT_UNITS,
    roles=frozenset(MASTER_DATA_IMPORTERS),
    columns=COLUMNS,
    example="units.csv",
    counts=(
        ("rows", "行数"),
        ("units_created", "新增单位"),
        ("units_updated", "更新单位"),
        ("units_moved", "移动单位"),
        ("units_deactivated", "停用单位"),
        ("units_reactivated", "重新启用单位"),
        ("units_unchanged", "未变化单位"),
    ),
    change_counts=("units_created", "units_updated", "units_deactivated"),
    validate=validate,
    plan=plan,
    count=count,
    write=write,
    refusal_message="您没有导入单位的权限（需要：管理员）。",
)
