"""``GET /api/v1/todo/``: each role's lines, filters, foreign and garbage input (schema-checked)."""

from __future__ import annotations

import pytest

from performance.demo import load_demo_monitoring
from performance.models import PerformanceGoal
from performance.services import workflow
from projects.models import Unit

pytestmark = pytest.mark.django_db

URL = "/api/v1/todo/"
SUBMITTABLE = ("410395220000000007669", "410395220000000007677")


def submitted(code: str, actor) -> PerformanceGoal:
    goal = PerformanceGoal.objects.get(project__code=code, status="approved")
    new = workflow.goal_adjust(goal=goal, actor=actor, reason="预算调整")
    return workflow.submit(obj=new, actor=actor)


def test_filler_gets_his_self_evaluations_to_start(api, filler):
    response = api(filler).get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 10 and body["counts"] == {"evaluation.start": 10}
    first = body["results"][0]
    assert first["kind"] == "evaluation.start" and first["group"] == "fill"
    assert first["unit"]["code"] == "027001"
    assert first["object"]["type"] == "project"
    assert first["object"]["url"] == f"/api/v1/projects/{first['object']['id']}/"
    assert first["overdue"] is True and first["due"] == "2023-04-30"
    assert first["actions"] == ["start"]


def test_department_reviewer_gets_the_goal_at_his_step(api, filler, dept_reviewer):
    goal = submitted(SUBMITTABLE[0], filler)
    body = api(dept_reviewer).get(URL, {"group": "review"}).json()
    assert body["counts"] == {"goal.review": 1}
    (line,) = body["results"]
    assert line["key"] == f"goal.review:{goal.pk}"
    assert line["status"] == "submitted" and line["status_label"] == "已提交"
    assert line["waited_working_days"] == 0 and line["overdue"] is False
    assert line["actions"] == ["approve", "return"]
    assert line["link"].endswith(f"/performancegoal/{goal.pk}/change/#workflow-panel")


def test_finance_reviewer_sees_overdue_units_and_then_the_approved_goal(
    api, filler, dept_reviewer, finance_reviewer
):
    goal = submitted(SUBMITTABLE[0], filler)
    client = api(finance_reviewer)
    assert client.get(URL, {"kind": "goal.review"}).json()["count"] == 0
    workflow.approve(obj=goal, actor=dept_reviewer)
    body = client.get(URL).json()
    assert body["counts"]["goal.review"] == 1
    assert body["counts"]["units.overdue"] >= 1
    assert body["results"][0]["key"] == f"goal.review:{goal.pk}"
    assert body["results"][0]["status"] == "dept_approved"


def test_todo_api_filters_by_kind_and_unit(api, finance_reviewer):
    load_demo_monitoring()
    client = api(finance_reviewer)
    codes = {r["unit"]["code"] for r in client.get(URL).json()["results"]}
    assert codes == {"027001", "305004"}
    only = client.get(URL, {"unit": "305"}).json()
    assert {r["unit"]["code"] for r in only["results"]} == {"305004"}
    assert client.get(URL, {"kind": ["goal.review", "report.review"]}).json()["count"] == 0
    overdue = client.get(URL, {"kind": "units.overdue", "unit": "027001"}).json()
    assert [(r["unit"]["code"], r["status"]) for r in overdue["results"]] == [
        ("027001", "self_evaluation")
    ]
    below = client.get(URL, {"kind": "units.overdue", "unit": "305"}).json()
    assert [(r["unit"]["code"], r["status"]) for r in below["results"]] == [
        ("305004", "monitoring")
    ]


def test_a_foreign_unit_reads_exactly_like_a_missing_one(api, filler):
    client = api(filler)
    foreign = client.get(URL, {"unit": "305004"})
    missing = client.get(URL, {"unit": "999999"})
    assert foreign.status_code == missing.status_code == 400
    assert foreign.json()["errors"]["unit"] == ["单位“305004”不存在或不在您的管辖范围内。"]
    assert missing.json()["errors"]["unit"] == ["单位“999999”不存在或不在您的管辖范围内。"]
    assert Unit.objects.filter(code="305004").exists()


def test_another_units_lines_never_appear(api, filler, outsider, outsider_dept_reviewer):
    load_demo_monitoring()
    goal = submitted(SUBMITTABLE[0], filler)
    for user in (outsider, outsider_dept_reviewer):
        results = api(user).get(URL, {"page_size": 200}).json()["results"]
        assert results and {r["unit"]["code"] for r in results} == {"305004"}
        assert f"goal.review:{goal.pk}" not in {r["key"] for r in results}


@pytest.mark.parametrize(
    ("params", "field", "zh", "en"),
    [
        ({"kind": "foo"}, "kind", "未知的待办类型：foo。", "Unknown to-do kind: foo."),
        ({"group": "later"}, "group", "未知的待办分组：later。", "Unknown to-do group: later."),
        ({"unit": "x" * 50}, "unit", "20", "20"),
        ({"page": "abc"}, "page", "整数", "integer"),
        ({"page": "0"}, "page", "1", "1"),
        ({"page_size": "500"}, "page_size", "200", "200"),
        (
            {"page": "3"},
            "page",
            "该页没有数据：共 1 页。",
            "This page is empty: there are 1 pages.",
        ),
    ],
)
def test_todo_api_refuses_bad_filters_field_by_field(api, filler, params, field, zh, en):
    for language, text in (("zh-hans", zh), ("en", en)):
        response = api(filler, HTTP_ACCEPT_LANGUAGE=language).get(URL, params)
        assert response.status_code == 400, response.content
        body = response.json()
        assert body["code"] == "invalid"
        assert list(body["errors"]) == [field]
        assert text in body["errors"][field][0], body


def test_pages_follow_each_other(api, filler):
    client = api(filler)
    first = client.get(URL, {"page_size": 4}).json()
    assert first["count"] == 10 and len(first["results"]) == 4 and first["previous"] is None
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 4 and "page=1" in second["previous"]
    keys = [r["key"] for r in first["results"] + second["results"]]
    assert len(set(keys)) == 8
    third = client.get(second["next"]).json()
    assert len(third["results"]) == 2 and third["next"] is None


def test_anonymous_gets_401(api):
    assert api().get(URL).status_code == 401


def test_admins_get_an_empty_list(api, finance_admin, superuser):
    for user in (finance_admin, superuser):
        body = api(user).get(URL).json()
        assert body == {"count": 0, "counts": {}, "next": None, "previous": None, "results": []}


def test_todo_api_is_in_the_schema(api, filler):
    schema = api(filler).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/todo/"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"kind", "group", "unit", "page", "page_size"} <= names
    kind = next(p for p in operation["parameters"] if p["name"] == "kind")
    assert "evaluation.start" in kind["schema"]["items"]["enum"]
    assert "400" in operation["responses"]
