"""Bulk approve / bulk return (issue 15): N single reviews, each item with its own checks."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from performance.choices import NotificationKind, Status
from performance.models import MonitoringReport, Notification, PerformanceGoal, SelfEvaluation
from performance.services import workflow
from performance.services.workflow import BulkItem
from projects.models import AuditEntry

from .test_workflow import FOREIGN, OWN, make

pytestmark = pytest.mark.django_db

MODELS = {"goal": PerformanceGoal, "report": MonitoringReport, "evaluation": SelfEvaluation}


def _transitions(obj) -> list[tuple[str, str]]:
    rows = AuditEntry.objects.filter(
        object_id=str(obj.pk), action="transition", content_type__model=obj._meta.model_name
    )
    return [(row.transition, row.actor.username) for row in rows]


@pytest.mark.parametrize("kind", list(MODELS))
def test_bulk_approve_reviews_each_item_and_says_why_each_other_failed(
    request, kind, dept_reviewer
):
    first = make(kind, OWN, Status.SUBMITTED, request)
    second = make(kind, OWN, Status.SUBMITTED, request)
    draft = make(kind, OWN, Status.DRAFT, request)
    stale = make(kind, OWN, Status.SUBMITTED, request)
    foreign = make(kind, FOREIGN, Status.SUBMITTED, request)
    result = workflow.review_many(
        model=MODELS[kind],
        action=workflow.APPROVE,
        items=[
            BulkItem(first.pk, first.lock_version),
            BulkItem(draft.pk),
            BulkItem(second.pk),
            BulkItem(stale.pk, stale.lock_version + 7),
            BulkItem(foreign.pk),
            BulkItem(987654321),
        ],
        actor=dept_reviewer,
        comment="同意",
    )
    assert [obj.pk for obj in result.succeeded] == [first.pk, second.pk]
    for obj in (first, second):
        fresh = type(obj).objects.get(pk=obj.pk)
        assert fresh.status == Status.DEPT_APPROVED
        assert fresh.last_comment == "同意"
        assert _transitions(fresh) == [("dept_approve", dept_reviewer.username)]
    failures = {f.id: (f.code, f.detail) for f in result.failed}
    assert failures[draft.pk][0] == "invalid_transition"
    assert "不能审核通过" in failures[draft.pk][1]
    assert failures[stale.pk][0] == "stale"
    assert "已被其他用户修改" in failures[stale.pk][1]
    # Another unit's document reads exactly as a missing one.
    noun = MODELS[kind]._meta.verbose_name
    assert failures[foreign.pk] == ("not_found", f"编号 {foreign.pk} 的{noun}不存在或无权访问。")
    assert failures[987654321] == ("not_found", f"编号 987654321 的{noun}不存在或无权访问。")
    for obj in (draft, stale, foreign):
        fresh = type(obj).objects.get(pk=obj.pk)
        assert (fresh.status, fresh.lock_version) == (obj.status, obj.lock_version)
        assert _transitions(fresh) == []


def test_bulk_approve_refuses_an_item_the_role_may_not_approve(request, filler):
    goal = make("goal", OWN, Status.SUBMITTED, request)
    result = workflow.review_many(
        model=PerformanceGoal, action=workflow.APPROVE, items=[BulkItem(goal.pk)], actor=filler
    )
    assert result.succeeded == []
    (failure,) = result.failed
    assert failure.code == "permission_denied"
    assert "没有" in failure.detail and "审核通过" in failure.detail
    assert PerformanceGoal.objects.get(pk=goal.pk).status == Status.SUBMITTED


def test_bulk_return_needs_its_one_comment_before_anything_changes(request, dept_reviewer):
    goals = [make("goal", OWN, Status.SUBMITTED, request) for _ in range(2)]
    with pytest.raises(ValidationError) as refused:
        workflow.review_many(
            model=PerformanceGoal,
            action=workflow.RETURN,
            items=[BulkItem(g.pk) for g in goals],
            actor=dept_reviewer,
            comment="   ",
        )
    assert refused.value.code == "comment_required"
    assert "退回意见" in refused.value.message_dict["comment"][0]
    assert {g.status for g in PerformanceGoal.objects.filter(pk__in=[g.pk for g in goals])} == {
        Status.SUBMITTED
    }


def test_bulk_return_returns_each_with_the_comment_and_tells_each_unit_once(request, dept_reviewer):
    goals = [make("goal", OWN, Status.SUBMITTED, request) for _ in range(3)]
    before = Notification.objects.filter(kind=NotificationKind.RETURNED).count()
    result = workflow.review_many(
        model=PerformanceGoal,
        action=workflow.RETURN,
        items=[BulkItem(g.pk, g.lock_version) for g in goals],
        actor=dept_reviewer,
        comment="绩效指标不够细化，请补充数量指标",
    )
    assert len(result.succeeded) == 3 and result.failed == []
    for goal in goals:
        fresh = PerformanceGoal.objects.get(pk=goal.pk)
        assert (fresh.status, fresh.last_comment) == (
            Status.RETURNED,
            "绩效指标不够细化，请补充数量指标",
        )
        assert _transitions(fresh) == [("dept_return", dept_reviewer.username)]
    returned = Notification.objects.filter(kind=NotificationKind.RETURNED)
    recipients = returned.values("recipient").distinct().count()
    # One notice per returned goal for each of the unit's staff, as a single return gives.
    assert returned.count() - before == 3 * recipients


def test_bulk_review_refuses_an_empty_oversized_or_repeated_list_as_a_whole(
    request, settings, dept_reviewer
):
    settings.BULK_REVIEW_MAX = 2
    goals = [make("goal", OWN, Status.SUBMITTED, request) for _ in range(3)]
    cases = {
        "请至少选择一项": [],
        "一次最多批量审核通过 2 项，本次选择了 3 项": [BulkItem(g.pk) for g in goals],
        f"同一项不能重复提交：{goals[0].pk}": [BulkItem(goals[0].pk), BulkItem(goals[0].pk)],
    }
    for message, items in cases.items():
        with pytest.raises(ValidationError) as refused:
            workflow.review_many(
                model=PerformanceGoal, action=workflow.APPROVE, items=items, actor=dept_reviewer
            )
        assert message in refused.value.message_dict["items"][0]
    assert set(
        PerformanceGoal.objects.filter(pk__in=[g.pk for g in goals]).values_list(
            "status", flat=True
        )
    ) == {Status.SUBMITTED}
