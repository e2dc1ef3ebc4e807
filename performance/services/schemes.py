"""Writes to the rules every unit works under: scoring schemes, which unit is scored with which,
and reporting windows. Checked against ``projects.permissions`` (``may_manage_schemes``,
``may_manage_windows``: see the README's administration matrix), validated, audited.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models, transaction

from projects import audit
from projects.permissions import may_manage_schemes, may_manage_windows

from ..models import ReportingWindow, SchemeAssignment, ScoringScheme


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
