"""Permissions: the one place that answers who may see and do what. Everyone asks here — admin
querysets, API querysets, services and imports — and never re-declares a rule.

- ``scope``           which units a user sees (``visible_units``), his roles on a unit
                      (``roles_for``, ``has_role``) and ``require_role`` for the services
- ``administration``  who may manage users and memberships and change the rules everyone works
                      under (schemes, windows, schedules); the README's administration matrix
- ``groups``          the Django permission groups per role, kept in step after every migrate

The functions of ``scope`` and ``administration`` are importable from ``projects.permissions``.
"""

from .administration import (
    administered_units,
    administered_users,
    grant_refusal,
    is_administrator,
    is_finance_admin,
    may_administer_user,
    may_grant,
    may_manage_schedules,
    may_manage_schemes,
    may_manage_tokens,
    may_manage_windows,
)
from .scope import forget_cached_memberships, has_role, require_role, roles_for, visible_units

__all__ = [
    "administered_units",
    "administered_users",
    "forget_cached_memberships",
    "grant_refusal",
    "has_role",
    "is_administrator",
    "is_finance_admin",
    "may_administer_user",
    "may_grant",
    "may_manage_schedules",
    "may_manage_schemes",
    "may_manage_tokens",
    "may_manage_windows",
    "require_role",
    "roles_for",
    "visible_units",
]
