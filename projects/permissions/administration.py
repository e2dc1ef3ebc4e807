"""Who may manage users, memberships and API tokens, and who may change the rules everyone
works under (scoring schemes, reporting windows, schedules). The services, the admin and (later)
the imports ask these functions; the matrix is written out in the README (Security →
Administration).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from ..choices import Role, UnitKind
from ..models import Membership, Unit
from .roles import UNIT_ADMINS
from .scope import _membership_paths, has_role


def _active(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def administered_units(actor) -> QuerySet[Unit]:
    """The units whose users and memberships ``actor`` manages: the subtrees of his 管理员
    memberships (all units for a superuser). Other roles administer nothing."""
    if not _active(actor):
        return Unit.objects.none()
    if actor.is_superuser:
        return Unit.objects.all()
    paths = {path for path, role in _membership_paths(actor) if role == Role.ADMIN}
    if not paths:
        return Unit.objects.none()
    condition = Q()
    for path in paths:
        condition |= Q(path__startswith=path)
    return Unit.objects.filter(condition)


def is_administrator(actor) -> bool:
    """A superuser, or a 管理员 of at least one unit (who may open the user admin at all)."""
    if not _active(actor):
        return False
    return actor.is_superuser or any(role == Role.ADMIN for _p, role in _membership_paths(actor))


def administered_users(actor) -> QuerySet:
    """The users ``actor`` may manage: for a superuser everyone; for a 管理员 every user other
    than himself who is not a superuser, has a membership, and has none outside the units he
    administers (so a user with a role elsewhere is managed where all his roles are)."""
    users = get_user_model().objects.all()
    if not _active(actor):
        return users.none()
    if actor.is_superuser:
        return users
    units = administered_units(actor)
    inside = Membership.objects.filter(unit__in=units).values("user_id")
    outside = Membership.objects.exclude(unit__in=units).values("user_id")
    return (
        users.filter(is_superuser=False, pk__in=inside).exclude(pk=actor.pk).exclude(pk__in=outside)
    )


def may_administer_user(actor, user) -> bool:
    """Whether ``actor`` may change ``user``'s details, password, activity and memberships."""
    if user is None or user.pk is None:
        return False
    return administered_users(actor).filter(pk=user.pk).exists()


def grant_refusal(actor, *, user, unit: Unit, role: str, revoke: bool = False) -> str | None:
    """Why ``actor`` may not give (``revoke``: take away) ``role`` in ``unit`` to ``user``;
    ``None`` when he may. ``actor=None`` is the system (demo loader, master-data import).
    Nobody grants himself a role; a 管理员 does not touch his own roles at all."""
    if actor is None:
        return None
    if not _active(actor):
        return "请先登录。"
    own = user is not None and user.pk is not None and user.pk == actor.pk
    if own and not (actor.is_superuser and revoke):
        return "不能给自己授予或撤销角色，请由其他管理员办理。"
    if actor.is_superuser:
        return None
    at_finance = unit.kind == UnitKind.FINANCE or role == Role.FINANCE_REVIEWER
    if at_finance and not has_role(actor, unit, UNIT_ADMINS):
        return "财政局的角色只能由财政局的管理员或系统管理员授予。"
    if not has_role(actor, unit, UNIT_ADMINS):
        return f"您不是“{unit.name}”或其上级单位的管理员，不能授予该单位的角色。"
    if user is not None and user.pk is not None and not may_administer_user(actor, user):
        if user.is_superuser:
            return "不能修改系统管理员的角色。"
        if not Membership.objects.filter(user=user).exists():
            return "该用户没有任何角色，只有系统管理员可以为其授予角色。"
        return "该用户在您管理的单位之外还有角色，只能由管理其全部单位的管理员办理。"
    return None


def may_grant(actor, *, user, unit: Unit, role: str, revoke: bool = False) -> bool:
    """Whether ``actor`` may give (``revoke``: take away) ``user`` the ``role`` in ``unit``."""
    return grant_refusal(actor, user=user, unit=unit, role=role, revoke=revoke) is None


def is_finance_admin(user) -> bool:
    """A superuser, or a 管理员 of a finance bureau (a root of the unit tree)."""
    if not _active(user):
        return False
    if user.is_superuser:
        return True
    return any(
        role == Role.ADMIN and path.count("/") == 2 for path, role in _membership_paths(user)
    )


def may_manage_schemes(user) -> bool:
    """Scoring schemes and which unit uses which: they decide every unit's score, so only the
    finance bureau's 管理员 and superusers (a unit must not pick its own, kinder scheme)."""
    return is_finance_admin(user)


def may_manage_windows(user) -> bool:
    """Reporting windows (deadlines for every unit): the finance bureau's 财政审核人 (who opens
    monitoring rounds, which create windows) and 管理员, and superusers."""
    if is_finance_admin(user):
        return True
    if not _active(user):
        return False
    return any(
        role == Role.FINANCE_REVIEWER and path.count("/") == 2
        for path, role in _membership_paths(user)
    )


def may_manage_bureau_policy(user, bureau: Unit | None = None) -> bool:
    """A finance bureau's 审核设置 (unit-internal review, escalation days): its own 管理员 (a
    membership on the bureau itself) and superusers; ``bureau=None`` asks whether the user
    manages any bureau's (the admin's add button)."""
    if not _active(user):
        return False
    if user.is_superuser:
        return True
    if bureau is None:
        return is_finance_admin(user)
    return bureau.kind == UnitKind.FINANCE and any(
        role == Role.ADMIN and path == bureau.path for path, role in _membership_paths(user)
    )


def may_manage_schedules(user) -> bool:
    """Periodic tasks run any registered task with any arguments as the system (no actor, no
    scope): superusers only."""
    return _active(user) and user.is_superuser


def may_manage_tokens(user) -> bool:
    """API tokens act as their user everywhere, without a password: superusers only."""
    return _active(user) and user.is_superuser


# --- master-data imports (units, people) --------------------------------------------------------

# Who may import each master-data kind at all (the rows are then checked one by one below).
MASTER_DATA_IMPORTERS: tuple[str, ...] = UNIT_ADMINS


def administered_paths(actor) -> frozenset[str] | None:
    """The paths of the subtrees ``actor`` administers; ``None`` for no limit (the system,
    ``actor=None``, and superusers). A bulk planner checks thousands of rows against these
    in memory instead of asking per row."""
    if actor is None or (_active(actor) and actor.is_superuser):
        return None
    if not _active(actor):
        return frozenset()
    return frozenset(path for path, role in _membership_paths(actor) if role == Role.ADMIN)


def _inside(paths: frozenset[str], path: str) -> bool:
    return any(path.startswith(prefix) for prefix in paths)


def unit_import_refusal(
    paths: frozenset[str] | None,
    *,
    kind: str,
    path: str | None,
    parent_path: str | None,
    moved: bool,
) -> str | None:
    """Why an importer administering ``paths`` may not write one unit row; None when he may.

    ``path`` is the unit's present path (None: the row creates it), ``parent_path`` its final
    parent's path. Creating needs 管理员 of the new parent; changing name/kind, deactivating or
    reactivating 管理员 of the unit; a move both; a 财政局 only superusers (as ``unit_save``)."""
    if paths is None:
        return None
    if kind == UnitKind.FINANCE or parent_path is None:
        return "只有系统管理员可以新增或修改财政局。"
    if path is None:
        if not _inside(paths, parent_path):
            return "您不是上级单位的管理员，不能在其下新增单位。"
        return None
    if not _inside(paths, path):
        return "您不是该单位或其上级单位的管理员，不能修改该单位。"
    if moved and not _inside(paths, parent_path):
        return "您不是新上级单位的管理员，不能把单位移到其下。"
    return None
