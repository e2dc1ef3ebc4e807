"""批量审核通过 / 批量退回 on the admin lists (issue 15): a confirmation page listing the items,
then each item reviewed on its own, the failures named."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages

from performance.choices import Status
from performance.models import MonitoringReport, PerformanceGoal, SelfEvaluation

from ..services.test_workflow import OWN, make

pytestmark = pytest.mark.django_db

CHANGELISTS = {
    "goal": "/admin/performance/performancegoal/",
    "report": "/admin/performance/monitoringreport/",
    "evaluation": "/admin/performance/selfevaluation/",
}
MODELS = {"goal": PerformanceGoal, "report": MonitoringReport, "evaluation": SelfEvaluation}


def _post(client, url, objs, action, **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [str(o.pk) for o in objs], **extra}
    return client.post(url, data)


@pytest.mark.parametrize("kind", list(CHANGELISTS))
def test_bulk_approve_confirms_then_approves_each_and_names_each_refusal(
    request, kind, login, dept_reviewer
):
    client = login(dept_reviewer)
    ready = [make(kind, OWN, Status.SUBMITTED, request) for _ in range(2)]
    draft = make(kind, OWN, Status.DRAFT, request)
    chosen = [*ready, draft]
    page = _post(client, CHANGELISTS[kind], chosen, "bulk_approve_selected")
    assert page.status_code == 200
    html = page.content.decode()
    assert "批量审核通过" in html and "确认审核通过" in html
    for obj in chosen:
        assert f'name="version_{obj.pk}" value="{obj.lock_version}"' in html
    versions = {f"version_{o.pk}": str(o.lock_version) for o in chosen}
    done = _post(
        client,
        CHANGELISTS[kind],
        chosen,
        "bulk_approve_selected",
        post="yes",
        comment="同意",
        **versions,
    )
    assert done.status_code == 302
    statuses = [MODELS[kind].objects.get(pk=o.pk).status for o in chosen]
    assert statuses == [Status.DEPT_APPROVED, Status.DEPT_APPROVED, Status.DRAFT]
    texts = [str(m) for m in get_messages(done.wsgi_request)]
    assert f"已审核通过 2 项{MODELS[kind]._meta.verbose_name}。" in texts
    (refusal,) = [t for t in texts if "未能审核通过" in t]
    assert f"“{draft}”" in refusal and "草稿" in refusal


def test_an_item_changed_after_the_confirmation_page_is_refused_as_stale(
    request, login, dept_reviewer
):
    client = login(dept_reviewer)
    goal = make("goal", OWN, Status.SUBMITTED, request)
    seen = goal.lock_version
    PerformanceGoal.objects.filter(pk=goal.pk).update(lock_version=seen + 1)
    done = _post(
        client,
        CHANGELISTS["goal"],
        [goal],
        "bulk_approve_selected",
        post="yes",
        **{f"version_{goal.pk}": str(seen)},
    )
    assert done.status_code == 302
    assert PerformanceGoal.objects.get(pk=goal.pk).status == Status.SUBMITTED
    texts = [str(m) for m in get_messages(done.wsgi_request)]
    assert any("已被其他用户修改" in t for t in texts)


def test_bulk_return_without_a_comment_changes_nothing_and_says_why(request, login, dept_reviewer):
    client = login(dept_reviewer)
    goals = [make("goal", OWN, Status.SUBMITTED, request) for _ in range(2)]
    page = _post(client, CHANGELISTS["goal"], goals, "bulk_return_selected", post="yes", comment="")
    assert page.status_code == 200  # the confirmation page again, with the error
    assert "退回意见" in page.content.decode()
    assert {PerformanceGoal.objects.get(pk=g.pk).status for g in goals} == {Status.SUBMITTED}
    texts = [str(m) for m in get_messages(page.wsgi_request)]
    assert any("必须填写退回意见" in t for t in texts)
    done = _post(
        client, CHANGELISTS["goal"], goals, "bulk_return_selected", post="yes", comment="请细化指标"
    )
    assert done.status_code == 302
    assert [PerformanceGoal.objects.get(pk=g.pk).last_comment for g in goals] == ["请细化指标"] * 2


def test_only_reviewers_are_offered_the_bulk_actions(login, filler, dept_reviewer):
    offered = login(filler).get(CHANGELISTS["goal"]).content.decode()
    assert "bulk_approve_selected" not in offered and "bulk_return_selected" not in offered
    offered = login(dept_reviewer).get(CHANGELISTS["goal"]).content.decode()
    assert "bulk_approve_selected" in offered and "bulk_return_selected" in offered
