"""指标库 in the admin: a department adds and proposes an entry, the finance bureau confirms it;
drafts stay with their owner; nothing is ever deleted."""

from __future__ import annotations

import pytest
from django.urls import reverse

from performance.choices import LibraryStatus
from performance.models import LibraryEntry
from performance.services import library
from projects.audit import history
from projects.models import Unit

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:performance_libraryentry_changelist")
ADD = reverse("admin:performance_libraryentry_add")
FORM = {
    "unit": "",
    "level1": "产出指标",
    "level2": "时效指标",
    "level3": "参保登记办结时限（后台）",
    "nature": ">=",
    "measure_unit": "%",
    "reference_value": "≥95%",
    "reference_weight": "",
    "explanation": "",
    "basis": "经办系统台账",
    "scoring_standard": "",
    "goal_scope": "project",
    "project_categories": ["special"],
    "function_class": "208",
}


def _change(entry) -> str:
    return reverse("admin:performance_libraryentry_change", args=[entry.pk])


def _workflow(entry, action: str) -> str:
    return reverse("admin:performance_libraryentry_workflow", args=[entry.pk, action])


def test_a_department_adds_and_proposes_and_finance_confirms_in_the_admin(
    login, dept_reviewer, finance_reviewer
):
    client = login(dept_reviewer)
    form = {**FORM, "unit": Unit.objects.get(code="027").pk}
    response = client.post(ADD, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = LibraryEntry.objects.get(level3=FORM["level3"])
    assert entry.code.startswith("027-") and entry.project_categories == 4
    assert [row.action for row in history(entry)] == ["create"]

    client.post(_workflow(entry, "submit"), {"lock_version": entry.lock_version})
    entry.refresh_from_db()
    assert entry.status == LibraryStatus.SUBMITTED

    page = login(finance_reviewer).get(_change(entry))
    assert "确认" in page.content.decode()
    login(finance_reviewer).post(_workflow(entry, "approve"), {"lock_version": entry.lock_version})
    entry.refresh_from_db()
    assert entry.status == LibraryStatus.APPROVED
    history_page = login(finance_reviewer).get(_change(entry)).content.decode()
    assert "已确认" in history_page  # the audit trail names the library's own states


def test_drafts_are_not_listed_outside_their_department(
    login, dept_reviewer, outsider_dept_reviewer, filler
):
    draft = library.library_entry_create(
        actor=dept_reviewer,
        owner=Unit.objects.get(code="027"),
        data={**FORM, "level3": "仅本部门可见的草稿"},
    )
    assert draft.level3 in login(dept_reviewer).get(CHANGELIST, {"q": "草稿"}).content.decode()
    for user in (outsider_dept_reviewer, filler):
        client = login(user)
        assert draft.level3 not in client.get(CHANGELIST, {"q": "草稿"}).content.decode()
        assert client.get(_change(draft)).status_code == 404
    confirmed = LibraryEntry.objects.filter(status=LibraryStatus.APPROVED).first()
    assert login(filler).get(_change(confirmed)).status_code == 200


def test_nobody_deletes_entries(login, superuser):
    entry = LibraryEntry.objects.first()
    delete = reverse("admin:performance_libraryentry_delete", args=[entry.pk])
    assert login(superuser).post(delete, {"post": "yes"}).status_code == 403
    assert LibraryEntry.objects.filter(pk=entry.pk).exists()


def test_a_returned_entry_shows_the_comment_and_retire_needs_a_reason(
    login, dept_reviewer, finance_reviewer
):
    entry = library.library_entry_create(
        actor=dept_reviewer,
        owner=Unit.objects.get(code="027"),
        data={**FORM, "level3": "待退回的指标"},
        propose=True,
    )
    login(finance_reviewer).post(_workflow(entry, "return"), {"comment": "请写明口径"})
    entry.refresh_from_db()
    assert entry.status == LibraryStatus.RETURNED
    assert "请写明口径" in login(dept_reviewer).get(_change(entry)).content.decode()
    login(dept_reviewer).post(_workflow(entry, "retire"), {"comment": ""})
    entry.refresh_from_db()
    assert entry.status == LibraryStatus.RETURNED  # a withdrawal without a reason is refused
    login(dept_reviewer).post(_workflow(entry, "retire"), {"comment": "不再需要"})
    entry.refresh_from_db()
    assert entry.status == LibraryStatus.RETIRED
