"""Errors: one JSON shape, field-level messages in Chinese or English, 409 on stale writes,
authentication (token and session with CSRF) and the throttled token endpoint."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from performance.demo import DEMO_PASSWORD
from performance.models import Indicator, PerformanceGoal
from performance.services import workflow
from projects.models import Project

pytestmark = pytest.mark.django_db

CLEAN_PROJECT = "410395220000000007669"


@pytest.fixture
def draft(filler):
    approved = PerformanceGoal.objects.get(project__code=CLEAN_PROJECT, version=1)
    return workflow.goal_adjust(goal=approved, actor=filler, reason="预算调整")


def test_a_stale_lock_version_is_409_and_changes_nothing(api, filler, draft):
    client = api(filler)
    url = f"/api/v1/goals/{draft.pk}/"
    assert client.patch(url, {"lock_version": 1, "overall_goal": "第一次修改"}).status_code == 200
    response = client.patch(url, {"lock_version": 1, "overall_goal": "基于旧版本的修改"})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "stale" and list(body["errors"]) == ["lock_version"]
    draft.refresh_from_db()
    assert (draft.overall_goal, draft.lock_version) == ("第一次修改", 2)
    # Transitions and indicators honour it too.
    assert client.post(f"{url}submit/", {"lock_version": 1}).status_code == 409
    indicator = draft.indicators.first()
    stale = client.patch(
        f"/api/v1/indicators/{indicator.pk}/", {"lock_version": 9, "raw_value": "≥1%"}
    )
    assert stale.status_code == 409
    assert Indicator.objects.get(pk=indicator.pk).raw_value == indicator.raw_value


def test_a_stale_write_is_reported_in_english_on_request(api, filler, draft):
    response = api(filler, HTTP_ACCEPT_LANGUAGE="en").patch(
        f"/api/v1/goals/{draft.pk}/", {"lock_version": 5, "overall_goal": "x"}
    )
    assert response.status_code == 409
    assert response.json()["detail"].startswith("Someone else has changed this object")


BAD_GOAL = {"scope": "project", "year": "明年", "indicators": [{"level1": "产出指标"}]}


def test_bad_input_is_400_with_chinese_field_messages_by_default(api, filler):
    before = PerformanceGoal.objects.count()
    response = api(filler).post("/api/v1/goals/", BAD_GOAL)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["detail"] == "提交的数据有误，请按字段提示修改。"
    assert body["errors"]["year"] == ["请填写合法的整数值。"]
    assert body["errors"]["indicators.0.level3"] == ["该字段是必填项。"]
    assert PerformanceGoal.objects.count() == before


def test_bad_input_is_400_with_english_field_messages_on_request(api, filler):
    response = api(filler, HTTP_ACCEPT_LANGUAGE="en").post("/api/v1/goals/", BAD_GOAL)
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "The submitted data is invalid; see the messages per field."
    assert body["errors"]["year"] == ["A valid integer is required."]
    assert body["errors"]["indicators.0.level3"] == ["This field is required."]
    assert response["Content-Language"] == "en"


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("zh-hans", "项目和单位必须且只能填写其中一个。"),
        ("en", "Give either a project or a unit, not both."),
    ],
)
def test_the_apis_own_messages_are_translated(api, filler, language, message):
    response = api(filler, HTTP_ACCEPT_LANGUAGE=language).post(
        "/api/v1/evaluations/", {"year": 2022}
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"project": [message], "unit": [message]}


def test_service_errors_keep_their_field_and_code(api, filler, finance_reviewer):
    project = Project.objects.get(code=CLEAN_PROJECT)
    api(finance_reviewer).post(
        "/api/v1/monitoring-rounds/",
        {"year": 2022, "data_month": 7, "opens_on": "2022-08-01", "deadline": "2022-08-31"},
    )
    report = api(filler).get("/api/v1/monitoring-reports/", {"project": project.pk}).json()
    report = report["results"][0]
    entry = report["entries"][0]
    response = api(filler).patch(
        f"/api/v1/monitoring-reports/{report['id']}/",
        {
            "lock_version": report["lock_version"],
            "entries": [{"indicator": entry["indicator"]["id"], "likelihood": "也许吧"}],
        },
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["entries.0.likelihood"]
    submitted = api(finance_reviewer).post(f"/api/v1/monitoring-reports/{report['id']}/submit/")
    assert submitted.status_code == 403
    assert "填报人" in submitted.json()["detail"]


def test_requests_without_valid_credentials_are_401(api, filler):
    assert api().get("/api/v1/goals/").json()["code"] == "not_authenticated"
    forged = api()
    forged.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef")
    response = forged.get("/api/v1/goals/")
    assert (response.status_code, response.json()["code"]) == (401, "authentication_failed")
    client = api(filler)
    filler.is_active = False
    filler.save(update_fields=["is_active"])
    assert client.get("/api/v1/goals/").status_code == 401


def test_session_authentication_requires_the_csrf_token(filler, draft):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(filler)
    assert client.get(f"/api/v1/goals/{draft.pk}/").status_code == 200
    refused = client.patch(f"/api/v1/goals/{draft.pk}/", {"lock_version": 1, "overall_goal": "x"})
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    client.get("/admin/")  # the admin page sets the csrftoken cookie
    token = client.cookies["csrftoken"].value
    accepted = client.patch(
        f"/api/v1/goals/{draft.pk}/",
        {"lock_version": 1, "overall_goal": "会话修改"},
        HTTP_X_CSRFTOKEN=token,
    )
    assert accepted.status_code == 200
    assert PerformanceGoal.objects.get(pk=draft.pk).overall_goal == "会话修改"


def test_the_token_endpoint_issues_one_token_per_user(api):
    client = api()
    first = client.post("/api/v1/auth/token/", {"username": "finance", "password": DEMO_PASSWORD})
    second = client.post("/api/v1/auth/token/", {"username": "finance", "password": DEMO_PASSWORD})
    assert first.status_code == 200 and first.json() == second.json()
    wrong = client.post("/api/v1/auth/token/", {"username": "finance", "password": "wrong"})
    assert wrong.status_code == 400
    assert wrong.json()["errors"] == {"non_field_errors": ["用户名或密码不正确，或账号已停用。"]}


def test_the_token_endpoint_is_throttled(api, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"auth": "3/min"},
    }
    cache.clear()
    client = api()
    guesses = [
        client.post("/api/v1/auth/token/", {"username": "finance", "password": f"guess{i}"})
        for i in range(4)
    ]
    assert [r.status_code for r in guesses] == [400, 400, 400, 429]
    assert guesses[-1].json()["code"] == "throttled"
    assert int(guesses[-1]["Retry-After"]) > 0
    # Even the right password waits: the limit is per client address.
    right = client.post("/api/v1/auth/token/", {"username": "finance", "password": DEMO_PASSWORD})
    assert right.status_code == 429
    cache.clear()


def test_an_administrator_issues_a_token_in_the_admin(client, superuser, finance_reviewer, api):
    from rest_framework.authtoken.models import Token

    client.force_login(superuser)
    response = client.post("/admin/authtoken/tokenproxy/add/", {"user": finance_reviewer.pk})
    assert response.status_code == 302, response.content.decode()[:500]
    token = Token.objects.get(user=finance_reviewer)
    caller = api()
    caller.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert caller.get("/api/v1/me/").json()["username"] == "finance"


# --- found by the fuzzer (tests/performance/api/test_fuzz.py) ----------------------------------------------


def test_a_cursor_or_page_that_does_not_decode_is_a_400_on_the_parameter(api, filler, draft):
    client = api(filler)
    for url in ("/api/v1/goals/", f"/api/v1/goals/{draft.pk}/history/"):
        response = client.get(url, {"cursor": "not-a-cursor"})
        assert response.status_code == 400, url
        assert response.json()["code"] == "invalid"
        assert list(response.json()["errors"]) == ["cursor"]
    response = client.get("/api/v1/units/", {"page": 99})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["page"]


def test_an_unknown_api_url_is_a_json_404_and_other_urls_keep_the_html_page(api, filler, client):
    for url in ("/api/v1/goals/1.5/", "/api/v1/no-such-thing/", "/api/nothing"):
        response = api(filler).get(url)
        assert response.status_code == 404, url
        assert response["Content-Type"].startswith("application/json")
        assert response.json() == {"code": "not_found", "detail": "未找到。", "errors": {}}
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_a_body_in_an_unsupported_media_type_is_a_documented_415(api, filler, draft):
    # CheckedAPIClient validates the answer against the schema: 415 must be documented.
    response = api(filler).generic(
        "PATCH", f"/api/v1/goals/{draft.pk}/", b"lock_version=1", content_type="text/plain"
    )
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert PerformanceGoal.objects.get(pk=draft.pk).lock_version == draft.lock_version


def test_an_import_failure_matches_exactly_one_documented_shape(api, filler):
    import jsonschema
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .schema_check import schema_document

    upload = SimpleUploadedFile("targets.csv", b"\x00\x01not a csv", content_type="text/csv")
    response = api(filler).post("/api/v1/imports/targets/", {"file": upload}, format="multipart")
    assert response.status_code == 400
    # As the schema is published (not made strict the way our own checker does): oneOf needs
    # exactly one match, so the plain Error must not also accept the import failure's body.
    document = schema_document()
    schema = {"$ref": "#/components/schemas/ImportFailure", "components": document["components"]}
    jsonschema.Draft202012Validator(schema).validate(response.json())
