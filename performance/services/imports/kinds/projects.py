"""Kind ``projects`` (项目库和预算): the year's project library with a budget per fund source.

One row per (project, fund source). The project's own columns repeat on each of its rows and
must agree. Writes go through ``projects.services.projects`` (``project_save``,
``project_set_budget``): the same validation and audit rows as the admin; rows equal to the
database write nothing, so the same file twice changes nothing. A budget of a fund source
absent from the file is kept; optional project columns absent from the file leave those
fields alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q

from projects.choices import FundSource, UnitKind
from projects.models import Project, ProjectBudget, Unit
from projects.permissions import UNIT_EDITORS, may_edit_unit, visible_units
from projects.services.projects import project_save, project_set_budget

from ....choices import JobKind, Status
from ....models import PerformanceGoal
from .. import cell_cleaning, money_cells
from ..cell_cleaning import Bad
from ..columns import PROJECT_TYPE_LABELS, Column
from ..framework import ImportKind, PlanContext, WriteContext
from ..reading import Table
from ..result import ImportResult
from .money_table import map_columns

COLUMNS: tuple[Column, ...] = (
    Column("year", "年度"),
    Column("unit_code", "单位编码"),
    Column("code", "项目编码"),
    Column("name", "项目名称"),
    Column("category", "项目类型"),
    Column("continuity", "新增/延续", required=False),
    Column("period_start", "实施期开始", required=False),
    Column("period_end", "实施期结束", required=False),
    Column("leader", "项目负责人", required=False),
    Column("phone", "联系电话", required=False),
    Column("managing_office", "资金归口处室", required=False),
    Column("fund_source", "资金来源"),
    Column("amount", "年初预算(万元)"),
    Column("adjusted_amount", "调整后预算(万元)", required=False),
)
HEADER = {column.key: column.header for column in COLUMNS}
MONEY_KEYS = ("amount", "adjusted_amount")
PROJECT_KEYS = (
    "name",
    "category",
    "continuity",
    "period_start",
    "period_end",
    "leader",
    "phone",
    "managing_office",
)
SCALE_SUSPECT = 1000  # a new budget this many times the current one: 元 typed as 万元?


@dataclass(slots=True)
class ProjectRow:
    row: int
    year: int
    unit_code: str
    code: str
    project: dict[str, Any]  # PROJECT_KEYS present in the file
    fund_source: str
    amount: Decimal
    adjusted_amount: Decimal | None

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.unit_code, self.year, self.code)


@dataclass
class ProjectsPlan:
    creates: list[tuple[ProjectRow, Unit]] = field(default_factory=list)
    updates: list[tuple[ProjectRow, Project, dict]] = field(default_factory=list)
    budgets: list[tuple[ProjectRow, Project | None, Decimal, Decimal]] = field(default_factory=list)
    unchanged_projects: int = 0
    unchanged_budgets: int = 0


def _clean(key: str, value, in_yuan: bool):
    if key == "year":
        return cell_cleaning.year(value)
    if key == "unit_code":
        return cell_cleaning.unit_code(value)
    if key == "code":
        return cell_cleaning.project_code(value)
    if key == "name":
        return cell_cleaning.required(money_cells.text(value, max_length=300))
    if key == "category":
        return cell_cleaning.project_type(value)
    if key == "continuity":
        return money_cells.continuity(value)
    if key in ("period_start", "period_end"):
        return money_cells.optional_date(value)
    if key == "leader":
        return money_cells.text(value, max_length=50)
    if key == "phone":
        return money_cells.text(value, max_length=30)
    if key == "managing_office":
        return money_cells.text(value, max_length=100)
    if key == "fund_source":
        return money_cells.fund_source(value)
    if key == "amount":
        return money_cells.money(value, in_yuan=in_yuan)
    if key == "adjusted_amount":
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return money_cells.money(value, in_yuan=in_yuan)
    raise KeyError(key)


def validate(table: Table, result: ImportResult, progress=None) -> tuple[list, dict]:
    """Every row cleaned (no database); rows of one project must describe it alike."""
    index, in_yuan = map_columns(table, result, COLUMNS, MONEY_KEYS)
    rows: list[ProjectRow] = []
    for number, values in table.rows:
        cleaned: dict[str, Any] = {}
        bad = False
        for key, position in index.items():
            value = values[position] if position < len(values) else None
            try:
                cleaned[key] = _clean(key, value, in_yuan)
            except Bad as problem:
                result.error(problem.message, problem.code, number, HEADER[key])
                bad = True
        if bad:
            continue
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        if start and end and end < start:
            result.error(
                "实施期结束日期不能早于开始日期。", "period_order", number, HEADER["period_end"]
            )
            continue
        rows.append(
            ProjectRow(
                row=number,
                year=cleaned["year"],
                unit_code=cleaned["unit_code"],
                code=cleaned["code"],
                project={k: cleaned[k] for k in PROJECT_KEYS if k in cleaned},
                fund_source=cleaned["fund_source"],
                amount=cleaned["amount"],
                adjusted_amount=cleaned.get("adjusted_amount"),
            )
        )
        if progress and len(rows) % 500 == 0:
            progress(len(rows))
    _check_consistency(rows, result)
    return rows, {"in_yuan": in_yuan}


def _check_consistency(rows: list[ProjectRow], result: ImportResult) -> None:
    first: dict[tuple, ProjectRow] = {}
    sources: dict[tuple, int] = {}
    for row in rows:
        seen = first.setdefault(row.key, row)
        if seen is not row:
            for key, value in row.project.items():
                if seen.project.get(key) != value:
                    result.error(
                        f"项目 {row.code} 在第 {seen.row} 行与本行的「{HEADER[key]}」不一致；"
                        "同一项目的各行应相同。",
                        "project_conflict",
                        row.row,
                        HEADER[key],
                    )
                    break
        budget_key = (*row.key, row.fund_source)
        if budget_key in sources:
            result.error(
                f"项目 {row.code} 的资金来源「{FundSource(row.fund_source).label}」在第 "
                f"{sources[budget_key]} 行已出现；每个项目每个资金来源只写一行。",
                "duplicate_row",
                row.row,
                HEADER["fund_source"],
            )
        sources.setdefault(budget_key, row.row)


def plan(rows: list[ProjectRow], context: PlanContext) -> ProjectsPlan:
    """Units, scope, existing projects and budgets read in a few queries; every write decided."""
    result, actor = context.result, context.actor
    out = ProjectsPlan()
    codes = {row.unit_code for row in rows}
    units = {u.code: u for u in Unit.objects.filter(code__in=codes)}
    if actor is not None and not actor.is_superuser:
        visible = set(visible_units(actor).filter(code__in=codes).values_list("code", flat=True))
        units = {code: unit for code, unit in units.items() if code in visible}
    allowed: list[ProjectRow] = []
    for row in rows:
        unit = units.get(row.unit_code)
        if unit is None:
            result.error(
                f"单位编码 {row.unit_code} 不存在或不在您的权限范围内。",
                "unknown_unit",
                row.row,
                HEADER["unit_code"],
            )
        elif unit.kind == UnitKind.FINANCE:
            result.error(
                f"单位 {unit} 是财政局，项目必须属于主管部门或预算单位。",
                "finance_unit",
                row.row,
                HEADER["unit_code"],
            )
        elif not may_edit_unit(actor, unit):
            result.error(
                f"您不能维护单位「{unit}」的项目（需要：填报人、单位审核人或管理员）。",
                "unit_out_of_scope",
                row.row,
                HEADER["unit_code"],
            )
        else:
            allowed.append(row)
    if not allowed:
        return out
    keys = {(units[r.unit_code].pk, r.year, r.code) for r in allowed}
    condition = Q()
    for unit_id, year, code in keys:
        condition |= Q(unit_id=unit_id, year=year, code=code)
    existing = Project.objects.filter(condition).select_related("unit")
    if context.lock:
        existing = existing.select_for_update(of=("self",))
    projects = {(p.unit.code, p.year, p.code): p for p in existing}
    _check_codes_of_other_units(allowed, projects, units, actor, result)
    budgets = {
        (b.project_id, b.fund_source): b
        for b in ProjectBudget.objects.filter(project__in=list(projects.values()))
    }
    approved = set(
        PerformanceGoal.objects.filter(
            project__in=list(projects.values()), status=Status.APPROVED
        ).values_list("project_id", flat=True)
    )
    planned: set[tuple] = set()
    warned: set[int] = set()
    for row in allowed:
        project = projects.get(row.key)
        if row.key not in planned:
            planned.add(row.key)
            if project is None:
                out.creates.append((row, units[row.unit_code]))
            else:
                changes = {k: v for k, v in row.project.items() if getattr(project, k) != v}
                if changes:
                    out.updates.append((row, project, changes))
                else:
                    out.unchanged_projects += 1
        adjusted = row.adjusted_amount if row.adjusted_amount is not None else row.amount
        budget = budgets.get((project.pk, row.fund_source)) if project else None
        if budget is not None and (budget.amount, budget.adjusted_amount) == (row.amount, adjusted):
            out.unchanged_budgets += 1
            continue
        if budget is not None and budget.adjusted_amount > 0:
            for old, new, key in (
                (budget.amount, row.amount, "amount"),
                (budget.adjusted_amount, adjusted, "adjusted_amount"),
            ):
                if old > 0 and new >= old * SCALE_SUSPECT:
                    result.error(
                        f"预算 {cell_cleaning.plain(new)} 万元是现有预算 "
                        f"{cell_cleaning.plain(old)} 万元的 {int(new / old)} 倍，疑似以“元”填写；"
                        "本列单位为万元。",
                        "amount_scale_suspect",
                        row.row,
                        HEADER[key],
                    )
                    break
        if project is not None and project.pk in approved and project.pk not in warned:
            warned.add(project.pk)
            result.warn(
                f"项目 {project.code} 的目标已批复，预算变化后可能需要调整目标。",
                "budget_after_approval",
                row.row,
            )
        out.budgets.append((row, project, row.amount, adjusted))
    return out


def _check_codes_of_other_units(rows, projects, units, actor, result) -> None:
    """A new project whose code another visible unit holds that year is a row error."""
    new = {(r.year, r.code) for r in rows if r.key not in projects}
    if not new:
        return
    condition = Q()
    for year, code in new:
        condition |= Q(year=year, code=code)
    others = Project.objects.filter(condition).select_related("unit")
    if actor is not None and not actor.is_superuser:
        others = others.filter(unit__in=visible_units(actor))
    holder = {}
    for other in others.order_by("unit__code"):
        holder.setdefault((other.year, other.code), []).append(other)
    for row in rows:
        for other in holder.get((row.year, row.code), ()):
            if other.unit.code != row.unit_code and row.key not in projects:
                result.error(
                    f"项目编码 {row.code}（{row.year} 年）已属于单位「{other.unit}」，"
                    "请核对项目编码或所属单位。",
                    "project_of_other_unit",
                    row.row,
                    HEADER["code"],
                )
                break


def count(plan: ProjectsPlan, result: ImportResult) -> None:
    result.counts.update(
        rows=sum(1 for _ in plan.budgets) + plan.unchanged_budgets,
        projects_created=len(plan.creates),
        projects_updated=len(plan.updates),
        projects_unchanged=plan.unchanged_projects,
        budgets_changed=len(plan.budgets),
        budgets_unchanged=plan.unchanged_budgets,
    )
    if any(row.fund_source for row, *_ in plan.budgets):
        result.notices.append("文件中没有出现的资金来源的预算保持不变（不会删除）。")


def write(plan: ProjectsPlan, context: WriteContext) -> None:
    """Projects, then budgets, through the same services as the admin (audited)."""
    actor = context.actor
    saved: dict[tuple, Project] = {}
    for row, unit in plan.creates:
        data = {"code": row.code, "year": row.year, "unit": unit, **row.project}
        saved[row.key] = project_save(data=data, actor=actor)
    for row, project, changes in plan.updates:
        saved[row.key] = project_save(
            data=changes, actor=actor, project=project, expected_version=project.lock_version
        )
    for row, project, amount, adjusted in plan.budgets:
        project_set_budget(
            project=saved.get(row.key) or project,
            fund_source=row.fund_source,
            amount=amount,
            adjusted_amount=adjusted,
            actor=actor,
        )


PROJECTS = ImportKind(
    name="projects",
    title="项目库和预算",
    job_kind=JobKind.IMPORT_PROJECTS,
    roles=frozenset(UNIT_EDITORS),
    columns=COLUMNS,
    example="projects.csv",
    counts=(
        ("rows", "行数"),
        ("projects_created", "新增项目"),
        ("projects_updated", "更新项目"),
        ("projects_unchanged", "未变化项目"),
        ("budgets_changed", "新增或变化的预算"),
        ("budgets_unchanged", "未变化预算"),
    ),
    change_counts=("projects_created", "projects_updated", "budgets_changed"),
    validate=validate,
    plan=plan,
    count=count,
    write=write,
    refusal_message="您没有导入项目库和预算的权限（需要：填报人、单位审核人或管理员）。",
)

__all__ = ["COLUMNS", "PROJECTS", "PROJECT_TYPE_LABELS"]
