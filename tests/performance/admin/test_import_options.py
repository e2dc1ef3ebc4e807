"""数据导入 in the admin: the per-kind options the API and ``import_data`` take (units: complete
import with its root and the confirmed deactivation count; people: no invitations)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from performance.choices import NotificationKind
from performance.models import Notification
from projects.models import Unit

pytestmark = pytest.mark.django_db

UNITS_HEADER = "单位编码,单位名称,单位类型,上级单位编码\n"
ONLY_027001 = UNITS_HEADER + "027001,伊滨经开区（示范区）社会保障事务服务中心,预算单位,027\n"
PEOPLE = "用户名,姓名,电子邮箱,单位编码,角色\nzhang3,张三,zhang3@example.org,027001,填报人\n"


def page(kind: str) -> str:
    return reverse("performance_import", args=[kind])


def upload(client, kind: str, text: str, **options):
    file = SimpleUploadedFile(f"{kind}.csv", text.encode(), content_type="text/csv")
    return client.post(page(kind), {"import_file": file, **options})


def preview_and_confirm(client, kind: str, text: str, confirm_extra=None, **options):
    preview = upload(client, kind, text, **options)
    assert preview.status_code == 200 and "confirm" in preview.context, preview.content.decode()
    body = {**preview.context["confirm"], **(confirm_extra or {})}
    return preview, client.post(preview.context["confirm_url"], body, follow=True)


@pytest.fixture
def extra_unit(login, superuser):
    """027002, a unit of 027 that the files below leave out (imported through the admin)."""
    client = login(superuser)
    preview_and_confirm(client, "units", UNITS_HEADER + "027002,甲,预算单位,027\n")
    assert Unit.objects.get(code="027002").is_active
    return client


def test_option_fields_are_shown_only_for_their_kind(login, superuser):
    client = login(superuser)
    units = client.get(page("units")).content.decode()
    people = client.get(page("people")).content.decode()
    targets = client.get(page("targets")).content.decode()
    for label in ("完整导入", "根单位编码", "确认停用数"):
        assert label in units and label not in people and label not in targets
    assert "不发送设置密码邮件" in people
    assert "不发送设置密码邮件" not in units and "不发送设置密码邮件" not in targets


def test_units_import_without_complete_deactivates_nothing(extra_unit):
    preview, done = preview_and_confirm(extra_unit, "units", ONLY_027001)
    assert "将停用（不删除）的单位" not in preview.content.decode()
    assert "导入完成" in done.content.decode() or "没有任何变化" in done.content.decode()
    assert Unit.objects.get(code="027002").is_active


def test_complete_units_import_deactivates_the_missing_unit_only_when_confirmed(extra_unit):
    preview = upload(extra_unit, "units", ONLY_027001, complete="on", root="027")
    html = preview.content.decode()
    assert "将停用（不删除）的单位：027002" in html
    assert 'name="expected_deactivations"' in html.split('id="import-confirm"')[1]
    confirm = preview.context["confirm"]
    assert (confirm["complete"], confirm["root"]) == ("on", "027")

    refused = extra_unit.post(preview.context["confirm_url"], confirm, follow=True)
    assert [e.code for e in refused.context["result"].errors] == ["expected_count"]
    assert Unit.objects.get(code="027002").is_active

    done = extra_unit.post(
        preview.context["confirm_url"], {**confirm, "expected_deactivations": "1"}, follow=True
    )
    assert "导入完成" in done.content.decode(), done.content.decode()
    assert not Unit.objects.get(code="027002").is_active
    assert Unit.objects.get(code="027001").is_active


def test_people_import_sends_invitations_unless_told_not_to(
    login, superuser, django_capture_on_commit_callbacks
):
    client = login(superuser)
    with django_capture_on_commit_callbacks(execute=True):
        preview_and_confirm(client, "people", PEOPLE, no_invites="on")
    invites = Notification.objects.filter(kind=NotificationKind.ACCOUNT_INVITE)
    assert invites.filter(recipient__username="zhang3").count() == 0 and not mail.outbox

    with django_capture_on_commit_callbacks(execute=True):
        preview_and_confirm(client, "people", PEOPLE.replace("zhang3", "li4"))
    assert invites.filter(recipient__username="li4").count() == 1
    assert [m.to for m in mail.outbox] == [["li4@example.org"]]


def test_only_superusers_may_skip_invitations_in_the_admin(login, dept_admin):
    page_ = upload(login(dept_admin), "people", PEOPLE, no_invites="on")
    assert [e.code for e in page_.context["result"].errors] == ["invalid_option"]
    assert "confirm" not in page_.context
