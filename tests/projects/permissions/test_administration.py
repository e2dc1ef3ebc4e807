"""Administration (issue 13 §2): who manages users, memberships, schemes, windows, schedules.

The rules are in ``projects.permissions`` and written out in the README (Security →
Administration); ``tests/projects/admin/test_matrix.py`` calls every admin URL as every role.
These tests follow the reported paths: the stock user admin, self-granted review roles, and
memberships deleted around the services.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from rest_framework.test import APIClient

from performance.choices import Status
from performance.demo import DEMO_PASSWORD
from performance.models import PerformanceGoal, ReportingWindow, SchemeAssignment, ScoringScheme
from projects.choices import Role
from projects.models import AuditEntry, Membership, Unit
from projects.permissions.groups import ROLE_PERMISSIONS
from projects.services import accounts
from projects.services import units as unit_services
from tests.support.admin_forms import admin_form_data

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Another-pass-2026"
User = get_user_model()


def unit(code: str) -> Unit:
    return Unit.objects.get(code=code)


def group_names(user) -> set[str]:
    return set(User.objects.get(pk=user.pk).groups.values_list("name", flat=True))


def role_labels(user) -> set[str]:
    return {
        Role(r).label for r in Membership.objects.filter(user=user).values_list("role", flat=True)
    }


def user_audit(user, actor):
    return AuditEntry.objects.filter(
        content_type__app_label="auth", object_id=str(user.pk), actor=actor
    )


def membership_audit(actor, **changes):
    rows = AuditEntry.objects.filter(content_type__model="membership", actor=actor)
    return [row for row in rows if all(row.changes.get(k) == v for k, v in changes.items())]


# --- the stock user admin, used by a 管理员 of a department ------------------------------------


def test_department_admin_cannot_change_the_finance_reviewers_password(
    login, dept_admin, finance_reviewer
):
    client = login(dept_admin)
    url = reverse("admin:auth_user_password_change", args=[finance_reviewer.pk])
    assert client.get(url).status_code == 404
    response = client.post(
        url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "set_usable_password": "true"}
    )
    assert response.status_code == 404
    finance_reviewer.refresh_from_db()
    assert finance_reviewer.check_password(DEMO_PASSWORD)


def test_department_admin_resets_his_units_users_password_and_it_is_audited(
    login, dept_admin, filler
):
    client = login(dept_admin)
    url = reverse("admin:auth_user_password_change", args=[filler.pk])
    response = client.post(
        url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "set_usable_password": "true"}
    )
    assert response.status_code == 302
    filler.refresh_from_db()
    assert filler.check_password(NEW_PASSWORD)
    [row] = user_audit(filler, dept_admin)
    assert row.comment == "重置密码"
    assert row.unit.code == "027001"
    assert NEW_PASSWORD not in str(row.changes) and filler.password not in str(row.changes)


def test_department_admin_cannot_make_anyone_a_superuser(login, dept_admin, filler):
    client = login(dept_admin)
    url = reverse("admin:auth_user_change", args=[filler.pk])
    page = client.get(url)
    assert page.status_code == 200
    form_fields = set(page.context["adminform"].form.fields)
    assert not {"is_superuser", "is_staff", "groups", "user_permissions"} & form_fields
    response = client.post(
        url,
        admin_form_data(
            page,
            is_superuser="on",
            is_staff="on",
            groups=[str(g.pk) for g in Group.objects.all()],
            email="filler@example.invalid",
        ),
    )
    assert response.status_code == 302
    filler.refresh_from_db()
    assert not filler.is_superuser
    assert group_names(filler) == {"填报人"}
    assert filler.email == "filler@example.invalid"
    [row] = user_audit(filler, dept_admin)
    assert row.changes == {"email": ["filler027@example.invalid", "filler@example.invalid"]}


def test_a_superusers_changes_to_users_are_audited_too(login, superuser, filler):
    client = login(superuser)
    url = reverse("admin:auth_user_change", args=[filler.pk])
    page = client.get(url)
    response = client.post(url, admin_form_data(page, is_superuser="on"))
    assert response.status_code == 302
    filler.refresh_from_db()
    assert filler.is_superuser and filler.is_staff
    [row] = user_audit(filler, superuser)
    assert row.changes["is_superuser"] == [False, True]


def test_a_department_admin_lists_only_the_users_of_his_units(login, dept_admin):
    response = login(dept_admin).get(reverse("admin:auth_user_changelist"))
    shown = {u.username for u in response.context["cl"].result_list}
    assert shown == {"dept027", "filler027", "reviewer027"}


def test_a_new_user_gets_his_first_role_in_the_admins_units(login, dept_admin):
    client = login(dept_admin)
    data = {
        "username": "newfiller",
        "usable_password": "true",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "unit": unit("027001").pk,
        "role": Role.FILLER,
    }
    foreign = client.post(reverse("admin:auth_user_add"), {**data, "unit": unit("305004").pk})
    assert foreign.status_code == 200 and "unit" in foreign.context["adminform"].form.errors
    assert not User.objects.filter(username="newfiller").exists()
    response = client.post(reverse("admin:auth_user_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(username="newfiller")
    assert user.is_staff and not user.is_superuser and user.check_password(NEW_PASSWORD)
    assert group_names(user) == {"填报人"}
    assert user_audit(user, dept_admin).get().action == "create"
    assert membership_audit(dept_admin, user=[None, "newfiller"], role=[None, Role.FILLER])


@pytest.mark.parametrize(
    ("unit_code", "role", "field"),
    [
        ("", "", "unit"),  # a 管理员's user starts with a role in his units
        ("027", Role.FINANCE_REVIEWER, "role"),  # 财政审核人 only at the finance bureau
    ],
)
def test_a_new_user_needs_a_role_the_admin_may_grant(login, dept_admin, unit_code, role, field):
    data = {
        "username": "newuser",
        "usable_password": "true",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "unit": unit(unit_code).pk if unit_code else "",
        "role": role,
    }
    response = login(dept_admin).post(reverse("admin:auth_user_add"), data)
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not User.objects.filter(username="newuser").exists()


def test_a_department_admin_cannot_delete_users_only_deactivate_them(login, dept_admin, filler):
    client = login(dept_admin)
    delete = reverse("admin:auth_user_delete", args=[filler.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=filler.pk).exists()
    url = reverse("admin:auth_user_change", args=[filler.pk])
    response = client.post(url, admin_form_data(client.get(url), is_active=""))
    assert response.status_code == 302
    filler.refresh_from_db()
    assert not filler.is_active
    assert user_audit(filler, dept_admin).get().changes == {"is_active": [True, False]}


def test_own_password_change_in_the_admin_header_is_audited(login, filler):
    client = login(filler)
    response = client.post(
        reverse("admin:password_change"),
        {
            "old_password": DEMO_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    filler.refresh_from_db()
    assert filler.check_password(NEW_PASSWORD)
    assert user_audit(filler, filler).get().comment == "修改本人密码"


def test_the_services_refuse_what_the_admin_does_not_offer(dept_admin, finance_reviewer, filler):
    from projects.services import accounts

    for call in (
        lambda: accounts.user_set_password(
            user=finance_reviewer, password=NEW_PASSWORD, actor=dept_admin
        ),
        lambda: accounts.user_deactivate(user=finance_reviewer, actor=dept_admin),
        lambda: accounts.user_update(user=filler, data={"is_superuser": True}, actor=dept_admin),
        lambda: accounts.user_delete(user=filler, actor=dept_admin),
        lambda: accounts.membership_remove(
            membership=Membership.objects.get(user=finance_reviewer), actor=dept_admin
        ),
        lambda: accounts.user_create(
            username="x", password=NEW_PASSWORD, actor=dept_admin, is_superuser=True
        ),
    ):
        with pytest.raises(PermissionDenied):
            call()
    finance_reviewer.refresh_from_db()
    assert finance_reviewer.is_active and finance_reviewer.check_password(DEMO_PASSWORD)
    assert not AuditEntry.objects.filter(actor=dept_admin).exists()
    accounts.user_deactivate(user=filler, actor=dept_admin)
    assert not User.objects.get(pk=filler.pk).is_active
    assert user_audit(filler, dept_admin).get().changes == {"is_active": [True, False]}


# --- granting roles ------------------------------------------------------------------------------


def add_membership(client, user, unit_code, role):
    return client.post(
        reverse("admin:projects_membership_add"),
        {"user": user.pk, "unit": unit(unit_code).pk, "role": role},
    )


def test_nobody_grants_himself_a_role_and_so_cannot_approve_through_the_api(login, finance_admin):
    goal = PerformanceGoal.objects.filter(unit__code="027001").order_by("pk").first()
    PerformanceGoal.objects.filter(pk=goal.pk).update(status=Status.DEPT_APPROVED)
    response = add_membership(login(finance_admin), finance_admin, "410300", Role.FINANCE_REVIEWER)
    assert response.status_code == 200  # the form again, refused
    assert not Membership.objects.filter(user=finance_admin, role=Role.FINANCE_REVIEWER).exists()
    with pytest.raises(PermissionDenied):
        accounts.membership_add(
            user=finance_admin, unit=unit("410300"), role=Role.FINANCE_REVIEWER, actor=finance_admin
        )
    api = APIClient()
    api.force_authenticate(finance_admin)
    assert api.post(f"/api/v1/goals/{goal.pk}/approve/", {}).status_code == 403
    assert PerformanceGoal.objects.get(pk=goal.pk).status == Status.DEPT_APPROVED


def test_not_even_a_superuser_grants_himself_a_role(superuser):
    with pytest.raises(PermissionDenied):
        accounts.membership_add(
            user=superuser, unit=unit("410300"), role=Role.FINANCE_REVIEWER, actor=superuser
        )


@pytest.mark.parametrize(
    ("unit_code", "role", "granted"),
    [
        ("027001", Role.UNIT_REVIEWER, True),
        ("027", Role.DEPT_REVIEWER, True),
        ("027", Role.ADMIN, True),
        ("305004", Role.UNIT_REVIEWER, False),  # outside his department
        ("305", Role.DEPT_REVIEWER, False),
        ("410300", Role.FINANCE_REVIEWER, False),  # finance-bureau roles: the bureau only
        ("410300", Role.ADMIN, False),
    ],
)
def test_a_department_admin_grants_roles_only_in_his_department(
    login, dept_admin, filler, unit_code, role, granted
):
    add_membership(login(dept_admin), filler, unit_code, role)
    held = Membership.objects.filter(user=filler, unit__code=unit_code, role=role).exists()
    assert held == granted
    assert (Role(role).label in group_names(filler)) == granted


def test_a_membership_without_a_role_is_a_field_error_not_a_500(login, superuser, filler):
    response = add_membership(login(superuser), filler, "027001", "")
    assert response.status_code == 200
    assert "role" in response.context["adminform"].form.errors


def test_finance_roles_are_granted_by_the_finance_bureaus_admin(
    login, finance_admin, dept_reviewer
):
    response = add_membership(login(finance_admin), dept_reviewer, "410300", Role.FINANCE_REVIEWER)
    assert response.status_code == 302
    assert "财政审核人" in group_names(dept_reviewer)


def test_an_admin_cannot_give_roles_to_a_user_with_roles_elsewhere(
    login, dept_admin, finance_reviewer
):
    add_membership(login(dept_admin), finance_reviewer, "027001", Role.FILLER)
    assert not Membership.objects.filter(user=finance_reviewer, unit__code="027001").exists()


def test_an_admin_cannot_touch_his_own_memberships(login, dept_admin):
    own = Membership.objects.get(user=dept_admin)
    client = login(dept_admin)
    assert (
        client.post(
            reverse("admin:projects_membership_delete", args=[own.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert Membership.objects.filter(pk=own.pk).exists()


# --- memberships and groups ----------------------------------------------------------------------


def test_deleting_a_membership_in_the_admin_takes_the_group_away_and_is_audited(
    login, dept_admin, unit_reviewer
):
    membership = Membership.objects.get(user=unit_reviewer)
    url = reverse("admin:projects_membership_delete", args=[membership.pk])
    response = login(dept_admin).post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert group_names(unit_reviewer) == set()
    assert not User.objects.get(pk=unit_reviewer.pk).is_staff  # no role: no admin
    assert membership_audit(dept_admin, user=["reviewer027", None], role=[Role.UNIT_REVIEWER, None])


def test_bulk_deleting_memberships_goes_through_the_service(
    login, dept_admin, filler, unit_reviewer
):
    accounts.membership_add(user=filler, unit=unit("027001"), role=Role.UNIT_REVIEWER)
    doomed = Membership.objects.filter(user__in=[filler, unit_reviewer], role=Role.UNIT_REVIEWER)
    response = login(dept_admin).post(
        reverse("admin:projects_membership_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [str(pk) for pk in doomed.values_list("pk", flat=True)],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert group_names(filler) == {"填报人"} and group_names(unit_reviewer) == set()
    assert len(membership_audit(dept_admin, role=[Role.UNIT_REVIEWER, None])) == 2


def test_changing_a_membership_moves_the_user_to_the_new_roles_group(login, dept_admin, filler):
    membership = Membership.objects.get(user=filler)
    url = reverse("admin:projects_membership_change", args=[membership.pk])
    response = login(dept_admin).post(url, {"unit": unit("027001").pk, "role": Role.UNIT_REVIEWER})
    assert response.status_code == 302
    assert group_names(filler) == {"单位审核人"}
    assert membership_audit(dept_admin, role=[Role.FILLER, Role.UNIT_REVIEWER])


def test_the_units_member_list_is_read_only(login, superuser, filler):
    page = login(superuser).get(reverse("admin:projects_unit_change", args=[unit("027001").pk]))
    [inline] = page.context["inline_admin_formsets"]
    assert inline.formset.model is Membership
    assert not inline.has_add_permission and not inline.has_delete_permission
    assert not inline.has_change_permission


def test_every_users_groups_are_exactly_his_roles_after_the_demo(demo):
    for user in User.objects.all():
        assert group_names(user) == role_labels(user), user.username
        assert user.is_staff == (user.is_superuser or bool(role_labels(user))), user.username
    sysadmin = User.objects.get(username="sysadmin")
    assert Membership.objects.get(user=sysadmin).unit.kind == "finance"


def test_deleting_a_unit_revokes_its_memberships_through_the_service(superuser, filler):
    empty = unit_services.unit_upsert(code="027999", name="空单位", kind="unit", parent=unit("027"))
    accounts.membership_add(user=filler, unit=empty, role=Role.UNIT_REVIEWER)
    assert "单位审核人" in group_names(filler)
    unit_services.unit_delete(unit=empty, actor=superuser)
    assert group_names(filler) == {"填报人"}


# --- the role groups -----------------------------------------------------------------------------


def test_no_role_group_holds_auth_schedule_or_token_permissions(demo):
    for group in Group.objects.all():
        names = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        forbidden = {
            n
            for n in names
            if n.startswith(("django_celery_beat.", "authtoken.", "auth."))
            and n
            not in {
                "auth.view_user",
                "auth.add_user",
                "auth.change_user",
            }
        }
        assert not forbidden, (group.name, forbidden)
        if "auth.add_user" in names:
            assert group.name == "管理员"


def test_every_permission_named_for_a_role_exists(demo):
    from django.contrib.auth.models import Permission

    existing = {
        f"{app}.{codename}"
        for app, codename in Permission.objects.values_list("content_type__app_label", "codename")
    }
    for role, names in ROLE_PERMISSIONS.items():
        assert set(names) <= existing, (role, set(names) - existing)


def test_the_migrations_group_names_are_the_role_labels():
    import importlib

    migration = importlib.import_module("projects.migrations.0004_sync_user_groups_with_roles")
    assert {role.value: role.label for role in Role} == migration.ROLE_GROUPS


# --- schemes, windows, schedules -----------------------------------------------------------------


def scheme_change(client, scheme, **changes):
    url = reverse("admin:performance_scoringscheme_change", args=[scheme.pk])
    page = client.get(url)
    if page.status_code != 200 or "adminform" not in page.context:
        return page
    return client.post(url, admin_form_data(page, **changes))


def test_only_the_finance_bureau_changes_scoring_schemes(login, dept_admin, finance_admin):
    scheme = ScoringScheme.objects.get(is_default=True)
    page = login(dept_admin).get(
        reverse("admin:performance_scoringscheme_change", args=[scheme.pk])
    )
    assert page.status_code == 200 and not page.context["has_change_permission"]  # read-only
    response = login(dept_admin).post(
        reverse("admin:performance_scoringscheme_change", args=[scheme.pk]), {"name": "宽松方案"}
    )
    assert response.status_code == 403
    assert ScoringScheme.objects.get(pk=scheme.pk).name != "宽松方案"
    response = scheme_change(login(finance_admin), scheme, name="调整后的方案")
    assert response.status_code == 302
    assert ScoringScheme.objects.get(pk=scheme.pk).name == "调整后的方案"
    row = AuditEntry.objects.get(content_type__model="scoringscheme", actor=finance_admin)
    assert row.changes["name"][1] == "调整后的方案"


def test_a_unit_cannot_choose_its_own_scoring_scheme(login, dept_admin):
    lenient = ScoringScheme.objects.exclude(is_default=True).first()
    response = login(dept_admin).post(
        reverse("admin:performance_schemeassignment_add"),
        {"unit": unit("027").pk, "scheme": lenient.pk},
    )
    assert response.status_code == 403
    assert not SchemeAssignment.objects.filter(unit__code="027").exists()


def window_data(**changes):
    return {
        "kind": "goal_set",
        "year": 2024,
        "title": "2024 年目标申报",
        "opens_on": "2024-07-01",
        "closes_on": "2024-07-31",
        "lead_days": 3,
        "is_active": "on",
        **changes,
    }


def test_reporting_windows_are_set_by_the_finance_bureau(login, dept_admin, finance_reviewer):
    url = reverse("admin:performance_reportingwindow_add")
    assert login(dept_admin).post(url, window_data()).status_code == 403
    assert not ReportingWindow.objects.filter(title="2024 年目标申报").exists()
    assert login(finance_reviewer).post(url, window_data()).status_code == 302
    window = ReportingWindow.objects.get(title="2024 年目标申报")
    assert AuditEntry.objects.filter(
        content_type__model="reportingwindow", object_id=str(window.pk), actor=finance_reviewer
    ).exists()


def test_schedules_are_for_superusers_only(login, finance_admin, superuser):
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    every = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.HOURS)
    task = PeriodicTask.objects.create(
        name="测试", task="performance.tasks.reminders", interval=every
    )
    url = reverse("admin:django_celery_beat_periodictask_change", args=[task.pk])
    client = login(finance_admin)
    assert client.get(url).status_code == 403
    assert (
        client.post(url, {"name": "改过", "task": task.task, "interval": every.pk}).status_code
        == 403
    )
    assert PeriodicTask.objects.get(pk=task.pk).name == "测试"
    assert login(superuser).get(url).status_code == 200
