"""What each role may do in the admin, as Django permission groups kept in sync after migrate.

Scope (which units) is decided by ``permissions.visible_units``; these groups only decide which
screens and buttons a role gets. Codenames are strings so this app never imports performance.

No role holds ``auth`` group or permission rights, ``django_celery_beat`` (schedules: superusers
only) or tokens: a 管理员 gets exactly the administration below, and the admin classes narrow it
further by scope (``permissions.administered_users``, ``may_manage_schemes`` …). A user's groups
are derived from his memberships (``accounts.sync_user_access``).
"""

from __future__ import annotations

from django.apps import apps as global_apps
from django.contrib.auth.models import Group, Permission

from ..choices import Role

VIEW_ALL = [
    "projects.view_unit",
    "projects.view_project",
    "projects.view_projectbudget",
    "projects.view_executionrecord",
    "projects.view_auditentry",
    "performance.view_scoringscheme",
    "performance.view_schemeassignment",
    "performance.view_performancegoal",
    "performance.view_indicator",
    "performance.view_goaltask",
    "performance.view_monitoringround",
    "performance.view_monitoringreport",
    "performance.view_monitoringentry",
    "performance.view_selfevaluation",
    "performance.view_indicatorevaluation",
    "performance.view_reportingwindow",
    "performance.view_notification",
    "performance.view_job",
    "performance.view_attachment",
    # 财政复核: units see their published results (the queryset hides drafts).
    "performance.view_spotcheck",
    "performance.view_libraryentry",
    "performance.view_bureaupolicy",
    "performance.view_workcalendarday",
    # 整改: each unit sees its own tasks (the queryset scopes them).
    "performance.view_rectification",
]
UNIT_EDITING = [
    "projects.add_project",
    "projects.change_project",
    "projects.add_projectbudget",
    "projects.change_projectbudget",
    "projects.add_executionrecord",
    "projects.change_executionrecord",
    "performance.add_performancegoal",
    "performance.change_performancegoal",
    "performance.add_indicator",
    "performance.change_indicator",
    "performance.delete_indicator",
    "performance.add_goaltask",
    "performance.change_goaltask",
    "performance.delete_goaltask",
    "performance.add_monitoringreport",
    "performance.change_monitoringreport",
    "performance.change_monitoringentry",
    "performance.add_selfevaluation",
    "performance.change_selfevaluation",
    "performance.change_indicatorevaluation",
    "performance.change_notification",
    "performance.add_job",
    # Evidence: the services further require the document to be editable (draft/returned).
    "performance.add_attachment",
    "performance.delete_attachment",
    # 指标库: the admin further requires a LIBRARY_EDITORS role on a department or the bureau.
    "performance.add_libraryentry",
    "performance.change_libraryentry",
    # 整改: the unit fills its measures (the services check the state and the role).
    "performance.change_rectification",
]
REVIEWING = [
    "performance.add_libraryentry",
    "performance.change_libraryentry",
    "performance.change_performancegoal",
    "performance.change_monitoringreport",
    "performance.change_selfevaluation",
    "performance.change_notification",
    "performance.add_job",
    # 整改: raise by hand, change the requirement and deadline, accept or return.
    "performance.add_rectification",
    "performance.change_rectification",
]
# Rounds and windows: the admin classes further require the finance bureau
# (``permissions.may_open_rounds``, ``permissions.may_manage_windows``).
ROUNDS_AND_WINDOWS = [
    "performance.add_monitoringround",
    "performance.change_monitoringround",
    "performance.add_reportingwindow",
    "performance.change_reportingwindow",
    "performance.delete_reportingwindow",
    # the working-day calendar: whoever maintains the windows (``may_manage_windows``)
    "performance.add_workcalendarday",
    "performance.change_workcalendarday",
    "performance.delete_workcalendarday",
]
# 财政复核: the draw page and the spot check page (the services check the role and state).
SPOT_CHECKS = [
    "performance.view_spotcheckdraw",
    "performance.add_spotcheckdraw",
    "performance.change_spotcheck",
]
FINANCE = [*REVIEWING, *ROUNDS_AND_WINDOWS, *SPOT_CHECKS]
# Users and memberships within the 管理员's units (``permissions.administered_users``): no user
# deletion (deactivate instead, the audit keeps who did what), no groups or raw permissions.
# Units through ``services.unit_save``; schemes only at the finance bureau (``may_manage_schemes``).
ADMINISTRATION = [
    "auth.view_user",
    "auth.add_user",
    "auth.change_user",
    "projects.view_membership",
    "projects.add_membership",
    "projects.change_membership",
    "projects.delete_membership",
    "projects.add_unit",
    "projects.change_unit",
    "performance.add_scoringscheme",
    "performance.change_scoringscheme",
    "performance.delete_scoringscheme",
    "performance.add_schemeassignment",
    "performance.change_schemeassignment",
    "performance.delete_schemeassignment",
    # a bureau's 审核设置: its own 管理员 only (``may_manage_bureau_policy``)
    "performance.add_bureaupolicy",
    "performance.change_bureaupolicy",
    *ROUNDS_AND_WINDOWS,
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.FILLER: VIEW_ALL + UNIT_EDITING,
    Role.UNIT_REVIEWER: VIEW_ALL + UNIT_EDITING,
    Role.DEPT_REVIEWER: VIEW_ALL + REVIEWING,
    Role.FINANCE_REVIEWER: VIEW_ALL + FINANCE,
    Role.ADMIN: VIEW_ALL + UNIT_EDITING + ADMINISTRATION,
}


def sync_role_groups(**kwargs) -> None:
    """Create or refresh one permission group per role (runs after every migrate)."""
    if not global_apps.is_installed("performance"):
        return
    labels = {name.split(".", 1)[0] for names in ROLE_PERMISSIONS.values() for name in names}
    all_permissions = Permission.objects.filter(content_type__app_label__in=labels).select_related(
        "content_type"
    )
    by_name = {f"{p.content_type.app_label}.{p.codename}": p for p in all_permissions}
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=Role(role).label)
        group.permissions.set([by_name[n] for n in names if n in by_name])
