"""The goal change page: only allowed buttons, each calling the service, errors as messages."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse

from performance.choices import GoalScope, Status
from performance.models import Indicator, PerformanceGoal
from performance.services import goals as goal_services
from performance.services import workflow

from ...support.goal_helpers import GOOD_INDICATORS, demo_goal, new_goal, new_project, state

pytestmark = pytest.mark.django_db

BUTTONS = ("submit", "approve", "return", "adjust", "quality")


def change_url(goal) -> str:
    return reverse("admin:performance_performancegoal_change", args=[goal.pk])


def action_url(goal, action: str) -> str:
    return reverse("admin:performance_performancegoal_workflow", args=[goal.pk, action])


def diff_url(goal) -> str:
    return reverse("admin:performance_performancegoal_diff", args=[goal.pk])


def buttons(client, goal) -> set[str]:
    html = client.get(change_url(goal)).content.decode()
    return {action for action in BUTTONS if f'id="workflow-{action}"' in html}


def post(client, goal, action: str, **data):
    response = client.post(action_url(goal, action), data, follow=True)
    assert response.status_code == 200
    return response, [str(m) for m in get_messages(response.wsgi_request)]


def test_each_role_sees_only_the_buttons_it_may_use(
    login, filler, dept_reviewer, finance_reviewer, unit_reviewer
):
    goal = new_goal(filler)
    assert buttons(login(filler), goal) == {"submit", "quality"}
    assert buttons(login(dept_reviewer), goal) == {"quality"}
    workflow.submit(obj=goal, actor=unit_reviewer)
    assert buttons(login(filler), goal) == {"quality"}
    assert buttons(login(dept_reviewer), goal) == {"approve", "return", "quality"}
    assert buttons(login(finance_reviewer), goal) == {"quality"}
    workflow.approve(obj=goal, actor=dept_reviewer)
    assert buttons(login(finance_reviewer), goal) == {"approve", "return", "quality"}
    workflow.approve(obj=goal, actor=finance_reviewer)
    assert buttons(login(filler), goal) == {"adjust", "quality"}
    assert buttons(login(dept_reviewer), goal) == {"quality"}


def test_the_submit_button_submits_and_says_so(login, filler):
    goal = new_goal(filler)
    response, messages = post(login(filler), goal, "submit", lock_version=goal.lock_version)
    assert messages == [f"“{goal}”已提交，等待审核。"]
    assert PerformanceGoal.objects.get(pk=goal.pk).status == Status.SUBMITTED
    assert response.redirect_chain[-1][0] == change_url(goal)


def test_returning_without_a_comment_shows_the_error_and_changes_nothing(
    login, filler, dept_reviewer
):
    goal = workflow.submit(obj=new_goal(filler), actor=filler)
    before = state(goal)
    _, messages = post(login(dept_reviewer), goal, "return", comment="  ")
    assert messages == ["退回时必须填写退回意见，说明需要修改的内容。"]
    assert state(goal) == before


def test_a_forged_approve_of_a_draft_is_refused_with_a_message(login, filler, dept_reviewer):
    goal = new_goal(filler)
    before = state(goal)
    _, messages = post(login(dept_reviewer), goal, "approve")
    assert len(messages) == 1 and "当前状态为“草稿”，不能审核通过" in messages[0]
    assert state(goal) == before


def test_a_filler_cannot_approve_their_own_goal(login, filler):
    goal = workflow.submit(obj=new_goal(filler), actor=filler)
    before = state(goal)
    _, messages = post(login(filler), goal, "approve")
    assert "没有对" in messages[0] and "需要：主管部门审核人" in messages[0]
    assert state(goal) == before


def test_a_stale_page_is_refused(login, filler, dept_reviewer):
    goal = workflow.submit(obj=new_goal(filler), actor=filler)
    seen = goal.lock_version
    workflow.return_(obj=goal, actor=dept_reviewer, comment="改")
    workflow.submit(obj=goal, actor=filler)
    _, messages = post(login(dept_reviewer), goal, "approve", lock_version=seen)
    assert "已被其他用户修改，请刷新后在最新内容上重新修改" in messages[0]
    assert PerformanceGoal.objects.get(pk=goal.pk).status == Status.SUBMITTED


def test_another_units_goal_is_a_404_for_every_button_and_the_diff(
    demo, login, outsider, outsider_dept_reviewer
):
    goal = demo_goal("410395220000000008236")
    for user in (outsider, outsider_dept_reviewer):
        client = login(user)
        before = state(goal)
        assert client.get(change_url(goal)).status_code == 404
        for action in BUTTONS:
            assert (
                client.post(action_url(goal, action), {"comment": "x", "reason": "x"}).status_code
                == 404
            )
        assert client.get(diff_url(goal)).status_code == 404
        assert state(goal) == before


def test_buttons_only_answer_post(login, filler):
    goal = new_goal(filler)
    assert login(filler).get(action_url(goal, "submit")).status_code == 405
    assert PerformanceGoal.objects.get(pk=goal.pk).status == Status.DRAFT


def test_a_blocked_submission_shows_the_errors_and_stores_the_findings(login, filler):
    bad = {
        "level1": "产出指标",
        "level2": "质量指标",
        "level3": "验收合格率",
        "raw_value": "≥95% 100%",
    }
    goal = new_goal(filler, indicators=[*GOOD_INDICATORS, bad])
    response, messages = post(login(filler), goal, "submit")
    assert messages[0].startswith(
        "智能审核发现 1 个错误，修改后才能提交。；「验收合格率」：指标值「≥95% 100%」"
    )
    goal.refresh_from_db()
    assert goal.status == Status.DRAFT
    assert [f["code"] for f in goal.quality_findings] == ["multiple_values"]
    assert "指标值「≥95% 100%」中有多个值" in response.content.decode()


def test_the_quality_button_and_the_bulk_action_store_findings(demo, login, filler, dept_reviewer):
    goal = demo_goal("410395220000000008236")
    _, messages = post(login(dept_reviewer), goal, "quality")
    assert messages == ["智能审核完成：1 个错误，12 个提示。"]
    assert PerformanceGoal.objects.get(pk=goal.pk).error_count == 1
    goals = PerformanceGoal.objects.filter(unit__code="027001", year=2022)
    goals.update(quality_checked_at=None)
    response = login(filler).post(
        reverse("admin:performance_performancegoal_changelist"),
        {"action": "quality_review_selected", "_selected_action": [g.pk for g in goals]},
        follow=True,
    )
    message = next(str(m) for m in get_messages(response.wsgi_request))
    assert message.startswith("已对 11 个绩效目标完成智能审核：共 4 个错误，")
    assert all(g.quality_checked_at for g in goals.all())
    assert "智能审核" in response.content.decode()  # the action is offered in the list


def test_reviewers_and_approved_goals_get_a_read_only_form(login, filler, dept_reviewer):
    goal = new_goal(filler)
    assert 'name="overall_goal"' in login(filler).get(change_url(goal)).content.decode()
    assert 'name="overall_goal"' not in login(dept_reviewer).get(change_url(goal)).content.decode()
    assert (
        'name="indicators-0-raw_value"'
        not in login(dept_reviewer).get(change_url(goal)).content.decode()
    )
    approved = PerformanceGoal.objects.get(scope=GoalScope.UNIT, unit__code="027001", year=2022)
    html = login(filler).get(change_url(approved)).content.decode()
    assert 'name="overall_goal"' not in html and 'name="tasks-0-content"' not in html


def test_the_return_comment_and_the_audit_history_are_on_the_page(login, filler, dept_reviewer):
    goal = workflow.submit(obj=new_goal(filler), actor=filler, comment="请审核")
    post(login(dept_reviewer), goal, "return", comment="满意度目标请提高到95%")
    html = login(filler).get(change_url(goal)).content.decode()
    assert 'id="return-comment"' in html
    assert "满意度目标请提高到95%" in html.split('id="return-comment"')[1].split("</div>")[0]
    history = html.split('id="audit-history"')[1]
    assert "流转：主管部门退回" in history and "满意度目标请提高到95%" in history
    assert "流转：提交" in history and "请审核" in history
    assert "027 主管部门审核员" in history and "027001 填报员" in history


def test_adjust_opens_the_new_version_and_the_diff_view_shows_the_change(
    demo, login, filler, dept_reviewer
):
    old = demo_goal("410395220000000008236")
    response, messages = post(login(filler), old, "adjust", reason="满意度指标只保留一个值")
    new = PerformanceGoal.objects.get(previous=old)
    assert response.redirect_chain[-1][0] == change_url(new)
    assert messages == [
        "已生成调整版本 v2（草稿）；原 v1 在新版本批复前继续有效。修改后请提交审核。"
    ]
    fix = new.indicators.get(level3="公岗及劳务派遣人员满意度")
    goal_services.indicator_save(goal=new, indicator=fix, data={"raw_value": "≥95%"}, actor=filler)
    html = login(dept_reviewer).get(diff_url(new)).content.decode()
    assert "绩效目标版本对比：v1 → v2" in html
    assert "满意度指标 / 公岗及劳务派遣人员满意度" in html
    assert "≥95% 100%" in html and "≥95%" in html
    assert "满意度指标只保留一个值" in html
    versions = login(filler).get(change_url(new)).content.decode().split('id="goal-versions"')[1]
    assert "与 v1 对比" in versions and "财政批复" in versions
    assert login(filler).get(diff_url(old)).status_code == 404  # v1 has nothing before it


def test_the_adjust_button_needs_a_reason(demo, login, filler):
    old = demo_goal("410395220000000008236")
    _, messages = post(login(filler), old, "adjust", reason="")
    assert messages == ["调整绩效目标必须填写调整原因。"]
    assert not PerformanceGoal.objects.filter(previous=old).exists()


def test_a_reviewer_gets_a_view_only_page_and_cannot_post_the_form(login, filler, dept_reviewer):
    goal = workflow.submit(obj=new_goal(filler), actor=filler)
    client = login(dept_reviewer)
    html = client.get(change_url(goal)).content.decode()
    assert 'name="_save"' not in html and 'id="workflow-approve"' in html
    before = state(goal)
    response = client.post(change_url(goal), {"overall_goal": "审核人改写"}, follow=True)
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["没有权限执行此操作。"]
    assert state(goal) == before


# --- an indicator stays under the goal it was created in -------------------------------------


def test_the_goal_of_an_indicator_is_read_only_on_its_change_page(login, filler):
    goal = new_goal(filler)
    indicator = goal.indicators.order_by("pk").first()
    url = reverse("admin:performance_indicator_change", args=[indicator.pk])
    page = login(filler).get(url)
    assert page.status_code == 200
    assert "goal" not in page.context["adminform"].form.fields
    assert str(goal) in page.content.decode()


def test_posting_another_goal_on_an_indicator_page_changes_nothing_of_the_goal(login, filler):
    from tests.support.admin_forms import admin_form_data

    goal = new_goal(filler)
    other = new_goal(filler, project=new_project(filler, code="410395230000000900002"))
    indicator = goal.indicators.order_by("pk").first()
    url = reverse("admin:performance_indicator_change", args=[indicator.pk])
    page = login(filler).get(url)
    data = {**admin_form_data(page, raw_value="≤19万元"), "goal": str(other.pk)}
    response = login(filler).post(url, data)
    assert response.status_code == 302
    fresh = Indicator.objects.get(pk=indicator.pk)
    assert (fresh.goal_id, fresh.raw_value) == (goal.pk, "≤19万元")


def test_the_service_refuses_to_move_an_indicator_to_another_goal(filler):
    goal = new_goal(filler)
    other = new_goal(filler, project=new_project(filler, code="410395230000000900002"))
    indicator = goal.indicators.order_by("pk").first()
    with pytest.raises(ValidationError) as error:
        goal_services.indicator_save(
            goal=other, indicator=indicator, data={"raw_value": "≤1万元"}, actor=filler
        )
    assert error.value.message_dict["goal"] == [goal_services.GOAL_IS_FIXED]
    fresh = Indicator.objects.get(pk=indicator.pk)
    assert (fresh.goal_id, fresh.raw_value, fresh.lock_version) == (goal.pk, "≤20万元", 1)


def test_a_filler_cannot_delete_an_approved_goals_indicators_in_bulk(login, filler):
    """删除所选 on the indicator list goes through ``indicator_delete`` like the delete page:
    an approved goal's indicators stay, and the refusal is a message, all or nothing."""
    goal = demo_goal("410395220000000007669")
    assert goal.status == Status.APPROVED
    indicators = list(goal.indicators.order_by("pk")[:2])
    client = login(filler)

    response = client.post(
        reverse("admin:performance_indicator_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [i.pk for i in indicators],
            "post": "yes",
        },
        follow=True,
    )

    assert response.status_code == 200
    assert Indicator.objects.filter(pk__in=[i.pk for i in indicators]).count() == 2
    assert any("不能直接修改" in str(m) for m in get_messages(response.wsgi_request))


def test_deleting_an_approved_goals_indicator_is_a_message_not_an_error(login, filler):
    indicator = demo_goal("410395220000000007669").indicators.order_by("pk").first()
    url = reverse("admin:performance_indicator_delete", args=[indicator.pk])

    response = login(filler).post(url, {"post": "yes"}, follow=True)

    assert response.status_code == 200
    assert Indicator.objects.filter(pk=indicator.pk).exists()
    assert any("不能直接修改" in str(m) for m in get_messages(response.wsgi_request))
