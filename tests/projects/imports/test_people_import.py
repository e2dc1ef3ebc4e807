"""Kind ``people``: users and memberships from master data, invited to set a password
(issue 18, U3–U5, B4, unknown role)."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import override_settings

from performance.choices import NotificationKind
from performance.models import Notification
from performance.services.imports import KINDS, import_run
from projects.models import AuditEntry, Membership
from projects.services.invitations import invite_path

pytestmark = pytest.mark.django_db
User = get_user_model()
HEADER = ["用户名", "姓名", "电子邮箱", "单位编码", "角色"]


def people_csv(*rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def run(actor, data: bytes, **options):
    dry_run = options.pop("dry_run", False)
    return import_run(
        kind="people",
        actor=actor,
        file=data,
        filename="people.csv",
        dry_run=dry_run,
        options=options,
    )


def fingerprint() -> tuple:
    return (
        sorted(
            User.objects.values_list("username", "first_name", "email", "is_active", "is_staff")
        ),
        sorted(Membership.objects.values_list("user__username", "unit__code", "role")),
        AuditEntry.objects.count(),
        Notification.objects.count(),
    )


NEW = ["zhang3", "张三", "zhang3@example.org", "027001", "填报人"]


def test_people_import_creates_users_without_password_and_invites_once(
    dept_admin, django_capture_on_commit_callbacks
):
    data = people_csv(NEW, ["zhang3", "张三", "zhang3@example.org", "027001", "单位审核人"])
    with django_capture_on_commit_callbacks(execute=True):
        result = run(dept_admin, data)

    assert result.ok and result.committed, result.errors
    assert result.counts["users_created"] == 1 and result.counts["memberships_created"] == 2
    user = User.objects.get(username="zhang3")
    assert not user.has_usable_password() and user.is_staff and user.first_name == "张三"
    assert sorted(user.groups.values_list("name", flat=True)) == ["单位审核人", "填报人"]
    assert sorted(Membership.objects.filter(user=user).values_list("role", flat=True)) == [
        "filler",
        "unit_reviewer",
    ]
    invites = Notification.objects.filter(recipient=user, kind=NotificationKind.ACCOUNT_INVITE)
    assert invites.count() == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["zhang3@example.org"]
    assert "/accounts/set-password/" in mail.outbox[0].body

    with django_capture_on_commit_callbacks(execute=True):
        again = run(dept_admin, data)
    assert again.ok and not again.changed and "没有任何变化" in again.summary()
    assert invites.count() == 1 and len(mail.outbox) == 1


def test_invite_mail_body_stored_without_token(dept_admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run(dept_admin, people_csv(NEW))
    notification = Notification.objects.get(kind=NotificationKind.ACCOUNT_INVITE)
    stored = " ".join([notification.title, notification.body, notification.link])
    assert "set-password" not in stored and "z***@example.org" in notification.body
    assert "set-password" not in str(list(AuditEntry.objects.values_list("changes", "comment")))


def _invited(actor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run(actor, people_csv(NEW))
    return User.objects.get(username="zhang3")


def test_invite_link_sets_password_once(dept_admin, client, django_capture_on_commit_callbacks):
    user = _invited(dept_admin, django_capture_on_commit_callbacks)
    link = invite_path(user)
    page = client.get(link, follow=True)
    assert page.status_code == 200 and page.context["validlink"]
    form_url = page.redirect_chain[-1][0]
    done = client.post(form_url, {"new_password1": "Qz8!vLm2#pXr", "new_password2": "Qz8!vLm2#pXr"})
    assert done.status_code == 302 and done["Location"] == "/accounts/set-password/done/"
    user.refresh_from_db()
    assert user.check_password("Qz8!vLm2#pXr")
    assert AuditEntry.objects.filter(
        comment="通过邀请链接设置密码", object_id=str(user.pk)
    ).exists()

    reused = client.get(link, follow=True)
    assert not reused.context["validlink"]
    assert "链接无效" in reused.content.decode()


def test_invite_link_expires(dept_admin, client, django_capture_on_commit_callbacks):
    user = _invited(dept_admin, django_capture_on_commit_callbacks)
    link = invite_path(user)
    with override_settings(ACCOUNT_INVITE_SECONDS=-1):
        expired = client.get(link, follow=True)
    assert not expired.context["validlink"]
    assert client.get(link, follow=True).context["validlink"]


def test_invite_link_refused_for_inactive_user(
    dept_admin, client, django_capture_on_commit_callbacks
):
    user = _invited(dept_admin, django_capture_on_commit_callbacks)
    link = invite_path(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    page = client.get(link, follow=True)
    assert not page.context["validlink"]


def test_password_reset_token_is_no_invitation(
    dept_admin, client, django_capture_on_commit_callbacks
):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    user = _invited(dept_admin, django_capture_on_commit_callbacks)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    page = client.get(
        f"/accounts/set-password/{uid}/{default_token_generator.make_token(user)}/", follow=True
    )
    assert not page.context["validlink"]


def test_membership_outside_importers_scope_is_row_error(dept_admin):
    before = fingerprint()
    result = run(
        dept_admin, people_csv(NEW, ["li4", "李四", "li4@example.org", "305004", "填报人"])
    )
    assert [(e.code, e.row, e.column) for e in result.errors] == [
        ("unit_out_of_scope", 3, "单位编码")
    ]
    assert fingerprint() == before


def test_unknown_role_is_row_error(dept_admin):
    before = fingerprint()
    result = run(dept_admin, people_csv(["li4", "李四", "li4@example.org", "027001", "处长"]))
    assert [(e.code, e.row, e.column) for e in result.errors] == [("unknown_role", 2, "角色")]
    assert fingerprint() == before


def test_role_on_wrong_kind_of_unit_is_row_error(dept_admin):
    result = run(
        dept_admin, people_csv(["li4", "李四", "li4@example.org", "027001", "主管部门审核人"])
    )
    assert [(e.code, e.row) for e in result.errors] == [("role_unit_kind", 2)]


def test_person_rows_with_different_emails_conflict(dept_admin):
    before = fingerprint()
    result = run(
        dept_admin, people_csv(NEW, ["zhang3", "张三", "other@example.org", "027001", "单位审核人"])
    )
    assert [(e.code, e.row, e.column) for e in result.errors] == [
        ("person_conflict", 3, "电子邮箱")
    ]
    assert fingerprint() == before


def test_admin_cannot_grant_himself_by_import(dept_admin):
    before = fingerprint()
    result = run(dept_admin, people_csv(["admin027", "027 管理员", "", "027001", "填报人"]))
    assert [e.code for e in result.errors] == ["required"]  # e-mail is required
    result = run(
        dept_admin,
        people_csv(["admin027", "027 管理员", "admin027@example.org", "027001", "填报人"]),
    )
    codes = {(e.code, e.row) for e in result.errors}
    assert ("grant_refused", 2) in codes
    assert fingerprint() == before


def test_superuser_is_never_master_data(superuser):
    result = run(superuser, people_csv(["admin", "改名", "admin@example.org", "027001", "填报人"]))
    assert [(e.code, e.row) for e in result.errors] == [("superuser_row", 2)]


def test_only_superusers_may_skip_invitations(dept_admin):
    result = run(dept_admin, people_csv(NEW), send_invites="false")
    assert [e.code for e in result.errors] == ["invalid_option"]


def test_example_people_file_is_the_demos_and_imports_unchanged(superuser):
    before = fingerprint()
    result = run(superuser, KINDS["people"].example_path.read_bytes())
    assert result.ok and not result.changed, result.errors
    assert result.counts["memberships_unchanged"] == 8
    assert fingerprint() == before


def test_filler_may_not_import_people(filler):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        run(filler, people_csv(NEW))
