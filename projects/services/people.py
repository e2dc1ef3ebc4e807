"""People and their roles from master data (the ``people`` import): plan in memory, then write
users, memberships and permission groups in bulk, audited like the one-by-one services.

No password ever travels in a file: a created user has an unusable password and is invited
(``invitations``) to set one. The rules are the administration matrix's (``grant_refusal``,
``may_administer_user``) and ``Membership.clean``'s (``units_tree.role_unit_refusal``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from .. import audit
from ..bulk_writes import bulk_create_rows, bulk_update_values
from ..choices import Role
from ..models import AuditAction, Membership, Unit
from ..permissions import (
    administered_paths,
    forget_cached_memberships,
    grant_refusal,
    may_administer_user,
)
from ..units_tree import role_unit_refusal
from .accounts import PASSWORD_UNUSABLE, role_group


@dataclass(frozen=True)
class PersonSpec:
    """A person as a file states him; ``key`` is what problems are reported against (a row)."""

    key: int
    username: str
    name: str
    email: str


@dataclass(frozen=True)
class GrantSpec:
    key: int
    username: str
    unit_code: str
    role: str


@dataclass(frozen=True)
class PeopleProblem:
    key: int
    problem: str
    message: str
    column: str  # "username", "unit", "role", "name"


@dataclass
class PeoplePlan:
    creates: list[PersonSpec] = field(default_factory=list)
    updates: dict[str, dict[str, list]] = field(default_factory=dict)  # username → diff
    grants: list[GrantSpec] = field(default_factory=list)
    unchanged_people: int = 0
    unchanged_grants: int = 0
    problems: list[PeopleProblem] = field(default_factory=list)
    users: dict[str, Any] = field(default_factory=dict)  # existing, by username
    units: dict[str, Unit] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.creates or self.updates or self.grants)


def people_plan(
    *, persons: Sequence[PersonSpec], grants: Sequence[GrantSpec], actor, lock: bool = False
) -> PeoplePlan:
    """Every user, detail change and membership the file asks for, and every row the importer
    may not write (superusers are never master data; a unit outside his administration reads
    as unknown; nobody grants himself). Reads a fixed number of queries plus one
    ``may_administer_user`` per existing user whose details or roles change."""
    User = get_user_model()
    plan = PeoplePlan()
    users = User.objects.filter(username__in=[p.username for p in persons])
    if lock:
        users = users.select_for_update()
    plan.users = {user.username: user for user in users}
    plan.units = {
        unit.code: unit
        for unit in Unit.objects.filter(code__in={g.unit_code for g in grants}).only(
            "pk", "code", "name", "kind", "path", "is_active"
        )
    }
    held = set(
        Membership.objects.filter(user__in=list(plan.users.values())).values_list(
            "user__username", "unit__code", "role"
        )
    )
    paths = administered_paths(actor)
    managed: dict[str, bool] = {}

    def manages(user) -> bool:
        if actor is None:
            return True
        if user.username not in managed:
            managed[user.username] = may_administer_user(actor, user)
        return managed[user.username]

    def problem(key: int, code: str, message: str, column: str) -> None:
        plan.problems.append(PeopleProblem(key, code, message, column))

    for person in persons:
        user = plan.users.get(person.username)
        if user is None:
            plan.creates.append(person)
            continue
        if user.is_superuser:
            problem(
                person.key,
                "superuser_row",
                gettext("系统管理员不属于主数据，不能通过导入修改。"),
                "username",
            )
            continue
        diff = {
            key: [old, new]
            for key, old, new in (
                ("first_name", user.first_name, person.name),
                ("email", user.email, person.email),
            )
            if old != new
        }
        if not diff:
            plan.unchanged_people += 1
        elif not manages(user):
            problem(
                person.key,
                "user_out_of_scope",
                gettext(
                    "您无权修改用户「%(username)s」的姓名或邮箱（他在您管理的单位之外还有角色）。"
                )
                % {"username": person.username},
                "username",
            )
        else:
            plan.updates[person.username] = diff
    for grant in grants:
        unit = plan.units.get(grant.unit_code)
        inside = unit is not None and (paths is None or any(unit.path.startswith(p) for p in paths))
        if not inside:
            problem(
                grant.key,
                "unit_out_of_scope",
                gettext("单位「%(code)s」不存在或不在您管理的范围内。") % {"code": grant.unit_code},
                "unit",
            )
            continue
        if not unit.is_active:
            problem(
                grant.key,
                "unit_inactive",
                gettext("单位「%(code)s」已停用，不能授予角色。") % {"code": unit.code},
                "unit",
            )
            continue
        refusal = role_unit_refusal(grant.role, unit.kind)
        if refusal:
            problem(grant.key, "role_unit_kind", refusal, "role")
            continue
        user = plan.users.get(grant.username)
        if user is not None and (user.username, unit.code, grant.role) in held:
            plan.unchanged_grants += 1
            continue
        if user is not None and user.is_superuser:
            continue  # reported on the person
        refusal = grant_refusal(actor, user=user, unit=unit, role=grant.role)
        if refusal:
            problem(grant.key, "grant_refused", refusal, "role")
            continue
        plan.grants.append(grant)
    return plan


@transaction.atomic
def people_apply(*, plan: PeoplePlan, actor, comment: str) -> list[int]:
    """Carry out a problem-free :func:`people_plan`; returns the created users' ids.

    Users are inserted with unusable passwords, memberships in bulk, and each affected user's
    groups and ``is_staff`` follow his roles (the rule of ``accounts.sync_user_access``, set-
    based: grants only add roles here)."""
    if plan.problems:
        raise ValidationError([p.message for p in plan.problems])
    User = get_user_model()
    new_users = []
    for person in plan.creates:
        user = User(username=person.username, first_name=person.name, email=person.email)
        user.set_unusable_password()
        user.full_clean(exclude=["password"], validate_unique=False)
        new_users.append(user)
    created = bulk_create_rows(new_users)
    by_name = {**plan.users, **{user.username: user for user in created}}
    bulk_update_values(
        User,
        ("first_name", "email"),
        [
            (
                plan.users[name].pk,
                diff.get("first_name", [None, plan.users[name].first_name])[1],
                diff.get("email", [None, plan.users[name].email])[1],
            )
            for name, diff in plan.updates.items()
        ],
    )
    memberships = bulk_create_rows(
        [
            Membership(
                user_id=by_name[g.username].pk, unit_id=plan.units[g.unit_code].pk, role=g.role
            )
            for g in plan.grants
        ]
    )
    _sync_groups(plan, by_name)
    _audit_people(plan, created, memberships, by_name, actor=actor, comment=comment)
    if actor is not None:
        forget_cached_memberships(actor)
    return [user.pk for user in created]


def _sync_groups(plan: PeoplePlan, by_name: dict[str, Any]) -> None:
    User = get_user_model()
    through = User.groups.through
    groups = {role: role_group(role).pk for role in {g.role for g in plan.grants}}
    pairs = {(by_name[g.username].pk, groups[g.role]) for g in plan.grants}
    through.objects.bulk_create(
        [through(user_id=user_id, group_id=group_id) for user_id, group_id in sorted(pairs)],
        ignore_conflicts=True,
        batch_size=5000,
    )
    gaining = sorted({user_id for user_id, _ in pairs})
    for start in range(0, len(gaining), 5000):
        User.objects.filter(pk__in=gaining[start : start + 5000], is_staff=False).update(
            is_staff=True
        )


def _audit_people(plan, created, memberships, by_name, *, actor, comment: str) -> None:
    user_entries = [
        (
            user,
            {
                "username": [None, user.username],
                "first_name": [None, user.first_name],
                "email": [None, user.email],
                "password": [None, PASSWORD_UNUSABLE],
            },
        )
        for user in created
    ]
    user_entries += [(plan.users[name], diff) for name, diff in plan.updates.items()]
    audit.record_many(entries=user_entries, actor=actor, action=AuditAction.IMPORT, comment=comment)
    reprs = {}
    entries = []
    for grant, membership in zip(plan.grants, memberships, strict=True):
        unit = plan.units[grant.unit_code]
        reprs[membership.pk] = f"{grant.username} · {unit.name} · {Role(grant.role).label}"
        entries.append(
            (
                membership,
                {
                    "user": [None, grant.username],
                    "unit": [None, unit.code],
                    "role": [None, grant.role],
                },
            )
        )
    audit.record_many(
        entries=entries, actor=actor, action=AuditAction.IMPORT, comment=comment, reprs=reprs
    )
