"""What each resource returns and accepts: filters, search, ordering, writes through services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from performance.choices import Status
from performance.models import Indicator, PerformanceGoal
from performance.services import workflow
from projects.models import Project, Unit

pytestmark = pytest.mark.django_db

CLEAN_PROJECT = "410395220000000007669"


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


# --- goals and indicators ------------------------------------------------------------------


def test_goal_filters_search_and_ordering(api, finance_reviewer):
    client = api(finance_reviewer)
    goals = PerformanceGoal.objects
    assert ids(client.get("/api/v1/goals/", {"year": 2022})) == set(
        goals.filter(year=2022).values_list("pk", flat=True)
    )
    assert ids(client.get("/api/v1/goals/", {"department": "305"})) == set(
        goals.filter(unit__code="305004").values_list("pk", flat=True)
    )
    assert ids(client.get("/api/v1/goals/", {"unit": "027001", "scope": "unit"})) == {
        goals.get(scope="unit", unit__code="027001").pk
    }
    special = set(goals.filter(project__category="special").values_list("pk", flat=True))
    assert special and ids(client.get("/api/v1/goals/", {"type": "special"})) == special
    found = results(client.get("/api/v1/goals/", {"search": "医疗救助"}))
    assert found and all("医疗救助" in row["project"]["name"] for row in found)
    years = [row["year"] for row in results(client.get("/api/v1/goals/", {"ordering": "-year"}))]
    assert years == sorted(years, reverse=True)


def test_invalid_filter_values_are_field_errors(api, finance_reviewer):
    response = api(finance_reviewer).get("/api/v1/goals/", {"status": "bogus", "year": "x"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"status", "year"}


def test_current_versions_leave_out_superseded_goals(api, filler, dept_reviewer, finance_reviewer):
    approved = PerformanceGoal.objects.get(project__code=CLEAN_PROJECT)
    new = workflow.goal_adjust(goal=approved, actor=filler, reason="调整")
    workflow.submit(obj=new, actor=filler)
    workflow.approve(obj=new, actor=dept_reviewer)
    workflow.approve(obj=new, actor=finance_reviewer)
    client = api(finance_reviewer)
    assert approved.pk in ids(client.get("/api/v1/goals/", {"project": approved.project_id}))
    assert ids(client.get("/api/v1/goals/", {"project": approved.project_id, "current": True})) == {
        new.pk
    }


def test_a_unit_goal_is_created_with_parsed_indicators_and_tasks(api, filler):
    unit = Unit.objects.get(code="027001")
    payload = {
        "scope": "unit",
        "year": 2023,
        "unit": unit.pk,
        "overall_goal": "保障社保经办",
        "budget_total": "6824.79",
        "indicators": [
            {
                "level1": "产出指标",
                "level2": "数量指标",
                "level3": "参保人数",
                "raw_value": "≥25万人",
            },
            {"level1": "满意度指标", "level3": "群众满意度", "raw_value": "满意度达到90%以上"},
        ],
        "tasks": [{"name": "参保扩面", "content": "新增参保"}],
    }
    response = api(filler).post("/api/v1/goals/", payload)
    assert response.status_code == 201, response.content
    goal = response.json()
    assert (goal["status"], goal["version"], goal["budget_total"]) == ("draft", 1, "6824.790000")
    people = goal["indicators"][0]["target"]
    assert (people["operator"], people["value"], people["unit"]) == (">=", "250000.000000", "人")
    assert goal["indicators"][1]["target"]["value"] == "90.000000"
    assert [t["name"] for t in goal["tasks"]] == ["参保扩面"]
    assert set(goal["allowed_actions"]) == {"edit", "submit"}
    again = api(filler).post("/api/v1/goals/", payload)
    assert again.status_code == 400 and "year" in again.json()["errors"]


def test_a_project_goal_needs_its_project(api, filler):
    response = api(filler).post("/api/v1/goals/", {"scope": "project", "year": 2022})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["project"]


def test_indicators_are_edited_only_while_the_goal_is_editable(api, filler):
    approved = PerformanceGoal.objects.get(project__code=CLEAN_PROJECT)
    client = api(filler)
    fixed = approved.indicators.first()
    refused = client.patch(f"/api/v1/indicators/{fixed.pk}/", {"lock_version": 1, "level3": "x"})
    assert refused.status_code == 400 and list(refused.json()["errors"]) == ["status"]
    assert refused.json()["code"] == "not_editable"
    draft = workflow.goal_adjust(goal=approved, actor=filler, reason="调整")
    indicator = draft.indicators.order_by("order").first()
    edited = client.patch(
        f"/api/v1/indicators/{indicator.pk}/", {"lock_version": 1, "raw_value": "≤12万元"}
    )
    assert edited.status_code == 200
    assert edited.json()["target"]["value"] == "12.000000" and edited.json()["lock_version"] == 2
    listed = results(client.get("/api/v1/indicators/", {"goal": draft.pk, "category": "cost"}))
    assert [row["id"] for row in listed] == [indicator.pk]
    diff = client.get(f"/api/v1/goals/{draft.pk}/diff/", {"against": approved.pk}).json()
    assert diff["indicators"]["changed"][0]["changes"]["raw_value"] == ["≤14.48万元", "≤12万元"]
    assert client.delete(f"/api/v1/indicators/{indicator.pk}/").status_code == 204
    assert not Indicator.objects.filter(pk=indicator.pk).exists()


def test_diff_against_another_projects_goal_is_refused(api, finance_reviewer):
    goal = PerformanceGoal.objects.get(project__code=CLEAN_PROJECT)
    other = PerformanceGoal.objects.filter(scope="project").exclude(pk=goal.pk).first()
    client = api(finance_reviewer)
    response = client.get(f"/api/v1/goals/{goal.pk}/diff/", {"against": other.pk})
    assert response.status_code == 400 and list(response.json()["errors"]) == ["against"]
    assert client.get(f"/api/v1/goals/{goal.pk}/diff/").status_code == 400  # no previous
    assert client.get(f"/api/v1/goals/{goal.pk}/diff/", {"against": "x"}).status_code == 400


# --- projects, units, summaries --------------------------------------------------------------


def test_projects_carry_budget_executed_and_rate_by_the_units_scheme(api, outsider):
    rows = results(api(outsider).get("/api/v1/projects/", {"year": 2023}))
    assert len(rows) == 5
    wages = next(row for row in rows if row["name"] == "劳务派遣工资")
    assert (wages["budget_adjusted"], wages["executed"], wages["execution_rate"]) == (
        "28.000000",
        "26.170000",
        "93.46",
    )
    detail = api(outsider).get(f"/api/v1/projects/{wages['id']}/").json()
    assert detail["budgets"] == [
        {"fund_source": "general_public", "amount": "28.000000", "adjusted_amount": "28.000000"}
    ]


def test_the_published_self_evaluation_summary_of_305004(api, finance_reviewer):
    rows = api(finance_reviewer).get("/api/v1/summaries/", {"year": 2023, "group_by": "unit"})
    (row,) = rows.json()
    assert row["unit"]["code"] == "305004"
    assert row["evaluations"] == {
        "total": 5,
        "scored": 5,
        "average_score": "93.97",
        "with_deviation": 0,
        "by_grade": {"excellent": 4, "good": 1, "fair": 0, "poor": 0},
    }
    assert (row["budget"], row["executed"], row["execution_rate"]) == (
        "1434.160000",
        "530.260000",
        "36.97",
    )


def test_summaries_by_department_and_year(api, finance_reviewer):
    client = api(finance_reviewer)
    departments = client.get("/api/v1/summaries/", {"group_by": "department"}).json()
    assert [(r["department"]["code"], r["year"]) for r in departments] == [
        ("027", 2022),
        ("305", 2023),
    ]
    years = client.get("/api/v1/summaries/", {"group_by": "year"}).json()
    assert [(r["year"], r["projects"]) for r in years] == [(2022, 10), (2023, 5)]
    (total,) = client.get("/api/v1/summaries/", {"group_by": "total"}).json()
    assert total["goals"]["total"] == 16 and total["year"] is None
    bad = client.get("/api/v1/summaries/", {"group_by": "province"})
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["group_by"]


def test_a_unit_sees_only_its_own_units(api, filler, dept_reviewer):
    assert [u["code"] for u in results(api(filler).get("/api/v1/units/"))] == ["027001"]
    codes = [u["code"] for u in results(api(dept_reviewer).get("/api/v1/units/"))]
    assert codes == ["027", "027001"]


def test_me_lists_the_callers_roles(api, dept_reviewer):
    me = api(dept_reviewer).get("/api/v1/me/").json()
    assert me["username"] == "dept027"
    assert me["memberships"] == [
        {
            "unit": Unit.objects.get(code="027").pk,
            "unit_code": "027",
            "unit_name": me["memberships"][0]["unit_name"],
            "role": "dept_reviewer",
        }
    ]


# --- monitoring and evaluations ----------------------------------------------------------------


@pytest.fixture
def monitoring_round(api, finance_reviewer) -> dict:
    response = api(finance_reviewer).post(
        "/api/v1/monitoring-rounds/",
        {"year": 2022, "data_month": 7, "opens_on": "2022-08-01", "deadline": "2022-08-31"},
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_opening_a_round_is_for_the_finance_bureau(api, dept_reviewer):
    response = api(dept_reviewer).post(
        "/api/v1/monitoring-rounds/",
        {"year": 2022, "data_month": 6, "opens_on": "2022-07-01", "deadline": "2022-07-31"},
    )
    assert response.status_code == 403


def test_a_filled_report_gets_its_lights(api, filler, monitoring_round):
    client = api(filler)
    project = Project.objects.get(code=CLEAN_PROJECT)
    (report,) = results(
        client.get(
            "/api/v1/monitoring-reports/", {"round": monitoring_round["id"], "project": project.pk}
        )
    )
    assert report["status"] == "draft" and len(report["entries"]) == 10
    quantity = next(e for e in report["entries"] if e["indicator"]["raw_value"] == "≥15根")
    response = client.patch(
        f"/api/v1/monitoring-reports/{report['id']}/",
        {
            "lock_version": report["lock_version"],
            "entries": [{"indicator": quantity["indicator"]["id"], "value_raw": "2根"}],
        },
    )
    assert response.status_code == 200, response.content
    entry = next(e for e in response.json()["entries"] if e["id"] == quantity["id"])
    assert (entry["value_raw"], entry["light"]) == ("2根", "red")
    reds = results(client.get("/api/v1/monitoring-reports/", {"light": "red", "year": 2022}))
    assert report["id"] in {r["id"] for r in reds}


@pytest.fixture
def weighted_evaluation(api, filler) -> dict:
    """027001's published indicators carry no weights; give them 9 each to score something."""
    Indicator.objects.filter(goal__project__code=CLEAN_PROJECT).update(weight=Decimal("9"))
    project = Project.objects.get(code=CLEAN_PROJECT)
    response = api(filler).post("/api/v1/evaluations/", {"year": 2022, "project": project.pk})
    assert response.status_code == 201, response.content
    return response.json()


def test_an_override_keeps_the_computed_score_beside_it(api, filler, weighted_evaluation):
    evaluation = weighted_evaluation
    assert evaluation["scheme"]["code"] == "national"
    budget = next(s for s in evaluation["scores"] if s["indicator"]["raw_value"] == "≤14.48万元")
    url = f"/api/v1/evaluations/{evaluation['id']}/"
    response = api(filler).patch(
        url,
        {
            "lock_version": evaluation["lock_version"],
            "scores": [
                {
                    "indicator": budget["indicator"]["id"],
                    "actual_raw": "12万元",
                    "override_score": "5",
                    "override_reason": "专家复核：采购未完成",
                }
            ],
        },
    )
    assert response.status_code == 200, response.content
    scored = next(s for s in response.json()["scores"] if s["id"] == budget["id"])
    assert (scored["override_score"], scored["final_score"]) == ("5.0000", "5.0000")
    assert scored["computed_score"] != scored["final_score"]
    missing_reason = api(filler).patch(
        url,
        {
            "lock_version": response.json()["lock_version"],
            "scores": [
                {
                    "indicator": budget["indicator"]["id"],
                    "override_score": "4",
                    "override_reason": "",
                }
            ],
        },
    )
    assert missing_reason.status_code == 400
    assert list(missing_reason.json()["errors"]) == ["scores.0.override_reason"]


def test_evaluations_filter_by_grade(api, finance_reviewer):
    rows = results(api(finance_reviewer).get("/api/v1/evaluations/", {"grade": "good"}))
    assert [(r["project"]["name"], r["total_score"]) for r in rows] == [("党建工作", "80.0000")]


# --- jobs ------------------------------------------------------------------------------------


def test_recompute_requests_need_a_reviewing_role_and_jobs_are_scoped(
    api, filler, dept_reviewer, finance_reviewer, outsider
):
    unit = Unit.objects.get(code="027001")
    assert (
        api(filler).post("/api/v1/recompute/", {"year": 2022, "unit": unit.pk}).status_code == 403
    )
    queued = api(dept_reviewer).post("/api/v1/recompute/", {"year": 2022, "unit": unit.pk})
    assert queued.status_code == 202
    job = queued.json()
    assert (job["kind"], job["status"], job["unit"]["code"]) == ("recompute", "pending", "027001")
    assert api(filler).get(f"/api/v1/jobs/{job['id']}/").status_code == 200
    assert api(outsider).get(f"/api/v1/jobs/{job['id']}/").status_code == 404
    whole = api(finance_reviewer).post("/api/v1/recompute/", {"year": 2022})
    assert whole.status_code == 202
    assert api(filler).get(f"/api/v1/jobs/{whole.json()['id']}/").status_code == 404
    assert api(dept_reviewer).post("/api/v1/recompute/", {"year": 2022}).status_code == 403


def test_status_of_a_returned_goal_is_visible_to_its_unit(api, filler, dept_reviewer):
    approved = PerformanceGoal.objects.get(project__code=CLEAN_PROJECT)
    draft = workflow.goal_adjust(goal=approved, actor=filler, reason="调整")
    workflow.submit(obj=draft, actor=filler)
    returned = api(dept_reviewer).post(f"/api/v1/goals/{draft.pk}/return/", {"comment": "补充说明"})
    assert returned.json()["status"] == Status.RETURNED
    mine = results(api(filler).get("/api/v1/goals/", {"status": "returned"}))
    assert [(g["id"], g["last_comment"]) for g in mine] == [(draft.pk, "补充说明")]
    assert dt.date.fromisoformat(mine[0]["submitted_at"][:10])
