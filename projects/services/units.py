"""Writes to the unit tree: create or update units (master data, imports), save and delete."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from .. import audit
from ..bulk_writes import bulk_create_rows, bulk_update_values
from ..models import AuditAction, Membership, Unit
from ..permissions import (
    UNIT_ADMINS,
    administered_paths,
    forget_cached_memberships,
    require_role,
    unit_import_refusal,
)
from ..units_tree import TreeNode, TreeProblem, check_tree, tree_paths
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
            raise PermissionDenied(gettext("只有系统管理员可以新增财政局。"))
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
        raise PermissionDenied(gettext("只有系统管理员可以删除单位。"))
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    for membership in Membership.objects.filter(unit=unit):
        accounts.membership_remove(membership=membership, actor=actor)
    before = audit.snapshot(unit, UNIT_FIELDS)
    audit.record(obj=unit, actor=actor, action=AuditAction.DELETE, changes=audit.diff(before, {}))
    unit.delete()


# --- the unit tree from master data (imports) ----------------------------------------------------


@dataclass(frozen=True)
class UnitSpec:
    """One unit as a master-data file states it (``parent``: the parent's code)."""

    code: str
    name: str
    kind: str
    parent: str | None


@dataclass(frozen=True)
class _Existing:
    pk: int
    code: str
    name: str
    kind: str
    parent: str | None
    is_active: bool
    path: str


@dataclass
class UnitTreePlan:
    """Every write :func:`unit_tree_apply` would make, decided in memory, and every problem
    (by unit code) that forbids it."""

    creates: list[UnitSpec] = field(default_factory=list)
    changes: dict[str, dict[str, list]] = field(default_factory=dict)  # code → audit diff
    moved: dict[str, int] = field(default_factory=dict)  # code → units below it moved along
    deactivate: list[str] = field(default_factory=list)
    reactivate: list[str] = field(default_factory=list)
    unchanged: int = 0
    problems: list[TreeProblem] = field(default_factory=list)
    nodes: dict[str, TreeNode] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    existing: dict[str, _Existing] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.creates or self.changes or self.deactivate)


def _complete_root(actor, root: str | None, existing: dict[str, _Existing]) -> str | None:
    """The path below which a complete import deactivates; ``""`` means every unit."""
    paths = administered_paths(actor)
    if root:
        unit = existing.get(root)
        if unit is None:
            raise ValidationError({"root": gettext("根单位「%(root)s」不存在。") % {"root": root}})
        if paths is not None and not any(unit.path.startswith(p) for p in paths):
            raise ValidationError(
                {
                    "root": gettext("您不是「%(root)s」的管理员，不能对其做完整导入。")
                    % {"root": root}
                }
            )
        return unit.path
    if paths is None:
        return ""
    if len(paths) != 1:
        raise ValidationError({"root": gettext("您管理多个单位，完整导入时请指定根单位（root）。")})
    return next(iter(paths))


def unit_tree_plan(
    *,
    specs: Sequence[UnitSpec],
    actor,
    complete: bool = False,
    root: str | None = None,
    lock: bool = False,
) -> UnitTreePlan:
    """Overlay ``specs`` (one per code) on the unit tree and decide every write.

    A unit's parent, name and kind are the file's where the file has the unit, else the
    database's; a change of parent moves the subtree. With ``complete``, every active unit
    strictly below ``root`` that the file does not list is deactivated (never deleted); a
    listed inactive unit is reactivated. The final tree is checked by ``check_tree`` and each
    written row by ``unit_import_refusal``; problems are returned, nothing is written.
    Raises ``ValidationError`` (``root``) for a root the actor may not import completely."""
    units = Unit.objects.all()
    if lock:
        units = units.select_for_update()
    rows = list(units.values_list("pk", "code", "name", "kind", "parent_id", "is_active", "path"))
    code_of = {pk: code for pk, code, *_ in rows}
    existing = {
        code: _Existing(pk, code, name, kind, code_of.get(parent_id), active, path)
        for pk, code, name, kind, parent_id, active, path in rows
    }
    plan = UnitTreePlan(existing=existing)
    plan.nodes = {c: TreeNode(c, u.kind, u.parent, u.is_active) for c, u in existing.items()}
    plan.names = {c: u.name for c, u in existing.items()}
    listed = set()
    for spec in specs:
        listed.add(spec.code)
        plan.nodes[spec.code] = TreeNode(spec.code, spec.kind, spec.parent, True)
        plan.names[spec.code] = spec.name
        unit = existing.get(spec.code)
        if unit is not None and not unit.is_active:
            plan.reactivate.append(spec.code)
    if complete:
        below = _complete_root(actor, root, existing)
        for code, unit in existing.items():
            if code in listed or not unit.is_active or unit.path == below:
                continue
            if unit.path.startswith(below):
                plan.deactivate.append(code)
                plan.nodes[code] = replace(plan.nodes[code], is_active=False)
    plan.problems = check_tree(plan.nodes)
    if plan.problems:
        return plan
    paths = tree_paths(plan.nodes)
    admin_paths = administered_paths(actor)
    for spec in specs:
        unit = existing.get(spec.code)
        parent_path = paths[spec.parent] if spec.parent else None
        if unit is None:
            plan.creates.append(spec)
            refusal = unit_import_refusal(
                admin_paths, kind=spec.kind, path=None, parent_path=parent_path, moved=False
            )
        else:
            diff = {
                key: [old, new]
                for key, old, new in (
                    ("name", unit.name, spec.name),
                    ("kind", unit.kind, spec.kind),
                    ("parent", unit.parent, spec.parent),
                    ("is_active", unit.is_active, True),
                )
                if old != new
            }
            if not diff:
                plan.unchanged += 1
                continue
            plan.changes[spec.code] = diff
            moved = "parent" in diff
            if moved:
                plan.moved[spec.code] = (
                    sum(1 for u in existing.values() if u.path.startswith(unit.path)) - 1
                )
            refusal = unit_import_refusal(
                admin_paths, kind=spec.kind, path=unit.path, parent_path=parent_path, moved=moved
            )
        if refusal:
            plan.problems.append(TreeProblem(spec.code, "unit_out_of_scope", refusal))
    for code in plan.deactivate:
        unit = existing[code]
        refusal = unit_import_refusal(
            admin_paths,
            kind=unit.kind,
            path=unit.path,
            parent_path=paths.get(unit.parent) if unit.parent else None,
            moved=False,
        )
        if refusal:
            plan.problems.append(TreeProblem(code, "unit_out_of_scope", refusal))
        plan.changes[code] = {"is_active": [True, False]}
    return plan


@transaction.atomic
def unit_tree_apply(*, plan: UnitTreePlan, actor, comment: str) -> dict[str, int]:
    """Carry out a problem-free :func:`unit_tree_plan`: new units inserted top-down in bulk,
    changed units and every moved subtree's paths written set-based, one audit row per created
    or changed unit (a move's row says how many units moved with it). Returns the counts."""
    problems = plan.problems or check_tree(plan.nodes)
    if problems:
        raise ValidationError([f"{p.code}：{p.message}" for p in problems])
    paths = tree_paths(plan.nodes)
    pk_of = {code: unit.pk for code, unit in plan.existing.items()}
    levels: dict[int, list[UnitSpec]] = {}
    for spec in plan.creates:
        levels.setdefault(paths[spec.code].count("/"), []).append(spec)
    for depth in sorted(levels):  # parents before children: each level knows its parents' ids
        inserted = bulk_create_rows(
            [
                Unit(
                    code=spec.code,
                    name=spec.name,
                    kind=spec.kind,
                    parent_id=pk_of[spec.parent] if spec.parent else None,
                    path=paths[spec.code],
                )
                for spec in levels[depth]
            ]
        )
        pk_of.update((unit.code, unit.pk) for unit in inserted)
    now = timezone.now()
    updates = []
    for code, unit in plan.existing.items():
        node = plan.nodes[code]
        name = plan.names[code]
        if (name, node.kind, node.parent, node.is_active, paths[code]) == (
            unit.name,
            unit.kind,
            unit.parent,
            unit.is_active,
            unit.path,
        ):
            continue
        parent_pk = pk_of[node.parent] if node.parent else None
        updates.append((unit.pk, name, node.kind, parent_pk, node.is_active, paths[code], now))
    bulk_update_values(Unit, ("name", "kind", "parent", "is_active", "path", "updated_at"), updates)
    _audit_tree(plan, pk_of, actor=actor, comment=comment)
    if actor is not None:
        forget_cached_memberships(actor)
    return {
        "created": len(plan.creates),
        "updated": len(plan.changes) - len(plan.deactivate),
        "deactivated": len(plan.deactivate),
        "moved": len(plan.moved),
    }


def _audit_tree(plan: UnitTreePlan, pk_of: dict[str, int], *, actor, comment: str) -> None:
    def light(code: str) -> Unit:
        return Unit(pk=pk_of[code], code=code, name=plan.names[code])

    audit.record_many(
        entries=[
            (
                light(spec.code),
                {
                    "name": [None, spec.name],
                    "kind": [None, spec.kind],
                    "parent": [None, spec.parent],
                },
            )
            for spec in plan.creates
        ]
        + [(light(code), diff) for code, diff in plan.changes.items() if code not in plan.moved],
        actor=actor,
        action=AuditAction.IMPORT,
        comment=comment[:500],
    )
    by_count: dict[int, list[str]] = {}
    for code, count in plan.moved.items():
        by_count.setdefault(count, []).append(code)
    for count, codes in by_count.items():
        audit.record_many(
            entries=[(light(code), plan.changes[code]) for code in codes],
            actor=actor,
            action=AuditAction.IMPORT,
            comment=f"{comment}；连同下级 {count} 个单位一起移动"[:500],
        )
