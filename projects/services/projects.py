"""Every write to projects, budgets and execution records (units: ``units``; users and
memberships: ``accounts``).

Services are keyword-only, run in a transaction, validate with ``full_clean()`` and write an
audit row. The admin, the API, imports and the demo loader all call them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from .. import audit
from ..choices import FundSource
from ..models import AuditAction, ExecutionRecord, Project, ProjectBudget, Unit
from ..permissions import require_editor, visible_units
from .accounts import membership_add as membership_add  # users and memberships live there
from .locking import check_lock_version

PROJECT_FIELDS = (
    "code",
    "name",
    "unit",
    "year",
    "category",
    "continuity",
    "period_start",
    "period_end",
    "leader",
    "phone",
    "managing_office",
    "overview",
    "basis",
)
BUDGET_FIELDS = ("amount", "adjusted_amount")


def project_of_other_unit(*, code: str, year: int, unit: Unit, actor) -> Project | None:
    """Another unit's project with this code and year that ``actor`` may see (None: the system
    sees every unit); projects of units the actor cannot see are never looked at."""
    others = Project.objects.filter(code=code, year=year).exclude(unit=unit)
    if actor is not None:
        others = others.filter(unit__in=visible_units(actor))
    return others.select_related("unit").order_by("unit__code").first()


def check_code_of_other_units(project: Project, actor) -> None:
    """Refuse a code that a unit the actor can see already uses for that year."""
    if not (project.code and project.year):
        return
    other = project_of_other_unit(
        code=project.code, year=project.year, unit=project.unit, actor=actor
    )
    if other is not None and other.pk != project.pk:
        raise ValidationError(
            {
                "code": f"项目编码 {project.code}（{project.year} 年）已属于单位「{other.unit}」，"
                "请核对项目编码或所属单位。"
            }
        )


@transaction.atomic
def project_save(
    *,
    data: Mapping[str, Any],
    actor=None,
    project: Project | None = None,
    expected_version: int | None = None,
) -> Project:
    """Create or update a project from field values; checks the editor's role and the version."""
    created = project is None
    if created:
        project = Project()
        before: dict[str, Any] = {}
    else:
        project = Project.objects.select_for_update().get(pk=project.pk)
        check_lock_version(project, expected_version)
        before = audit.snapshot(project, PROJECT_FIELDS)
        require_editor(actor, project.unit, "修改项目")
    for key, value in data.items():
        if key not in PROJECT_FIELDS:
            raise ValidationError({key: "未知字段。"})
        setattr(project, key, value)
    if project.unit_id:
        require_editor(actor, project.unit, "维护项目")
    project.full_clean()
    if created or {"code", "year", "unit"} & set(data):
        check_code_of_other_units(project, actor)
    after = audit.snapshot(project, PROJECT_FIELDS)
    changes = audit.diff(before, after)
    if created or changes:
        if not created:
            project.lock_version += 1
        project.save()
        audit.record(
            obj=project,
            actor=actor,
            action=AuditAction.CREATE if created else AuditAction.UPDATE,
            changes=changes,
        )
    return project


@transaction.atomic
def project_delete(*, project: Project, actor=None) -> None:
    """Delete a project and what hangs on it (budgets, execution, goals, reports; the admin's
    delete page lists them first): system administrators only, the audit keeps its fields."""
    if actor is not None and not actor.is_superuser:
        raise PermissionDenied("只有系统管理员可以删除项目。")
    project = Project.objects.select_for_update().get(pk=project.pk)
    before = audit.snapshot(project, PROJECT_FIELDS)
    budgets = {
        f"budget.{b.fund_source}": [audit.snapshot(b, BUDGET_FIELDS), None]
        for b in project.budgets.all()
    }
    audit.record(
        obj=project,
        actor=actor,
        action=AuditAction.DELETE,
        changes={**audit.diff(before, {}), **budgets},
    )
    project.delete()


@transaction.atomic
def project_set_budget(
    *,
    project: Project,
    fund_source: str,
    amount: Decimal,
    adjusted_amount: Decimal | None = None,
    actor=None,
) -> ProjectBudget:
    """Set the initial (and adjusted) budget of one fund source; the adjusted defaults to it."""
    require_editor(actor, project.unit, "维护项目预算")
    FundSource(fund_source)
    budget = ProjectBudget.objects.filter(project=project, fund_source=fund_source).first()
    before = {} if budget is None else audit.snapshot(budget, BUDGET_FIELDS)
    budget = budget or ProjectBudget(project=project, fund_source=fund_source)
    budget.amount = Decimal(amount)
    budget.adjusted_amount = Decimal(adjusted_amount if adjusted_amount is not None else amount)
    budget.full_clean()
    after = audit.snapshot(budget, BUDGET_FIELDS)
    changes = audit.diff(before, after)
    if changes:
        budget.save()
        audit.record(
            obj=project,
            actor=actor,
            action=AuditAction.UPDATE,
            changes={f"budget.{fund_source}.{k}": v for k, v in changes.items()},
            comment="项目预算",
        )
    return budget


@transaction.atomic
def execution_add(
    *,
    project: Project,
    date: dt.date,
    amount: Decimal,
    fund_source: str = "",
    note: str = "",
    actor=None,
) -> ExecutionRecord:
    """Record a payment (negative for a correction) against a project."""
    require_editor(actor, project.unit, "登记支出")
    record = ExecutionRecord(
        project=project,
        date=date,
        amount=Decimal(amount),
        fund_source=fund_source,
        note=note,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    record.full_clean()
    record.save()
    audit.record(
        obj=project,
        actor=actor,
        action=AuditAction.UPDATE,
        changes={"execution": [None, {"date": date, "amount": record.amount, "note": note}]},
        comment="登记支出",
    )
    return record


@transaction.atomic
def project_budget_update(
    *, budget: ProjectBudget, data: Mapping[str, Any], actor=None
) -> ProjectBudget:
    """Change one budget row: its fund source and amounts (the project stays)."""
    budget = ProjectBudget.objects.select_for_update().select_related("project").get(pk=budget.pk)
    require_editor(actor, budget.project.unit, "维护项目预算")
    fields = ("fund_source", *BUDGET_FIELDS)
    unknown = [key for key in data if key not in fields]
    if unknown:
        raise ValidationError({key: "未知字段。" for key in unknown})
    before = audit.snapshot(budget, fields)
    for key, value in data.items():
        setattr(budget, key, value)
    budget.full_clean()
    changes = audit.diff(before, audit.snapshot(budget, fields))
    if changes:
        budget.save()
        audit.record(
            obj=budget.project,
            actor=actor,
            action=AuditAction.UPDATE,
            changes={f"budget.{before['fund_source']}.{k}": v for k, v in changes.items()},
            comment="项目预算",
        )
    return budget


@transaction.atomic
def project_budget_delete(*, budget: ProjectBudget, actor=None) -> None:
    """Remove one fund source's budget from a project."""
    require_editor(actor, budget.project.unit, "维护项目预算")
    before = audit.snapshot(budget, BUDGET_FIELDS)
    budget.delete()
    audit.record(
        obj=budget.project,
        actor=actor,
        action=AuditAction.DELETE,
        changes={f"budget.{budget.fund_source}": [before, None]},
        comment="删除项目预算",
    )


EXECUTION_FIELDS = ("date", "amount", "fund_source", "note")
IMPORTED_RECORD_FIXED = "来自国库支付系统的记录不能修改，请由来源系统发送冲销行。"


def refuse_imported(record: ExecutionRecord) -> None:
    """A record of an imported batch is the source system's: corrected only by its reversal."""
    if record.batch_id:
        raise ValidationError(IMPORTED_RECORD_FIXED, code="imported_record")


@transaction.atomic
def execution_update(
    *, record: ExecutionRecord, data: Mapping[str, Any], actor=None
) -> ExecutionRecord:
    """Correct a recorded payment; the audit keeps the old values."""
    record = ExecutionRecord.objects.select_for_update().get(pk=record.pk)
    require_editor(actor, record.project.unit, "修改支出记录")
    refuse_imported(record)
    before = audit.snapshot(record, EXECUTION_FIELDS)
    for key in EXECUTION_FIELDS:
        if key in data:
            setattr(record, key, data[key])
    record.full_clean()
    changes = audit.diff(before, audit.snapshot(record, EXECUTION_FIELDS))
    if changes:
        record.save()
        audit.record(
            obj=record.project,
            actor=actor,
            action=AuditAction.UPDATE,
            changes={f"execution[{record.pk}].{k}": v for k, v in changes.items()},
            comment="修改支出记录",
        )
    return record


@transaction.atomic
def execution_delete(*, record: ExecutionRecord, actor=None) -> None:
    require_editor(actor, record.project.unit, "删除支出记录")
    refuse_imported(record)
    before = audit.snapshot(record, EXECUTION_FIELDS)
    pk = record.pk
    record.delete()
    audit.record(
        obj=record.project,
        actor=actor,
        action=AuditAction.DELETE,
        changes={f"execution[{pk}]": [before, None]},
        comment="删除支出记录",
    )
