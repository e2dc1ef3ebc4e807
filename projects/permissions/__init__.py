"""Permissions: the one place that answers who may see and do what. Everyone asks here — admin
querysets, API querysets, services and imports — and never re-declares a rule.

- ``scope``           which units a user sees (``visible_units``), his roles on a unit
                      (``roles_for``, ``has_role``) and ``require_role`` for the services
- ``roles``           the role sets (``UNIT_EDITORS``, ``UNIT_STAFF``, the reviewers of each
                      step, ``ROUND_OPENERS``, ``RECOMPUTERS`` …), declared once, and the named
                      checks on them (``may_edit_unit``, ``require_editor``, ``holds_any_role``,
                      ``may_open_rounds``) and recipients (``users_with_roles``, ``RoleHolders``)
- ``administration``  who may manage users and memberships and change the rules everyone works
                      under (schemes, windows, schedules); the README's administration matrix
- ``groups``          the Django permission groups per role, kept in step after every migrate

Everything below is importable from ``projects.permissions``. Nothing outside this package
declares a set of roles or queries memberships by role (a test walks the code for it).
"""

from .administration import (
    MASTER_DATA_IMPORTERS,
    administered_paths,
    administered_units,
    administered_users,
    grant_refusal,
    is_administrator,
    is_finance_admin,
    may_administer_user,
    may_grant,
    may_manage_bureau_policy,
    may_manage_schedules,
    may_manage_schemes,
    may_manage_tokens,
    may_manage_windows,
    unit_import_refusal,
)
from .roles import (
    DEPT_REVIEWERS,
    FINANCE_REVIEWERS,
    LIBRARY_CONFIRMERS,
    LIBRARY_EDITORS,
    RECOMPUTERS,
    RECTIFICATION_RAISERS,
    RECTIFICATION_REVIEWERS,
    ROUND_OPENERS,
    SPOT_CHECK_OBJECTORS,
    SPOT_CHECKERS,
    UNIT_ADMINS,
    UNIT_EDITORS,
    UNIT_REVIEWERS,
    UNIT_STAFF,
    WHOLE_YEAR_RECOMPUTERS,
    RoleHolders,
    highest_unit_with_role,
    holds_any_role,
    holds_role_on_bureau_or_department,
    may_edit_unit,
    may_open_rounds,
    may_spot_check,
    require_editor,
    spot_checker_condition,
    users_with_roles,
)
from .scope import (
    forget_cached_memberships,
    has_role,
    require_role,
    role_labels,
    roles_for,
    root_paths,
    visible_units,
)

__all__ = [
    "DEPT_REVIEWERS",
    "FINANCE_REVIEWERS",
    "LIBRARY_CONFIRMERS",
    "LIBRARY_EDITORS",
    "MASTER_DATA_IMPORTERS",
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
    "administered_paths",
    "administered_units",
    "administered_users",
    "forget_cached_memberships",
    "grant_refusal",
    "has_role",
    "highest_unit_with_role",
    "holds_any_role",
    "holds_role_on_bureau_or_department",
    "is_administrator",
    "is_finance_admin",
    "may_administer_user",
    "may_edit_unit",
    "may_grant",
    "may_manage_bureau_policy",
    "may_manage_schedules",
    "may_manage_schemes",
    "may_manage_tokens",
    "may_manage_windows",
    "may_open_rounds",
    "may_spot_check",
    "require_editor",
    "require_role",
    "role_labels",
    "roles_for",
    "root_paths",
    "spot_checker_condition",
    "unit_import_refusal",
    "users_with_roles",
    "visible_units",
]
