"""Writes to the rules every unit works under: scoring schemes, which unit is scored with which,
reporting windows, each finance bureau's review settings and the working-day calendar. Checked
against ``projects.permissions`` (``may_manage_schemes``, ``may_manage_windows``,
``may_manage_bureau_policy``: see the README's administration matrix), validated, audited.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction

from projects import audit
from projects.choices import UnitKind
from projects.models import Unit
from projects.permissions import may_manage_bureau_policy, may_manage_schemes, may_manage_windows

from ..models import (
    BureauPolicy,
    ReportingWindow,
    SchemeAssignment,
    ScoringScheme,
    WorkCalendarDay,
)


def editable_fields(model: type[models.Model]) -> tuple[str, ...]:
    """The fields of ``model`` a form may set (what the audit snapshots)."""
    return tuple(f.name for f in model._meta.concrete_fields if f.editable and not f.primary_key)


def _require(check: Callable[[Any], bool], actor, what: str) -> None:
    if actor is not None and not check(actor):
        raise PermissionDenied(f"您没有维护{what}的权限（见“管理权限”说明）。")


def _save(model, instance, data: Mapping[str, Any], actor, check, what: str):
    _require(check, actor, what)
    return audit.save_recorded(model, instance, data, fields=editable_fields(model), actor=actor)


def _delete(instance, actor, check, what: str) -> None:
    _require(check, actor, what)
    audit.delete_recorded(instance, fields=editable_fields(type(instance)), actor=actor)


@transaction.atomic
def scheme_save(
    *, data: Mapping[str, Any], actor=None, scheme: ScoringScheme | None = None
) -> ScoringScheme:
    """Create or change a scoring scheme (finance-bureau 管理员 and superusers)."""
    return _save(ScoringScheme, scheme, data, actor, may_manage_schemes, "评分方案")


@transaction.atomic
def scheme_delete(*, scheme: ScoringScheme, actor=None) -> None:
    """Delete a scheme no unit uses (the database protects a used one)."""
    _delete(scheme, actor, may_manage_schemes, "评分方案")


@transaction.atomic
def scheme_assignment_save(
    *, data: Mapping[str, Any], actor=None, assignment: SchemeAssignment | None = None
) -> SchemeAssignment:
    """Score a unit (and the units below it) with a scheme: not the unit's own choice."""
    return _save(SchemeAssignment, assignment, data, actor, may_manage_schemes, "评分方案适用单位")


@transaction.atomic
def scheme_assignment_delete(*, assignment: SchemeAssignment, actor=None) -> None:
    """The unit falls back to its parent's scheme, or the default."""
    _delete(assignment, actor, may_manage_schemes, "评分方案适用单位")


@transaction.atomic
def window_save(
    *, data: Mapping[str, Any], actor=None, window: ReportingWindow | None = None
) -> ReportingWindow:
    """Create or change a reporting window (财政审核人, finance-bureau 管理员, superusers)."""
    return _save(ReportingWindow, window, data, actor, may_manage_windows, "填报时间窗口")


@transaction.atomic
def window_delete(*, window: ReportingWindow, actor=None) -> None:
    _delete(window, actor, may_manage_windows, "填报时间窗口")


# --- review settings and the working-day calendar (issue 15) -------------------------------------


@transaction.atomic
def bureau_policy_save(
    *, bureau: Unit, data: Mapping[str, Any], actor=None, policy: BureauPolicy | None = None
) -> BureauPolicy:
    """Set a finance bureau's 审核设置 (its 管理员 and superusers); creates its row on the first
    save, so a bureau without one keeps the defaults until someone changes them."""
    if bureau is None or bureau.kind != UnitKind.FINANCE:
        raise ValidationError({"bureau": "审核设置只能为财政局设置。"})
    if actor is not None and not may_manage_bureau_policy(actor, bureau):
        raise PermissionDenied(f"只有“{bureau.name}”的管理员或系统管理员可以修改其审核设置。")
    if policy is None:
        policy = BureauPolicy.objects.filter(bureau=bureau).first()
    elif policy.bureau_id != bureau.pk:
        raise ValidationError({"bureau": "审核设置的财政局不能更改。"})
    values = {key: value for key, value in data.items() if key != "bureau"}
    if policy is None:
        values["bureau"] = bureau
    return audit.save_recorded(
        BureauPolicy, policy, values, fields=editable_fields(BureauPolicy), actor=actor
    )


@transaction.atomic
def calendar_day_save(
    *, data: Mapping[str, Any], actor=None, day: WorkCalendarDay | None = None
) -> WorkCalendarDay:
    """List a holiday or a 调休 working day (whoever maintains the reporting windows)."""
    return _save(WorkCalendarDay, day, data, actor, may_manage_windows, "工作日历")


@transaction.atomic
def calendar_day_delete(*, day: WorkCalendarDay, actor=None) -> None:
    """The date becomes what its weekday says again."""
    _delete(day, actor, may_manage_windows, "工作日历")
