"""``POST /api/v1/<documents>/bulk-approve|bulk-return/`` (issue 15): one call, each item reviewed
on its own; the answer says which succeeded and why each other did not."""

from __future__ import annotations

import pytest

from performance.choices import Status
from performance.models import PerformanceGoal
from projects.models import AuditEntry

from ..services.test_workflow import FOREIGN, OWN, make

pytestmark = pytest.mark.django_db


def _statuses(goals) -> list[str]:
    return [PerformanceGoal.objects.get(pk=g.pk).status for g in goals]


def test_bulk_approve_answers_each_success_and_each_failure(request, api, dept_reviewer):
    ready = [make("goal", OWN, Status.SUBMITTED, request) for _ in range(2)]
    draft = make("goal", OWN, Status.DRAFT, request)
    foreign = make("goal", FOREIGN, Status.SUBMITTED, request)
    items = [{"id": g.pk, "lock_version": g.lock_version} for g in (*ready, draft, foreign)]
    response = api(dept_reviewer).post(
        "/api/v1/goals/bulk-approve/", {"items": items, "comment": "同意"}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["action"] == "approve"
    assert [(r["id"], r["status"]) for r in body["succeeded"]] == [
        (g.pk, Status.DEPT_APPROVED) for g in ready
    ]
    failed = {row["id"]: row for row in body["failed"]}
    assert failed[draft.pk]["code"] == "invalid_transition"
    assert "草稿" in failed[draft.pk]["detail"]
    assert failed[foreign.pk]["code"] == "not_found"
    assert _statuses([*ready, draft, foreign]) == [
        Status.DEPT_APPROVED,
        Status.DEPT_APPROVED,
        Status.DRAFT,
        Status.SUBMITTED,
    ]
    approvals = AuditEntry.objects.filter(transition="dept_approve", actor=dept_reviewer)
    assert sorted(approvals.values_list("object_id", flat=True)) == sorted(str(g.pk) for g in ready)


def test_bulk_return_without_a_comment_is_refused_whole(request, api, dept_reviewer):
    goals = [make("goal", OWN, Status.SUBMITTED, request) for _ in range(2)]
    response = api(dept_reviewer).post(
        "/api/v1/goals/bulk-return/", {"items": [{"id": g.pk} for g in goals]}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "comment_required"
    assert "退回意见" in body["errors"]["comment"][0]
    assert _statuses(goals) == [Status.SUBMITTED, Status.SUBMITTED]


def test_a_bulk_review_where_every_item_fails_is_a_400_naming_each_item(
    request, api, dept_reviewer
):
    stale = make("goal", OWN, Status.SUBMITTED, request)
    foreign = make("goal", FOREIGN, Status.SUBMITTED, request)
    items = [{"id": stale.pk, "lock_version": stale.lock_version + 3}, {"id": foreign.pk}]
    response = api(dept_reviewer).post(
        "/api/v1/goals/bulk-approve/", {"items": items}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "nothing_reviewed"
    assert "已被其他用户修改" in body["errors"]["items.0"][0]
    assert body["errors"]["items.1"] == [
        f"编号 {foreign.pk}：编号 {foreign.pk} 的绩效目标不存在或无权访问。"
    ]
    assert _statuses([stale, foreign]) == [Status.SUBMITTED, Status.SUBMITTED]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"items": "all"}, "items"),
        ({"items": [{"id": "x"}]}, "items.0.id"),
        ({"items": [{"id": 1, "lock_version": 0}]}, "items.0.lock_version"),
        ({}, "items"),
    ],
)
def test_garbage_gets_a_field_level_error(api, dept_reviewer, payload, field):
    response = api(dept_reviewer).post("/api/v1/goals/bulk-approve/", payload, format="json")
    assert response.status_code == 400
    assert any(key.startswith(field) for key in response.json()["errors"])


def test_anonymous_bulk_review_is_401(api):
    response = api().post("/api/v1/goals/bulk-approve/", {"items": [{"id": 1}]}, format="json")
    assert response.status_code == 401
