"""Who may see and act on which units: the one place that answers it.

A membership's role applies to its unit and every unit below it (a 主管部门审核人 of ``305``
sees ``305004``; a 财政审核人 of the finance bureau sees every unit). Admin querysets, API
querysets and services all scope through :func:`visible_units`, so a foreign object is a 404.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from ..choices import Role
from ..models import Membership, Unit


def _membership_paths(user) -> list[tuple[str, str]]:
    cached = getattr(user, "_membership_paths_cache", None)
    if cached is None:
        cached = list(Membership.objects.filter(user=user).values_list("unit__path", "role"))
        user._membership_paths_cache = cached
    return cached


def visible_units(user) -> QuerySet[Unit]:
    """Every unit the user may see: superusers all, others their memberships' subtrees."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Unit.objects.none()
    if user.is_superuser:
        return Unit.objects.all()
    paths = {path for path, _role in _membership_paths(user)}
    if not paths:
        return Unit.objects.none()
    condition = Q()
    for path in paths:
        condition |= Q(path__startswith=path)
    return Unit.objects.filter(condition)


def root_paths(user) -> set[str]:
    """The paths of the tree roots (finance bureaus, ``/410300/``) the user's memberships lie
    under: what a finance bureau's shared lists (the indicator library) are scoped by."""
    if user is None or not user.is_authenticated or not user.is_active:
        return set()
    return {"/" + path.strip("/").split("/")[0] + "/" for path, _role in _membership_paths(user)}


def roles_for(user, unit: Unit) -> set[str]:
    """The roles a user holds on ``unit``: memberships on the unit itself or any unit above it."""
    if user is None or not user.is_authenticated or not user.is_active:
        return set()
    roles = {role for path, role in _membership_paths(user) if unit.path.startswith(path)}
    if user.is_superuser:
        roles.add(Role.ADMIN)
    return roles


def has_role(user, unit: Unit, roles: Iterable[str]) -> bool:
    return bool(roles_for(user, unit) & set(roles))


def forget_cached_memberships(user) -> None:
    """Drop the per-request cache after memberships change (tests, admin edits)."""
    if hasattr(user, "_membership_paths_cache"):
        del user._membership_paths_cache


def role_labels(roles: Iterable[str]) -> str:
    """``填报人、单位审核人、管理员``: how refusals name the roles an action needs."""
    return "、".join(Role(role).label for role in roles)


def require_role(user, unit: Unit, roles: Iterable[str], action: str) -> None:
    """Refuse (``PermissionDenied``, saying which roles) unless ``user`` holds one of ``roles``
    on ``unit`` or above it; ``None`` is the system (demo loader, scheduled tasks)."""
    if user is None:  # system jobs (demo loader, scheduled tasks) act without a user
        return
    if not has_role(user, unit, roles):
        raise PermissionDenied(
            f"您在“{unit.name}”没有{action}的权限（需要：{role_labels(roles)}）。"
        )
