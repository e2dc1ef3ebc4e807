"""Bad input is a 4xx in the API's error shape, never a 500 (issue 13 §5): forged cursors,
bodies nested too deep or too large, and other forged values. Each answer is checked against
the schema by the ``api`` client, and nothing changes.
"""

from __future__ import annotations

import base64
from urllib.parse import urlencode

import pytest

from performance.models import PerformanceGoal
from performance.services import workflow

pytestmark = pytest.mark.django_db

CLEAN_PROJECT = "410395220000000007669"


@pytest.fixture
def draft(filler):
    approved = PerformanceGoal.objects.get(project__code=CLEAN_PROJECT, version=1)
    return workflow.goal_adjust(goal=approved, actor=filler, reason="预算调整")


def forged_cursor(**tokens: str) -> str:
    """A cursor as DRF encodes one (base64 of ``o=…&r=…&p=…``), with any values."""
    return base64.b64encode(urlencode(tokens).encode()).decode()


CURSOR_LISTS = [
    "/api/v1/goals/",
    "/api/v1/indicators/",
    "/api/v1/monitoring-reports/",
    "/api/v1/evaluations/",
]


@pytest.mark.parametrize("url", CURSOR_LISTS)
@pytest.mark.parametrize(
    ("ordering", "cursor"),
    [
        (None, "cD0lMjclMjBPUiUyMDE9MS0t"),  # p=' OR 1=1-- (the issue's cursor)
        (None, forged_cursor(p="abc")),  # ordered by id: not a number
        ("-id", forged_cursor(p="1.5", r="1")),
        ("created_at", forged_cursor(p="yesterday")),  # not a date-time
        ("-updated_at", forged_cursor(p="2022-13-45 99:00")),
        ("status", forged_cursor(p="draft\x00")),  # NUL: PostgreSQL refuses the parameter
        (None, forged_cursor(p="1", o="x")),
    ],
)
def test_a_forged_cursor_is_a_400_on_the_cursor(api, filler, url, ordering, cursor):
    params = {"cursor": cursor, **({"ordering": ordering} if ordering else {})}
    for language, message in (("zh-hans", "无效游标"), ("en", "Invalid cursor")):
        response = api(filler, HTTP_ACCEPT_LANGUAGE=language).get(url, params)
        assert response.status_code == 400, (url, params, response.content[:300])
        body = response.json()
        assert body["code"] == "invalid"
        assert body["errors"] == {"cursor": [message]}


def test_a_forged_cursor_on_an_objects_history_is_a_400(api, filler, draft):
    response = api(filler).get(
        f"/api/v1/goals/{draft.pk}/history/", {"cursor": forged_cursor(p="' OR 1=1--")}
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"cursor": ["无效游标"]}


@pytest.mark.parametrize("ordering", ["id", "-id", "year", "-created_at", "updated_at", "status"])
def test_real_cursors_still_page_through_every_ordering(api, filler, ordering):
    client = api(filler)
    expected = client.get("/api/v1/goals/", {"ordering": ordering, "page_size": 200}).json()
    seen, url, params = [], "/api/v1/goals/", {"ordering": ordering, "page_size": 3}
    while url:
        page = client.get(url, params).json()
        seen += [goal["id"] for goal in page["results"]]
        url, params = page["next"], None
    assert seen == [goal["id"] for goal in expected["results"]]
    assert len(seen) > 3


# --- bodies: nesting, malformed JSON, size ------------------------------------------------------


def assert_unchanged(goal: PerformanceGoal) -> None:
    fresh = PerformanceGoal.objects.get(pk=goal.pk)
    assert (fresh.overall_goal, fresh.lock_version) == (goal.overall_goal, goal.lock_version)


def patch_raw(client, goal, body: bytes, content_type: str = "application/json"):
    return client.generic("PATCH", f"/api/v1/goals/{goal.pk}/", body, content_type=content_type)


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("zh-hans", "请求体的 JSON 嵌套超过 32 层。"),
        ("en", "The request body's JSON is nested more than 32 levels deep."),
    ],
)
def test_a_body_nested_100000_deep_is_a_400_parse_error(api, filler, draft, language, message):
    body = b"[" * 100_000 + b"]" * 100_000
    response = patch_raw(api(filler, HTTP_ACCEPT_LANGUAGE=language), draft, body)
    assert response.status_code == 400
    assert response.json() == {"code": "parse_error", "detail": message, "errors": {}}
    assert_unchanged(draft)


def test_deep_nesting_inside_a_field_is_a_400_not_a_recursion_error(api, filler, draft):
    """1000 levels parse (orjson stops at 1024), but DRF's CharField recursed on them."""
    client = api(filler)
    for depth, errors in ((1000, set()), (30, {"overall_goal"})):
        deep = "[" * depth + "]" * depth
        body = f'{{"lock_version": {draft.lock_version}, "overall_goal": {deep}}}'.encode()
        response = patch_raw(client, draft, body)
        assert response.status_code == 400
        assert set(response.json()["errors"]) == errors
        created = client.generic(
            "POST",
            "/api/v1/goals/",
            f'{{"scope": "project", "year": 2023, "indicators": [{{"level1": {deep}}}]}}',
            content_type="application/json",
        )
        assert created.status_code == 400
    assert_unchanged(draft)


@pytest.mark.parametrize(
    ("body", "zh", "en"),
    [
        (
            b'{"lock_version": 1,\n "overall_goal": }',
            "请求体不是合法的 JSON：第 2 行第 18 列有误。",
            "The request body is not valid JSON: error at line 2, column 18.",
        ),
        (
            b'{"lock_version": 1, "budget_total": NaN}',
            "请求体不是合法的 JSON：第 1 行第 37 列有误。",
            "The request body is not valid JSON: error at line 1, column 37.",
        ),
        (
            b'{"lock_version": 1, "overall_goal": "\xff\xfe"}',
            "请求体不是合法的 UTF-8 编码。",
            "The request body is not valid UTF-8.",
        ),
        (
            b"null",
            "请求体应为 JSON 对象，不能是 null。",
            "The request body must be a JSON object, not null.",
        ),
    ],
)
def test_a_body_that_is_not_json_is_a_400_in_the_callers_language(api, filler, draft, body, zh, en):
    for language, message in (("zh-hans", zh), ("en", en)):
        response = patch_raw(api(filler, HTTP_ACCEPT_LANGUAGE=language), draft, body)
        assert response.status_code == 400
        assert response.json() == {"code": "parse_error", "detail": message, "errors": {}}
    assert_unchanged(draft)


def test_an_unknown_charset_is_a_400_in_chinese(api, filler, draft):
    # Codecs that are not text: bz2 would decompress the body past the upload limit.
    for content_type in ("application/json; charset=bz2_codec", "application/json; charset=rot13"):
        response = patch_raw(api(filler), draft, b"{}", content_type)
        assert response.status_code == 400
        assert response.json()["detail"].startswith("不支持请求头 Content-Type 中的字符集")
    latin = f'{{"lock_version": {draft.lock_version}, "overall_goal": "Café"}}'
    response = patch_raw(
        api(filler), draft, latin.encode("latin-1"), "application/json; charset=latin-1"
    )
    assert response.status_code == 200
    assert PerformanceGoal.objects.get(pk=draft.pk).overall_goal == "Café"


@pytest.mark.parametrize(
    "body",
    [b"[]", b'"goal"', b"123", b"true", b'[{"lock_version": 1}]'],
    ids=["list", "string", "number", "bool", "list-of-objects"],
)
def test_a_body_that_is_not_an_object_is_a_400(api, filler, draft, body):
    client = api(filler)
    assert patch_raw(client, draft, body).status_code == 400
    for url in ("/api/v1/goals/", f"/api/v1/goals/{draft.pk}/submit/", "/api/v1/auth/token/"):
        response = client.generic("POST", url, body, content_type="application/json")
        assert response.status_code == 400, url
        assert response.json()["code"] == "invalid"
    assert_unchanged(draft)


LIMIT = 20_000


@pytest.fixture
def small_limits(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("zh-hans", "提交的数据超过 19.5 KB 的上限，请减少一次提交的内容。"),
        ("en", "The submitted data exceeds the limit of 19.5 KB; send less at a time."),
    ],
)
def test_a_body_over_the_upload_limit_is_a_413_in_json(
    api, filler, draft, small_limits, language, message
):
    client = api(filler, HTTP_ACCEPT_LANGUAGE=language)
    text = "很长的目标" * LIMIT
    as_json = f'{{"lock_version": {draft.lock_version}, "overall_goal": "{text}"}}'
    as_form = f"lock_version={draft.lock_version}&overall_goal={text}"
    for body, content_type in (
        (as_json, "application/json"),
        (as_form, "application/x-www-form-urlencoded"),
    ):
        response = patch_raw(client, draft, body.encode(), content_type)
        assert response.status_code == 413, content_type
        expected = {"code": "request_too_large", "detail": message, "errors": {}}
        assert response.json() == expected
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("targets.csv", b"x", content_type="text/csv")
    response = client.post(
        "/api/v1/imports/targets/", {"file": upload, "dry_run": text}, format="multipart"
    )
    assert response.status_code == 413
    assert response.json()["detail"] == message
    assert_unchanged(draft)


def test_too_many_form_fields_is_a_413(api, filler, draft, small_limits):
    fields = "&".join(f"field{i}=1" for i in range(60))
    response = patch_raw(api(filler), draft, fields.encode(), "application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert response.json()["detail"] == "提交的表单字段超过 50 个的上限，请减少一次提交的内容。"
    assert_unchanged(draft)


def test_a_malformed_multipart_body_is_a_400_in_chinese(api, filler):
    response = api(filler).generic(
        "POST",
        "/api/v1/imports/targets/",
        b"--xyz\r\nnot a part",
        content_type="multipart/form-data; boundary=",
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("上传的表单（multipart/form-data）格式有误")


def test_an_admin_post_over_the_upload_limit_is_a_chinese_page(
    client, superuser, draft, small_limits
):
    client.force_login(superuser)
    url = f"/admin/performance/performancegoal/{draft.pk}/change/"
    for language, title, message in (
        ("zh-hans", "提交的数据过大", "提交的数据超过 19.5 KB 的上限"),
        ("en", "Submitted data too large", "The submitted data exceeds the limit of 19.5 KB"),
    ):
        response = client.post(
            url, {"overall_goal": "x" * LIMIT * 2}, HTTP_ACCEPT_LANGUAGE=language
        )
        assert response.status_code == 413
        page = response.content.decode()
        assert f"<title>{title}（413）</title>" in page and message in page
    assert_unchanged(draft)


# --- CSRF, 400 and 500 pages ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("zh-hans", "CSRF 校验失败：没有 csrftoken Cookie。"),
        ("en", "CSRF check failed: no csrftoken cookie."),
    ],
)
def test_a_session_write_without_the_csrf_token_is_a_403_in_the_callers_language(
    filler, draft, language, message
):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(filler)
    response = client.patch(f"/api/v1/goals/{draft.pk}/", {"lock_version": 1, "overall_goal": "x"})
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "csrf_failed" and body["detail"].startswith(message)
    client.get("/admin/")  # the csrftoken cookie, but no header
    response = client.patch(f"/api/v1/goals/{draft.pk}/", {"lock_version": 1, "overall_goal": "x"})
    assert response.status_code == 403
    assert "X-CSRFToken" in response.json()["detail"]
    assert_unchanged(draft)


def test_the_admins_csrf_failure_page_is_chinese_or_english_on_request(client):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    for language, text in (
        ("zh-hans", "安全校验（CSRF）失败：浏览器没有发送本站的 Cookie。"),
        ("en", "The security check (CSRF) failed: the browser sent no cookie for this site."),
    ):
        response = browser.post(
            "/admin/login/", {"username": "admin", "password": "x"}, HTTP_ACCEPT_LANGUAGE=language
        )
        assert response.status_code == 403
        page = response.content.decode()
        assert text in page and f'<html lang="{language}">' in page
        assert "DEBUG" not in page


def test_a_server_error_under_the_api_is_json_and_a_chinese_page_elsewhere(
    filler, superuser, monkeypatch
):
    from django.test import Client

    from performance.admin.dashboard import views as dashboard_views
    from performance.api.views.goals import GoalViewSet

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(GoalViewSet, "list", broken)
    client = Client(raise_request_exception=False)
    client.force_login(filler)
    response = client.get("/api/v1/goals/")
    assert response.status_code == 500
    assert response.json() == {
        "code": "server_error",
        "detail": "服务器内部错误，请稍后重试；如果一直出现，请联系系统管理员。",
        "errors": {},
    }
    monkeypatch.setattr(dashboard_views, "_year", broken)
    client.force_login(superuser)
    page = client.get("/admin/dashboard/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")
    assert "Internal server error; try again later" in page.content.decode()


def test_a_request_django_refuses_under_the_api_is_json(filler):
    from django.test import Client

    response = Client().get("/api/v1/goals/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


# --- other forged input: answered, never a 500 (the fuzzing of issue 13 §5) -----------------------

HUGE = "99999999999999999999999"


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/goals/{HUGE}/",
        f"/api/v1/goals/{HUGE}/history/",
        f"/api/v1/projects/{HUGE}/",
        f"/api/v1/units/{HUGE}/summary/?year=2022",
        f"/api/v1/goals/?year={HUGE}",
        f"/api/v1/goals/?page_size={HUGE}",
        "/api/v1/goals/?page_size=-1",
        "/api/v1/units/?page_size=-1",
        f"/api/v1/units/?page={HUGE}",
        "/api/v1/goals/?ordering=no_such_field",
        "/api/v1/goals/?ordering=project__unit__code",  # not an allowed ordering
        "/api/v1/goals/?year=2022&year=2023&status=draft&status=draft",
        "/api/v1/goals/?unit=%00",
        "/api/v1/goals/?search=%00",
        f"/api/v1/summaries/?year={HUGE}",
        "/api/v1/exports/project_targets/?unit=%00&year=2022",
    ],
)
def test_forged_query_values_are_answered_without_a_server_error(api, filler, url):
    response = api(filler).get(url)
    assert response.status_code < 500, response.content[:300]
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    "body",
    [
        b'{"lock_version": 1, "budget_total": "NaN"}',
        b'{"lock_version": 1, "budget_total": "Infinity"}',
        b'{"lock_version": 1, "budget_total": 1e400}',
        b'{"lock_version": 1, "budget_total": "1e999999999"}',
        b'{"lock_version": ' + HUGE.encode() + b"}",
        b'{"lock_version": 1, "overall_goal": "\\ud800"}',
        b'{"lock_version": 1, "overall_goal": "a\\u0000b"}',
        b'{"lock_version": 1, "overall_goal": ["a"]}',
    ],
)
def test_forged_json_values_are_a_4xx_and_change_nothing(api, filler, draft, body):
    response = patch_raw(api(filler), draft, body)
    assert 400 <= response.status_code < 500, response.content[:300]
    assert set(response.json()) == {"code", "detail", "errors"}
    assert_unchanged(draft)
