"""Writes to the unit tree: create or update units (master data, imports), save and delete."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from .. import audit
from ..models import AuditAction, Membership, Unit
from ..permissions import UNIT_ADMINS, require_role
from . import accounts
from .accounts import membership_add as membership_add  # users and memberships live there


@transaction.atomic
def unit_upsert(*, code: str, name: str, kind: str, parent: Unit | None, actor=None) -> Unit:
    """Create a unit or update its name/kind/parent; idempotent for the same data."""
    unit = Unit.objects.filter(code=code).first()
    created = unit is None
    before = {} if created else audit.snapshot(unit, ("name", "kind", "parent"))
    unit = unit or Unit(code=code)
    unit.name, unit.kind, unit.parent = name, kind, parent
    unit.full_clean()
    after = audit.snapshot(unit, ("name", "kind", "parent"))
    if created or before != after:
        unit.save()
        audit.record(
            obj=unit,
            actor=actor,
            action=AuditAction.CREATE if created else AuditAction.UPDATE,
            changes=audit.diff(before, after),
        )
    return unit


UNIT_FIELDS = ("code", "name", "kind", "parent", "is_active")


@transaction.atomic
def unit_save(*, data: Mapping[str, Any], actor=None, unit: Unit | None = None) -> Unit:
    """Create or edit a unit (admin screens); system administrators only."""
    created = unit is None
    unit = Unit() if created else Unit.objects.select_for_update().get(pk=unit.pk)
    anchor = unit.parent if created else unit
    if actor is not None and not actor.is_superuser:
        scope = data.get("parent") if created else anchor
        if scope is None:
            raise PermissionDenied("只有系统管理员可以新增财政局。")
        require_role(actor, scope, UNIT_ADMINS, "维护单位")
    before = {} if created else audit.snapshot(unit, UNIT_FIELDS)
    for key in UNIT_FIELDS:
        if key in data:
            setattr(unit, key, data[key])
    unit.full_clean()
    unit.save()
    audit.record(
        obj=unit,
        actor=actor,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        changes=audit.diff(before, audit.snapshot(unit, UNIT_FIELDS)),
    )
    return unit


@transaction.atomic
def unit_delete(*, unit: Unit, actor=None) -> None:
    """Delete a unit (system administrators only; one with projects or sub-units is protected).
    Its memberships are revoked through ``accounts`` first, so their users' groups follow."""
    if actor is not None and not actor.is_superuser:
        raise PermissionDenied("只有系统管理员可以删除单位。")
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    for membership in Membership.objects.filter(unit=unit):
        accounts.membership_remove(membership=membership, actor=actor)
    before = audit.snapshot(unit, UNIT_FIELDS)
    audit.record(obj=unit, actor=actor, action=AuditAction.DELETE, changes=audit.diff(before, {}))
    unit.delete()
