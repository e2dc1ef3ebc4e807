"""The indicator library's API: who sees which entries, a department proposes and the finance
bureau confirms, refusals are field-level, entries are never deleted."""

from __future__ import annotations

import pytest

from performance.choices import LibraryStatus
from performance.models import LibraryEntry

pytestmark = pytest.mark.django_db

URL = "/api/v1/library/entries/"
NEW = {
    "owner": "027",
    "level1": "产出指标",
    "level2": "质量指标",
    "level3": "经办业务差错率（接口）",
    "nature": "≤",
    "measure_unit": "%",
    "reference_value": "≤1%",
    "project_categories": ["special"],
    "function_class": "208",
}


def _codes(response) -> set[str]:
    return {row["code"] for row in response.json()["results"]}


def test_a_department_proposes_and_finance_confirms_through_the_api(
    api, dept_reviewer, finance_reviewer
):
    created = api(dept_reviewer).post(URL, {**NEW, "propose": True}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == LibraryStatus.SUBMITTED and body["code"].startswith("027-")
    assert body["direction"] == "negative" and body["project_categories"] == ["special"]
    detail = api(finance_reviewer).get(f"{URL}{body['id']}/").json()
    assert detail["allowed_actions"] == ["approve", "return"]
    confirmed = api(finance_reviewer).post(
        f"{URL}{body['id']}/confirm/", {"lock_version": detail["lock_version"]}, format="json"
    )
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["status"] == LibraryStatus.APPROVED


def test_drafts_are_the_owners_and_confirmed_entries_everyones(
    api, dept_reviewer, outsider_dept_reviewer, filler
):
    draft = api(dept_reviewer).post(URL, NEW, format="json").json()
    confirmed = LibraryEntry.objects.filter(status=LibraryStatus.APPROVED).first()
    for user, sees_draft in (
        (dept_reviewer, True),
        (outsider_dept_reviewer, False),
        (filler, False),
    ):
        listed = _codes(api(user).get(URL, {"page_size": 200, "code": draft["code"]}))
        assert (draft["code"] in listed) is sees_draft
        answer = api(user).get(f"{URL}{draft['id']}/")
        assert answer.status_code == (200 if sees_draft else 404)
        assert api(user).get(f"{URL}{confirmed.pk}/").status_code == 200


def test_budget_unit_staff_may_not_create_entries(api, filler):
    answer = api(filler).post(URL, NEW, format="json")
    assert answer.status_code == 400  # 027 is outside 027001's scope: it looks missing
    assert "owner" in answer.json()["errors"]
    own_unit = api(filler).post(URL, {**NEW, "owner": "027001"}, format="json")
    assert own_unit.status_code == 400  # a budget unit never owns entries
    assert "unit" in own_unit.json()["errors"]
    assert not LibraryEntry.objects.filter(level3=NEW["level3"]).exists()


def test_bad_values_are_field_errors_in_chinese(api, dept_reviewer):
    answer = api(dept_reviewer).post(URL, {**NEW, "reference_value": "≥99%"}, format="json")
    assert answer.status_code == 400
    assert "指标性质" in str(answer.json()["errors"]["reference_value"])


def test_entries_are_never_deleted(api, superuser):
    entry = LibraryEntry.objects.first()
    assert api(superuser).delete(f"{URL}{entry.pk}/").status_code == 405
    assert LibraryEntry.objects.filter(pk=entry.pk).exists()


def test_a_frozen_meaning_is_refused_with_its_code(api, finance_reviewer):
    entry = LibraryEntry.objects.filter(frozen_at__isnull=False, is_common=False).first()
    answer = api(finance_reviewer).patch(
        f"{URL}{entry.pk}/",
        {"lock_version": entry.lock_version, "level3": "改名", "reason": "更正"},
        format="json",
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == "library_frozen"


def test_revise_makes_a_new_version(api, dept_reviewer):
    entry = LibraryEntry.objects.filter(unit__code="027", status=LibraryStatus.APPROVED).first()
    answer = api(dept_reviewer).post(
        f"{URL}{entry.pk}/revise/", {"reason": "口径调整", "reference_value": ""}, format="json"
    )
    assert answer.status_code == 201, answer.content
    assert (answer.json()["code"], answer.json()["version"]) == (entry.code, entry.version + 1)
    assert [v["version"] for v in answer.json()["versions"]] == [1, 2]


@pytest.mark.parametrize(
    ("language", "message"),
    [("zh-hans", "归口单位不存在。"), ("en", "The owner unit does not exist.")],
)
def test_an_unknown_or_foreign_owner_looks_missing(api, outsider_dept_reviewer, language, message):
    client = api(outsider_dept_reviewer, HTTP_ACCEPT_LANGUAGE=language)
    for owner in ("999", "027"):  # missing, and another department
        answer = client.post(URL, {**NEW, "owner": owner}, format="json")
        assert answer.status_code == 400
        assert answer.json()["errors"]["owner"] == [message]
