"""Role sets live in one place (``projects/permissions``), and the checks built on them answer
as the memberships say.

The guard reads the code (AST, no imports): a tuple, list or set of roles, or a membership
query by ``role__in``, anywhere in ``projects``, ``performance`` or ``config`` outside
``projects/permissions`` is a second declaration of who may do what — the next capability
must name a set of ``projects.permissions.roles`` instead of writing its own ``EDITORS``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from projects.choices import Role
from projects.models import Membership, Unit
from projects.permissions import (
    DEPT_REVIEWERS,
    RECOMPUTERS,
    UNIT_EDITORS,
    UNIT_STAFF,
    RoleHolders,
    holds_any_role,
    may_edit_unit,
    may_open_rounds,
    users_with_roles,
)

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("projects", "performance", "config")
THE_ONE_PLACE = ROOT / "projects" / "permissions"
ROLE_VALUES = set(Role.values)


def _is_role_member(node: ast.AST) -> bool:
    """``Role.FILLER`` (or ``choices.Role.FILLER``); not ``Role.choices``, the whole list."""
    if not isinstance(node, ast.Attribute) or not node.attr.isupper():
        return False
    owner = node.value
    return (isinstance(owner, ast.Name) and owner.id == "Role") or (
        isinstance(owner, ast.Attribute) and owner.attr == "Role"
    )


def _is_role_collection(node: ast.AST) -> bool:
    """A tuple/list/set literal naming roles: any ``Role.X`` in it, or nothing but role codes."""
    if not isinstance(node, ast.Tuple | ast.List | ast.Set) or not node.elts:
        return False
    elements = [e.value if isinstance(e, ast.Starred) else e for e in node.elts]
    if any(_is_role_member(e) for e in elements):
        return True
    return all(isinstance(e, ast.Constant) and e.value in ROLE_VALUES for e in elements)


def role_declarations(source: str, filename: str) -> list[str]:
    """Where ``source`` declares a set of roles or queries memberships by role."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if _is_role_collection(node):
            found.append(f"{filename}:{node.lineno} role tuple {ast.unparse(node)}")
        elif isinstance(node, ast.keyword) and node.arg == "role__in":
            found.append(f"{filename}:{node.value.lineno} raw role query role__in=")
        elif isinstance(node, ast.Constant) and node.value == "role__in":
            found.append(f"{filename}:{node.lineno} raw role query 'role__in'")
    return found


def _code_files():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if THE_ONE_PLACE in path.parents or "migrations" in path.parts:
                continue
            yield path


def test_no_role_set_is_declared_outside_projects_permissions():
    found = []
    for path in _code_files():
        found += role_declarations(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert found == [], "role sets belong in projects/permissions/roles.py:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "source",
    [
        "EDITORS = (Role.FILLER, Role.UNIT_REVIEWER, Role.ADMIN)",
        "require_role(actor, unit, (Role.ADMIN,), 'x')",
        "staff = {Role.FILLER, Role.UNIT_REVIEWER}",
        "roles = [*STAFF, Role.DEPT_REVIEWER]",
        "EDITORS = ('filler', 'unit_reviewer', 'admin')",
        "Membership.objects.filter(user=user, role__in=EDITORS).exists()",
        "Membership.objects.filter(**{'role__in': roles})",
    ],
)
def test_the_guard_finds_each_way_of_declaring_roles(source):
    assert len(role_declarations(source, "new_capability.py")) == 1


@pytest.mark.parametrize(
    "source",
    [
        "require_editor(actor, unit, '填报绩效监控表')",
        "has_role(user, unit, UNIT_EDITORS)",
        "DemoUser('filler027', '填报员', '027001', Role.FILLER)",
        "kinds = {Role.FINANCE_REVIEWER: {UnitKind.FINANCE}}",
        "fields = ('status', 'last_comment')",
        "choices = [('', '---------'), *Role.choices]",
    ],
)
def test_the_guard_lets_named_sets_and_single_roles_through(source):
    assert role_declarations(source, "fine.py") == []


# --- the named checks --------------------------------------------------------------------------


@pytest.mark.django_db
def test_unit_editors_may_edit_their_unit_and_reviewers_may_not(
    filler, unit_reviewer, dept_reviewer, finance_reviewer, outsider
):
    unit = Unit.objects.get(code="027001")
    assert may_edit_unit(filler, unit) and may_edit_unit(unit_reviewer, unit)
    assert not may_edit_unit(dept_reviewer, unit)
    assert not may_edit_unit(finance_reviewer, unit)
    assert not may_edit_unit(outsider, unit)
    assert may_edit_unit(None, unit)  # the system (demo loader, scheduled tasks)


@pytest.mark.django_db
def test_holding_a_role_anywhere_follows_memberships_and_superusers_hold_admin(
    filler, dept_reviewer, superuser
):
    assert holds_any_role(filler, UNIT_EDITORS)
    assert not holds_any_role(filler, RECOMPUTERS)
    assert holds_any_role(dept_reviewer, RECOMPUTERS)
    assert holds_any_role(superuser, RECOMPUTERS)
    assert not holds_any_role(superuser, UNIT_STAFF)  # admin is not staff
    filler.is_active = False
    assert not holds_any_role(filler, UNIT_EDITORS)
    assert not holds_any_role(None, UNIT_EDITORS)


@pytest.mark.django_db
def test_only_finance_reviewers_and_admins_of_the_bureau_open_rounds(
    finance_reviewer, finance_admin, dept_reviewer, filler, superuser
):
    assert may_open_rounds(finance_reviewer) and may_open_rounds(finance_admin)
    assert may_open_rounds(superuser) and may_open_rounds(None)
    assert not may_open_rounds(dept_reviewer)
    assert not may_open_rounds(filler)


@pytest.mark.django_db
def test_role_holders_of_many_units_agree_with_one_unit_at_a_time(demo):
    units = list(Unit.objects.all())
    inactive = get_user_model().objects.get(username="reviewer305")
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])
    roles = UNIT_STAFF + DEPT_REVIEWERS
    holders = RoleHolders((u.path for u in units), roles)
    for unit in units:
        for wanted in (UNIT_STAFF, DEPT_REVIEWERS, roles):
            assert holders.of(unit, wanted) == users_with_roles(unit, wanted), (unit.code, wanted)
    staff_305004 = holders.of(Unit.objects.get(code="305004"), UNIT_STAFF)
    assert [u.username for u in staff_305004] == ["filler305"]  # the inactive one is left out
    assert Membership.objects.filter(user=inactive).exists()
