"""The role sets: which roles may do what, declared once, and the checks built on them.

A role (``projects.choices.Role``) held on a unit applies to that unit and every unit below it
(``scope.roles_for``). Every service, admin screen, API view and import asks here — by a named
set or a named check — and never writes a tuple of roles itself: a test
(``tests/projects/permissions/test_role_sets.py``) fails on a role tuple, or a raw
``role__in`` query, anywhere outside ``projects/permissions``.

| set                       | roles                          | may                                        |
| ------------------------- | ------------------------------ | ------------------------------------------ |
| ``UNIT_EDITORS``          | 填报人, 单位审核人, 管理员         | maintain a unit's data: projects, budgets, |
|                           |                                | execution, goals, monitoring reports,      |
|                           |                                | self-evaluations; submit them; import      |
| ``UNIT_STAFF``            | 填报人, 单位审核人                | hear about the unit's work: reminders,     |
|                           |                                | returns, red lights, poor grades           |
| ``UNIT_REVIEWERS``        | 单位审核人                        | the unit-internal step where the bureau    |
|                           |                                | requires it (待单位审核 → 已提交)           |
| ``DEPT_REVIEWERS``        | 主管部门审核人                    | review step 1 (已提交 → 主管部门审核通过);  |
|                           |                                | hear about overdue work and alerts         |
| ``FINANCE_REVIEWERS``     | 财政审核人                        | review step 2 (→ 财政批复)                  |
| ``ROUND_OPENERS``         | 财政审核人, 管理员 (finance bureau) | open monitoring rounds                     |
| ``RECOMPUTERS``           | 主管部门审核人, 财政审核人, 管理员  | recompute a unit's year                    |
| ``WHOLE_YEAR_RECOMPUTERS`` | 财政审核人, 管理员 (at the root)  | recompute every unit's year                |
| ``UNIT_ADMINS``           | 管理员                           | maintain units, grant roles (see           |
|                           |                                | ``administration``)                        |
| ``LIBRARY_EDITORS``       | 填报人, 单位审核人, 主管部门审核人, | write and propose 指标库 entries of the    |
|                           | 财政审核人, 管理员                 | owner unit (a department, the finance      |
|                           |                                | bureau): asked on the owner, so budget     |
|                           |                                | units' staff never hold it                 |
| ``LIBRARY_CONFIRMERS``    | 财政审核人                        | confirm, return and retire 指标库 entries   |

Superusers hold 管理员 everywhere (``roles_for``). ``user=None`` is the system (demo loader,
scheduled tasks): the ``require_*`` checks let it pass, as ``require_role`` does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db.models import Exists

from ..choices import Role, UnitKind
from ..models import Membership, Unit
from .scope import _membership_paths, has_role, require_role, role_labels

UNIT_EDITORS: tuple[str, ...] = (Role.FILLER, Role.UNIT_REVIEWER, Role.ADMIN)
UNIT_STAFF: tuple[str, ...] = (Role.FILLER, Role.UNIT_REVIEWER)
UNIT_REVIEWERS: tuple[str, ...] = (Role.UNIT_REVIEWER,)
DEPT_REVIEWERS: tuple[str, ...] = (Role.DEPT_REVIEWER,)
FINANCE_REVIEWERS: tuple[str, ...] = (Role.FINANCE_REVIEWER,)
ROUND_OPENERS: tuple[str, ...] = (Role.FINANCE_REVIEWER, Role.ADMIN)
RECOMPUTERS: tuple[str, ...] = (Role.DEPT_REVIEWER, Role.FINANCE_REVIEWER, Role.ADMIN)
WHOLE_YEAR_RECOMPUTERS: tuple[str, ...] = (Role.FINANCE_REVIEWER, Role.ADMIN)
UNIT_ADMINS: tuple[str, ...] = (Role.ADMIN,)
# 财政复核 (spot checks): who draws, re-scores, approves and decides (at a finance bureau), and
# who objects for the unit (a formal act of the unit: not a 填报人).
SPOT_CHECKERS: tuple[str, ...] = (Role.FINANCE_REVIEWER,)
SPOT_CHECK_OBJECTORS: tuple[str, ...] = (Role.UNIT_REVIEWER, Role.ADMIN)
# The indicator library (指标库): asked on the entry's owner (a department or the finance bureau).
LIBRARY_EDITORS: tuple[str, ...] = (
    Role.FILLER,
    Role.UNIT_REVIEWER,
    Role.DEPT_REVIEWER,
    Role.FINANCE_REVIEWER,
    Role.ADMIN,
)
LIBRARY_CONFIRMERS: tuple[str, ...] = (Role.FINANCE_REVIEWER,)
# 整改 (rectification): who raises a task by hand and who accepts or returns it (a task's
# 验收方 narrows this: a finance-level task only 财政审核人).
RECTIFICATION_RAISERS: tuple[str, ...] = (Role.DEPT_REVIEWER, Role.FINANCE_REVIEWER)
RECTIFICATION_REVIEWERS: tuple[str, ...] = (Role.DEPT_REVIEWER, Role.FINANCE_REVIEWER)


__all__ = [  # role_labels lives in scope (require_role names the roles with it)
    "DEPT_REVIEWERS",
    "FINANCE_REVIEWERS",
    "LIBRARY_CONFIRMERS",
    "LIBRARY_EDITORS",
    "RECOMPUTERS",
    "RECTIFICATION_RAISERS",
    "RECTIFICATION_REVIEWERS",
    "ROUND_OPENERS",
    "SPOT_CHECKERS",
    "SPOT_CHECK_OBJECTORS",
    "UNIT_ADMINS",
    "UNIT_EDITORS",
    "UNIT_REVIEWERS",
    "UNIT_STAFF",
    "WHOLE_YEAR_RECOMPUTERS",
    "RoleHolders",
    "holds_any_role",
    "holds_role_on_bureau_or_department",
    "may_edit_unit",
    "may_open_rounds",
    "may_spot_check",
    "require_editor",
    "role_labels",
    "users_with_roles",
]


# --- checks on one unit ----------------------------------------------------------------------


def may_edit_unit(user, unit: Unit) -> bool:
    """Whether ``user`` may maintain ``unit``'s data (``UNIT_EDITORS`` on it or above it).

    ``None`` is the system and may; an anonymous or inactive user may not.
    """
    return user is None or has_role(user, unit, UNIT_EDITORS)


def require_editor(user, unit: Unit, action: str) -> None:
    """Refuse (``PermissionDenied`` naming the roles) unless ``user`` may edit ``unit``."""
    require_role(user, unit, UNIT_EDITORS, action)


# --- checks without a unit -------------------------------------------------------------------


def holds_any_role(user, roles: Iterable[str]) -> bool:
    """Whether an active ``user`` holds one of ``roles`` on any unit (a superuser holds 管理员).

    For screens and requests that are not about one unit yet (the import page, the recompute
    button); the unit chosen later is checked again by the service.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    wanted = set(roles)
    if user.is_superuser and Role.ADMIN in wanted:
        return True
    return any(role in wanted for _path, role in _membership_paths(user))


def holds_role_on_bureau_or_department(user, roles: Iterable[str]) -> bool:
    """Whether an active ``user`` holds one of ``roles`` on a finance bureau or a department (a
    superuser holds 管理员): the indicator library's writers. No query: a department's parent is
    always the bureau (``Unit.clean``), so their paths are the ones with at most two codes."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    wanted = set(roles)
    if user.is_superuser and Role.ADMIN in wanted:
        return True
    return any(
        role in wanted and len([c for c in path.split("/") if c]) <= 2
        for path, role in _membership_paths(user)
    )


def may_open_rounds(user) -> bool:
    """``ROUND_OPENERS`` of a finance bureau (or a superuser); ``None`` is the system."""
    if user is None:
        return True
    if getattr(user, "is_superuser", False):
        return True
    return any(
        has_role(user, root, ROUND_OPENERS) for root in Unit.objects.filter(kind=UnitKind.FINANCE)
    )


def may_spot_check(user) -> bool:
    """``SPOT_CHECKERS`` of a finance bureau: they draw and re-score spot checks (管理员 and
    superusers maintain data but do not review). ``None`` is the system."""
    if user is None:
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    return any(
        has_role(user, root, SPOT_CHECKERS) for root in Unit.objects.filter(kind=UnitKind.FINANCE)
    )


def spot_checker_condition(user) -> Exists:
    """:func:`may_spot_check` as an SQL condition, for filtering rows inside one query (the
    attachment list shows unpublished spot checks' files to the finance bureau only)."""
    # By id: an anonymous user (the schema generator's) has none and matches nothing.
    return Exists(
        Membership.objects.filter(
            user_id=user.pk, role__in=SPOT_CHECKERS, unit__kind=UnitKind.FINANCE
        )
    )


# --- who holds a role: recipients ------------------------------------------------------------


def users_with_roles(unit: Unit, roles: Iterable[str]) -> list:
    """Active users holding one of ``roles`` on ``unit`` or a unit above it, ordered by id."""
    codes = [code for code in unit.path.split("/") if code]
    user_ids = Membership.objects.filter(unit__code__in=codes, role__in=list(roles)).values(
        "user_id"
    )
    return list(get_user_model().objects.filter(pk__in=user_ids, is_active=True).order_by("pk"))


class RoleHolders:
    """:func:`users_with_roles` of many units at once, given their paths: one query for the
    memberships, one for the users; ``holders.of(unit, roles)`` then answers from memory."""

    def __init__(self, paths: Iterable[str], roles: Iterable[str]) -> None:
        codes = {code for path in paths for code in path.split("/") if code}
        by_code: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
        for user_id, code, role in Membership.objects.filter(
            unit__code__in=codes, role__in=list(roles), user__is_active=True
        ).values_list("user_id", "unit__code", "role"):
            by_code[code][role].add(user_id)
        user_ids = {uid for roles_ in by_code.values() for ids in roles_.values() for uid in ids}
        self.users = get_user_model().objects.in_bulk(user_ids)
        self.by_code = by_code

    def of(self, unit: Unit, roles: Iterable[str]) -> list:
        """Users holding one of ``roles`` on ``unit`` or above it, ordered by id."""
        return self.of_path(unit.path, roles)

    def of_path(self, path: str, roles: Iterable[str]) -> list:
        """:meth:`of` for a unit known by its path."""
        ids: set[int] = set()
        for code in (c for c in path.split("/") if c):
            for role in roles:
                ids |= self.by_code.get(code, {}).get(role, set())
        return [self.users[pk] for pk in sorted(ids) if pk in self.users]


# --- import history (issue 18: the unit an ImportRun belongs to) -----------------------------
def highest_unit_with_role(user, roles: Iterable[str]) -> Unit | None:
    """The highest unit (shortest path, then path order) where ``user`` holds one of ``roles``;
    None for the system, a superuser without such a membership, or anyone else without one."""
    if user is None or not getattr(user, "pk", None):
        return None
    wanted = set(roles)
    paths = sorted(
        (path for path, role in _membership_paths(user) if role in wanted),
        key=lambda path: (path.count("/"), path),
    )
    return Unit.objects.filter(path=paths[0]).first() if paths else None
