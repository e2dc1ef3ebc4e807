"""Optional unit-internal review (issue 15, B2): where a finance bureau requires it, items a
填报人 submits wait for the unit's 单位审核人 before they reach the 主管部门. Off by default; the
workflow table is extended (rows with a ``when``), not forked."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from performance.choices import NotificationKind, Status
from performance.models import Notification
from performance.selectors.todo import todo_for
from performance.services import alerts, workflow
from performance.services.schemes import bureau_policy_save
from projects.audit import history
from projects.models import Unit

from .test_workflow import OWN, make

pytestmark = pytest.mark.django_db


@pytest.fixture
def unit_review_on(superuser):
    bureau = Unit.objects.get(code=Unit.objects.get(code=OWN).path.strip("/").split("/")[0])
    return bureau_policy_save(bureau=bureau, data={"unit_review_required": True}, actor=superuser)


def _last_transition(obj) -> str:
    return history(obj).filter(action="transition").first().transition


@pytest.mark.parametrize("kind", ["goal", "report", "evaluation"])
def test_a_fillers_submission_waits_for_the_unit_reviewer(
    request, unit_review_on, kind, filler, unit_reviewer, dept_reviewer
):
    draft = make(kind, OWN, Status.DRAFT, request)
    assert workflow.SUBMIT in workflow.allowed_actions(draft, filler)
    waiting = workflow.submit(obj=draft, actor=filler)
    assert waiting.status == Status.UNIT_REVIEW
    assert _last_transition(waiting) == "submit_to_unit"
    assert workflow.allowed_actions(waiting, unit_reviewer) >= {workflow.APPROVE, workflow.RETURN}
    assert workflow.allowed_actions(waiting, dept_reviewer) == set()
    with pytest.raises(PermissionDenied) as refused:
        workflow.approve(obj=waiting, actor=dept_reviewer)
    assert "单位审核人" in str(refused.value)
    sent = workflow.approve(obj=waiting, actor=unit_reviewer, comment="单位审核同意")
    assert sent.status == Status.SUBMITTED
    assert _last_transition(sent) == "unit_approve"
    # Now at the 主管部门, as without the setting.
    assert workflow.APPROVE in workflow.allowed_actions(sent, dept_reviewer)


def test_the_unit_reviewer_returns_with_a_comment(request, unit_review_on, filler, unit_reviewer):
    waiting = workflow.submit(obj=make("goal", OWN, Status.DRAFT, request), actor=filler)
    with pytest.raises(ValidationError) as refused:
        workflow.return_(obj=waiting, actor=unit_reviewer, comment="")
    assert refused.value.code == "comment_required"
    returned = workflow.return_(obj=waiting, actor=unit_reviewer, comment="请补充满意度指标")
    assert (returned.status, returned.last_comment) == (Status.RETURNED, "请补充满意度指标")
    assert _last_transition(returned) == "unit_return"
    again = workflow.submit(obj=returned, actor=filler)
    assert (again.status, _last_transition(again)) == (Status.UNIT_REVIEW, "resubmit_to_unit")


def test_a_unit_reviewers_own_submission_signs_the_unit_step_off(
    request, unit_review_on, unit_reviewer
):
    submitted = workflow.submit(obj=make("goal", OWN, Status.DRAFT, request), actor=unit_reviewer)
    assert submitted.status == Status.SUBMITTED
    assert _last_transition(submitted) == "submit_signed"


def test_without_the_setting_a_submission_goes_straight_to_the_department(request, filler):
    submitted = workflow.submit(obj=make("goal", OWN, Status.DRAFT, request), actor=filler)
    assert (submitted.status, _last_transition(submitted)) == (Status.SUBMITTED, "submit")


def test_turning_the_setting_off_leaves_waiting_items_to_the_unit_reviewer(
    request, unit_review_on, superuser, filler, unit_reviewer
):
    waiting = workflow.submit(obj=make("goal", OWN, Status.DRAFT, request), actor=filler)
    bureau_policy_save(
        bureau=unit_review_on.bureau,
        data={"unit_review_required": False},
        actor=superuser,
        policy=unit_review_on,
    )
    fresh = type(waiting).objects.get(pk=waiting.pk)
    assert workflow.approve(obj=fresh, actor=unit_reviewer).status == Status.SUBMITTED


def test_the_unit_reviewer_is_told_and_finds_it_in_his_todo(
    request, unit_review_on, filler, unit_reviewer
):
    waiting = workflow.submit(obj=make("goal", OWN, Status.DRAFT, request), actor=filler)
    told = Notification.objects.filter(
        recipient=unit_reviewer, kind=NotificationKind.REVIEW_WAITING
    )
    assert told.count() == 1
    lines = todo_for(unit_reviewer, kind="goal.review").items
    assert [(line.object_id, line.status) for line in lines] == [(waiting.pk, Status.UNIT_REVIEW)]
    workflow.approve(obj=waiting, actor=unit_reviewer)
    assert todo_for(unit_reviewer, kind="goal.review").items == []


def test_a_reports_lights_are_news_when_it_leaves_the_unit_not_when_the_filler_hands_it_in(
    request, unit_review_on, filler, unit_reviewer, monkeypatch
):
    announced = []
    monkeypatch.setattr(
        alerts, "announce_lights_on_submit", lambda report: announced.append(report.pk)
    )
    report = make("report", OWN, Status.DRAFT, request)
    waiting = workflow.submit(obj=report, actor=filler)
    assert announced == []
    workflow.approve(obj=waiting, actor=unit_reviewer)
    assert announced == [report.pk]
