"""Every user's groups become exactly the groups of his memberships' roles, and ``is_staff``
exactly "has a membership or is a superuser" (``accounts.sync_user_access``).

Until now a membership deleted in the admin left its user in the role's group, and the 管理员
group held every permission; the groups' permissions are refreshed by
``roles.sync_role_groups`` after this migrate, the users' group memberships here.
"""

from django.conf import settings
from django.db import migrations

# Role value → group name, as ``projects.choices.Role`` labels them when this was written.
ROLE_GROUPS = {
    "filler": "填报人",
    "unit_reviewer": "单位审核人",
    "dept_reviewer": "主管部门审核人",
    "finance_reviewer": "财政审核人",
    "admin": "管理员",
}


def sync_users(apps, schema_editor):
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    Group = apps.get_model("auth", "Group")
    Membership = apps.get_model("projects", "Membership")
    roles_by_user: dict[int, set[str]] = {}
    for user_id, role in Membership.objects.values_list("user_id", "role"):
        roles_by_user.setdefault(user_id, set()).add(role)
    groups = {}
    for role, name in ROLE_GROUPS.items():
        groups[role], _ = Group.objects.get_or_create(name=name)
    for user in User.objects.all():
        roles = roles_by_user.get(user.pk, set())
        user.groups.set([groups[role] for role in sorted(roles) if role in groups])
        staff = bool(user.is_superuser or roles)
        if user.is_staff != staff:
            user.is_staff = staff
            user.save(update_fields=["is_staff"])


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0003_project_code_unique_per_unit"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(sync_users, migrations.RunPython.noop)]
