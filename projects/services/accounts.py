"""Every write to users, memberships and API tokens: scoped by ``permissions``, transactional,
audited.

A user's permission groups are exactly the groups of the roles of his memberships, and he may
enter the admin (``is_staff``) exactly when he has a membership or is a superuser; every
service here ends with :func:`sync_user_access`, the one function that derives both. A user
without memberships is in no group and cannot open the admin (the API shows him nothing).

Audit rows name the actor, the target user, the unit and the role; a password is never
stored, only the fact that it was set; nor is a token's key, only that one was issued.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from .. import audit
from ..choices import Role
from ..models import AuditAction, Membership, Unit
from ..permissions import (
    forget_cached_memberships,
    grant_refusal,
    may_administer_user,
    may_manage_tokens,
)

if TYPE_CHECKING:
    from rest_framework.authtoken.models import Token

USER_FIELDS = ("username", "first_name", "last_name", "email", "is_active")
SUPERUSER_FIELDS = ("is_superuser", "user_permissions")
PASSWORD_SET, PASSWORD_UNUSABLE = "（已设置）", "（已停用密码登录）"


def role_group(role: str) -> Group:
    """The permission group of a role (``roles.sync_role_groups`` sets its permissions)."""
    group, _ = Group.objects.get_or_create(name=Role(role).label)
    return group


def sync_user_access(user) -> None:
    """Make ``user``'s groups exactly the groups of his memberships' roles, and ``is_staff``
    exactly "has a membership or is a superuser"."""
    roles = sorted(set(Membership.objects.filter(user=user).values_list("role", flat=True)))
    user.groups.set([role_group(role) for role in roles])
    staff = bool(user.is_superuser or roles)
    if user.is_staff != staff:
        user.is_staff = staff
        user.save(update_fields=["is_staff"])
    forget_cached_memberships(user)


def _refuse_grant(actor, *, user, unit: Unit, role: str, revoke: bool = False) -> None:
    refusal = grant_refusal(actor, user=user, unit=unit, role=role, revoke=revoke)
    if refusal:
        raise PermissionDenied(refusal)


def _require_administrator_of(actor, user) -> None:
    """``actor=None`` is the system; a superuser manages everyone, himself included."""
    if actor is None or may_administer_user(actor, user):
        return
    raise PermissionDenied(f"您无权管理用户“{user.get_username()}”。")


def _home_unit(user) -> Unit | None:
    """The audit row's unit for a change to a user: his highest unit (admins above see it)."""
    membership = (
        Membership.objects.filter(user=user).select_related("unit").order_by("unit__path").first()
    )
    return membership.unit if membership else None


def _membership_changes(membership: Membership, *, before: bool) -> dict[str, list]:
    values = {
        "user": membership.user.get_username(),
        "unit": membership.unit.code,
        "role": membership.role,
    }
    return {key: [value, None] if before else [None, value] for key, value in values.items()}


# --- memberships -------------------------------------------------------------------------------


def _membership_create(*, user, unit: Unit, role: str, actor) -> Membership:
    membership = Membership.objects.filter(user=user, unit=unit, role=role).first()
    if membership is None:
        membership = Membership(user=user, unit=unit, role=role)
        membership.full_clean()
        membership.save()
        audit.record(
            obj=membership,
            actor=actor,
            action=AuditAction.CREATE,
            changes=_membership_changes(membership, before=False),
            unit=unit,
        )
    return membership


@transaction.atomic
def membership_add(*, user, unit: Unit, role: str, actor=None) -> Membership:
    """Give ``user`` a role in ``unit`` (and its subtree); idempotent. The actor must be a
    管理员 of the unit who manages the user, never the user himself."""
    _refuse_grant(actor, user=user, unit=unit, role=role)
    membership = _membership_create(user=user, unit=unit, role=role, actor=actor)
    sync_user_access(user)
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor=None) -> None:
    """Take a role away; the user leaves the role's group unless another membership has it."""
    membership = Membership.objects.select_related("user", "unit").get(pk=membership.pk)
    user = membership.user
    _refuse_grant(actor, user=user, unit=membership.unit, role=membership.role, revoke=True)
    changes = _membership_changes(membership, before=True)
    audit.record(
        obj=membership,
        actor=actor,
        action=AuditAction.DELETE,
        changes=changes,
        unit=membership.unit,
    )
    membership.delete()
    sync_user_access(user)


@transaction.atomic
def membership_change(*, membership: Membership, unit: Unit, role: str, actor=None) -> Membership:
    """Move a membership to another unit or role: a revoke of the old and a grant of the new,
    both checked, in one audit row."""
    membership = (
        Membership.objects.select_for_update().select_related("user", "unit").get(pk=membership.pk)
    )
    user = membership.user
    _refuse_grant(actor, user=user, unit=membership.unit, role=membership.role, revoke=True)
    _refuse_grant(actor, user=user, unit=unit, role=role)
    before = {"unit": membership.unit.code, "role": membership.role}
    membership.unit, membership.role = unit, role
    membership.full_clean()
    after = {"unit": unit.code, "role": role}
    changes = audit.diff(before, after)
    if changes:
        membership.save()
        audit.record(
            obj=membership,
            actor=actor,
            action=AuditAction.UPDATE,
            changes={"user": [user.get_username(), user.get_username()], **changes},
            unit=unit,
        )
    sync_user_access(user)
    return membership


# --- users -------------------------------------------------------------------------------------


def _validate_password(password: str | None, user) -> None:
    if password is None:
        return
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from None


def _user_snapshot(user) -> dict[str, Any]:
    data = {name: getattr(user, name) for name in (*USER_FIELDS, "is_superuser", "is_staff")}
    if user.pk:
        data["user_permissions"] = sorted(
            f"{app}.{codename}"
            for app, codename in user.user_permissions.values_list(
                "content_type__app_label", "codename"
            )
        )
    return data


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None,
    actor=None,
    unit: Unit | None = None,
    role: str | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    is_superuser: bool = False,
):
    """Create a user, with his first role. A 管理员 must give one (a user without roles would be
    managed by superusers only); only superusers create superusers. ``password=None`` creates a
    user who cannot log in with a password."""
    if actor is not None and not actor.is_superuser:
        if is_superuser:
            raise PermissionDenied("只有系统管理员可以设置系统管理员。")
        missing = {
            name: "请选择新用户的单位和角色。"
            for name, value in (("unit", unit), ("role", role))
            if not value
        }
        if missing:
            raise ValidationError(missing)
    if (unit is None) != (role is None):
        raise ValidationError({"role" if role is None else "unit": "单位和角色需要同时填写。"})
    if unit is not None:
        _refuse_grant(actor, user=None, unit=unit, role=role)
    user = get_user_model()(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        is_superuser=is_superuser,
        is_staff=is_superuser,
    )
    user.full_clean(exclude=["password"])
    _validate_password(password, user)
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save()
    changes = audit.diff({}, {k: v for k, v in _user_snapshot(user).items() if v not in ("", [])})
    changes["password"] = [None, PASSWORD_UNUSABLE if password is None else PASSWORD_SET]
    audit.record(obj=user, actor=actor, action=AuditAction.CREATE, changes=changes, unit=unit)
    if unit is not None:
        _membership_create(user=user, unit=unit, role=role, actor=actor)
    sync_user_access(user)
    return user


@transaction.atomic
def user_update(*, user, data: Mapping[str, Any], actor=None):
    """Change a user's details or activity (a 管理员, for users he manages); ``is_superuser`` and
    raw ``user_permissions`` only a superuser. Groups and ``is_staff`` follow the memberships."""
    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    _require_administrator_of(actor, user)
    privileged = actor is None or actor.is_superuser
    for key in data:
        if key in SUPERUSER_FIELDS and not privileged:
            raise PermissionDenied("只有系统管理员可以设置系统管理员身份和单独的权限。")
        if key not in USER_FIELDS + SUPERUSER_FIELDS:
            raise ValidationError({key: "该字段不能在这里修改（组由角色决定，密码另行设置）。"})
    if actor is not None and actor.pk == user.pk:
        if data.get("is_active", True) is False:
            raise ValidationError({"is_active": "不能停用自己的账号。"})
        if "is_superuser" in data and not data["is_superuser"]:
            raise ValidationError({"is_superuser": "不能取消自己的系统管理员身份。"})
    before = _user_snapshot(user)
    unit = _home_unit(user)
    for key in (*USER_FIELDS, "is_superuser"):
        if key in data:
            setattr(user, key, data[key])
    user.full_clean(exclude=["password"])
    user.save()
    if "user_permissions" in data:
        user.user_permissions.set(list(data["user_permissions"]))
    sync_user_access(user)
    changes = audit.diff(before, _user_snapshot(user))
    if changes:
        audit.record(obj=user, actor=actor, action=AuditAction.UPDATE, changes=changes, unit=unit)
    return user


@transaction.atomic
def user_set_password(*, user, password: str | None, actor=None, comment: str | None = None):
    """Set (or, with ``None``, disable) a user's password: the user himself or whoever manages
    him. Someone else's reset also revokes the user's API tokens."""
    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    own = actor is not None and actor.pk == user.pk
    if not own:
        _require_administrator_of(actor, user)
    _validate_password(password, user)
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save(update_fields=["password"])
    if not own and apps.is_installed("rest_framework.authtoken"):
        from rest_framework.authtoken.models import Token

        Token.objects.filter(user=user).delete()
    audit.record(
        obj=user,
        actor=actor,
        action=AuditAction.UPDATE,
        changes={"password": [None, PASSWORD_UNUSABLE if password is None else PASSWORD_SET]},
        comment=comment or ("修改本人密码" if own else "重置密码"),
        unit=_home_unit(user),
    )
    return user


def user_deactivate(*, user, actor=None):
    """Stop a user from logging in; his memberships and history stay (users are not deleted)."""
    return user_update(user=user, data={"is_active": False}, actor=actor)


@transaction.atomic
def user_delete(*, user, actor=None) -> None:
    """Delete a user and his memberships: superusers only (others deactivate), never oneself."""
    if actor is not None and not actor.is_superuser:
        raise PermissionDenied("只有系统管理员可以删除用户，管理员请停用账号。")
    if actor is not None and actor.pk == user.pk:
        raise PermissionDenied("不能删除自己的账号。")
    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    memberships = list(Membership.objects.filter(user=user).select_related("unit"))
    before = _user_snapshot(user)
    before["memberships"] = [f"{m.unit.code}:{m.role}" for m in memberships]
    audit.record(
        obj=user,
        actor=actor,
        action=AuditAction.DELETE,
        changes={key: [value, None] for key, value in before.items()},
        unit=_home_unit(user),
    )
    user.delete()


# --- API tokens ----------------------------------------------------------------------------------

TOKEN_ISSUED = "（已签发）"


def _require_token_manager(actor) -> None:
    if actor is not None and not may_manage_tokens(actor):
        raise PermissionDenied("只有系统管理员可以签发或吊销 API 令牌。")


@transaction.atomic
def token_create(*, user, actor=None) -> Token:
    """Issue ``user`` an API token (superusers only); one per user, revoke it to replace it."""
    from rest_framework.authtoken.models import Token

    _require_token_manager(actor)
    if Token.objects.filter(user=user).exists():
        raise ValidationError({"user": "该用户已有 API 令牌；如需更换，请先吊销原令牌。"})
    token = Token.objects.create(user=user)
    audit.record(
        obj=user,
        actor=actor,
        action=AuditAction.UPDATE,
        changes={"api_token": [None, TOKEN_ISSUED]},
        comment="签发 API 令牌",
        unit=_home_unit(user),
    )
    return token


@transaction.atomic
def token_delete(*, token: Token, actor=None) -> None:
    """Revoke an API token (superusers only): every client using it is signed out."""
    _require_token_manager(actor)
    user = token.user
    token.delete()
    audit.record(
        obj=user,
        actor=actor,
        action=AuditAction.UPDATE,
        changes={"api_token": [TOKEN_ISSUED, None]},
        comment="吊销 API 令牌",
        unit=_home_unit(user),
    )
