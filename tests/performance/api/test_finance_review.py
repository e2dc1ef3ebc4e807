"""The finance bureau's review of a department's targets, entirely through the API."""

from __future__ import annotations

import pytest

from performance.choices import NotificationKind, Status
from performance.models import Notification, PerformanceGoal

pytestmark = pytest.mark.django_db

# Two 2022 projects of 027001 whose published targets pass the quality review.
CLEAN_PROJECTS = ("410395220000000007669", "410395220000000018848")


def goal_of(project_code: str) -> PerformanceGoal:
    return PerformanceGoal.objects.get(project__code=project_code, version=1)


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content.decode()
    return response.json() if response.content else {}


def submit_adjusted_goals(api, filler, dept_reviewer) -> list[int]:
    """027001's filler adjusts two approved goals, edits one and submits both; 027 passes them."""
    unit_api, dept_api = api(filler), api(dept_reviewer)
    ids = []
    for code in CLEAN_PROJECTS:
        new = ok(
            unit_api.post(f"/api/v1/goals/{goal_of(code).pk}/adjust/", {"reason": "预算调整"}),
            201,
        )
        assert (new["version"], new["status"]) == (2, Status.DRAFT)
        ids.append(new["id"])
    edited = ok(
        unit_api.patch(
            f"/api/v1/goals/{ids[0]}/",
            {"lock_version": 1, "overall_goal": "保障社保、医保经办工作正常运转（调整后）"},
        )
    )
    assert edited["lock_version"] == 2
    for pk in ids:
        detail = ok(unit_api.get(f"/api/v1/goals/{pk}/"))
        assert "submit" in detail["allowed_actions"]
        submitted = ok(
            unit_api.post(
                f"/api/v1/goals/{pk}/submit/",
                {"comment": "请审核", "lock_version": detail["lock_version"]},
            )
        )
        assert submitted["status"] == Status.SUBMITTED
        ok(dept_api.post(f"/api/v1/goals/{pk}/approve/", {"comment": "同意，报财政"}))
    return ids


def test_finance_reviews_a_departments_goals_through_the_api(
    api, filler, dept_reviewer, finance_reviewer
):
    approved_id, returned_id = submit_adjusted_goals(api, filler, dept_reviewer)
    finance = api(finance_reviewer)

    # 1. The department's goals waiting for the finance bureau.
    page = ok(finance.get("/api/v1/goals/", {"department": "027", "status": Status.DEPT_APPROVED}))
    assert sorted(g["id"] for g in page["results"]) == sorted([returned_id, approved_id])
    assert all(g["unit"]["department_code"] == "027" for g in page["results"])
    assert (
        ok(finance.get("/api/v1/goals/", {"department": "305", "status": "dept_approved"}))[
            "results"
        ]
        == []
    )

    # 2. One goal with its indicators, parsed targets and findings.
    goal = ok(finance.get(f"/api/v1/goals/{approved_id}/"))
    assert goal["project"]["code"] == CLEAN_PROJECTS[0]
    assert goal["overall_goal"] == "保障社保、医保经办工作正常运转（调整后）"
    assert goal["quality_checked_at"] is not None
    assert not [f for f in goal["quality_findings"] if f["severity"] == "error"]
    budget = next(i for i in goal["indicators"] if i["raw_value"] == "≤14.48万元")
    assert budget["target"] == {
        "operator": "<=",
        "value": "14.480000",
        "unit": "万元",
        "kind": "quantitative",
        "direction": "negative",
        "relative_to": "",
    }
    assert {"code": "level2_missing", "severity": "warning"}.items() <= budget["findings"][
        0
    ].items()
    assert set(goal["allowed_actions"]) == {"approve", "return"}
    diff = ok(finance.get(f"/api/v1/goals/{approved_id}/diff/"))
    assert diff["fields"]["overall_goal"][1] == "保障社保、医保经办工作正常运转（调整后）"
    assert diff["old_version"] == 1 and diff["new_version"] == 2

    # 3. Return one with a comment: its unit's staff are told.
    returned = ok(
        finance.post(f"/api/v1/goals/{returned_id}/return/", {"comment": "满意度指标缺失，请补充"})
    )
    assert (returned["status"], returned["last_comment"]) == (
        Status.RETURNED,
        "满意度指标缺失，请补充",
    )
    assert Notification.objects.filter(
        recipient=filler, kind=NotificationKind.RETURNED, body__contains="满意度指标缺失"
    ).exists()

    # 4. Approve the other: the adjusted version replaces the approved one.
    approved = ok(finance.post(f"/api/v1/goals/{approved_id}/approve/", {"comment": "批复"}))
    assert approved["status"] == Status.APPROVED and approved["approved_at"]
    assert goal_of(CLEAN_PROJECTS[0]).status == Status.SUPERSEDED
    versions = ok(finance.get(f"/api/v1/goals/{approved_id}/versions/"))
    assert [(v["version"], v["status"]) for v in versions] == [
        (1, Status.SUPERSEDED),
        (2, Status.APPROVED),
    ]
    history = ok(finance.get(f"/api/v1/goals/{approved_id}/history/"))["results"]
    assert [h["transition"] for h in history if h["action"] == "transition"] == [
        "finance_approve",
        "dept_approve",
        "submit",
    ]
    assert history[0]["actor"] == "finance"

    # 5. The unit summary reflects the review.
    unit_id = goal["unit"]["id"]
    summary = ok(finance.get(f"/api/v1/units/{unit_id}/summary/", {"year": 2022}))
    assert summary["unit"]["code"] == "027001"
    assert summary["goals"]["total"] == 13
    assert summary["goals"]["by_status"] == {
        "draft": 0,
        "unit_review": 0,  # 待单位审核 (issue 15): counted like every review state
        "submitted": 0,
        "dept_approved": 0,
        "approved": 11,
        "returned": 1,
        "superseded": 1,
    }
    assert summary["projects"] == 10
    assert summary["budget"] == "6656.230000"


def test_returning_without_a_comment_is_refused_and_changes_nothing(
    api, filler, dept_reviewer, finance_reviewer
):
    goal_id, _ = submit_adjusted_goals(api, filler, dept_reviewer)
    response = api(finance_reviewer).post(f"/api/v1/goals/{goal_id}/return/", {"comment": ""})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["comment"]
    assert PerformanceGoal.objects.get(pk=goal_id).status == Status.DEPT_APPROVED


def test_a_forbidden_transition_is_403_with_the_reason(api, filler, dept_reviewer):
    goal_id, _ = submit_adjusted_goals(api, filler, dept_reviewer)
    # 主管部门审核通过 → 财政批复 needs the finance bureau, not the department.
    response = api(dept_reviewer).post(f"/api/v1/goals/{goal_id}/approve/", {})
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "permission_denied"
    assert "财政审核人" in body["detail"]
    assert PerformanceGoal.objects.get(pk=goal_id).status == Status.DEPT_APPROVED


def test_an_invalid_transition_is_400_with_the_state_as_field_error(api, finance_reviewer):
    goal = goal_of(CLEAN_PROJECTS[0])  # approved already
    response = api(finance_reviewer).post(f"/api/v1/goals/{goal.pk}/approve/", {})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_transition"
    assert "status" in body["errors"]
