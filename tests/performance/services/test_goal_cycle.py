"""The goal half of the annual cycle on the demo data, walked as the people involved walk it:
027001's filler fills and submits, 主管部门 027 returns with a comment, the filler sees it, fixes
and resubmits, 027 and then the finance bureau approve, and an adjustment goes round again with
a diff while the old version stays readable."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse

from performance.choices import NotificationKind, Status
from performance.models import Notification, PerformanceGoal
from performance.services import goals as goal_services
from performance.services import workflow
from projects.audit import history
from tests.support.admin_forms import admin_form_data

from ...support.goal_helpers import GOOD_INDICATORS, demo_goal, new_project

pytestmark = pytest.mark.django_db

ADD_URL = "admin:performance_performancegoal_add"


def change_url(goal) -> str:
    return reverse("admin:performance_performancegoal_change", args=[goal.pk])


def press(client, goal, action: str, **data) -> list[str]:
    """Press a workflow button on the goal page, as the browser would post it."""
    page = client.get(change_url(goal))
    assert f'id="workflow-{action}"' in page.content.decode(), action
    url = reverse("admin:performance_performancegoal_workflow", args=[goal.pk, action])
    goal.refresh_from_db()
    response = client.post(url, {"lock_version": goal.lock_version, **data}, follow=True)
    assert response.status_code == 200
    return [str(m) for m in get_messages(response.wsgi_request)]


def indicator_rows(rows) -> dict[str, object]:
    data: dict[str, object] = {"indicators-TOTAL_FORMS": len(rows), "indicators-INITIAL_FORMS": 0}
    for n, row in enumerate(rows):
        for key, value in {"order": n + 1, **row}.items():
            data[f"indicators-{n}-{key}"] = value
    return data


def edit_indicator(client, goal, level3: str, **values):
    """Change one indicator row in the goal's change form and save the form."""
    page = client.get(change_url(goal))
    formset = page.context["inline_admin_formsets"][0].formset
    prefix = next(f.prefix for f in formset.forms if f.instance.level3 == level3)
    overrides = {f"{prefix}-{k}": v for k, v in values.items()}
    response = client.post(change_url(goal), admin_form_data(page, **overrides))
    assert response.status_code == 302, response.content.decode()[:2000]


def test_the_goal_cycle_through_the_admin(
    login, filler, dept_reviewer, finance_reviewer, unit_reviewer
):
    # The filler's unit has a new 2023 project (saved through the project service) ...
    project = new_project(filler)
    client = login(filler)

    # ... and fills its goal in the admin, copying a dirty value from last year's table.
    page = client.get(reverse(ADD_URL))
    rows = [
        *GOOD_INDICATORS[:4],
        {**GOOD_INDICATORS[4], "raw_value": "≥95% 100%"},
    ]
    data = admin_form_data(
        page,
        scope="project",
        project=project.pk,
        unit=project.unit_id,
        year=2023,
        overall_goal="完成全年经办人员业务培训，提升经办服务能力。",
    )
    response = client.post(reverse(ADD_URL), {**data, **indicator_rows(rows)})
    assert response.status_code == 302
    goal = PerformanceGoal.objects.get(project=project)
    assert (goal.status, goal.version, goal.indicators.count()) == (Status.DRAFT, 1, 5)

    # Submitting is blocked by 智能审核 until the value is fixed.
    messages = press(client, goal, "submit")
    assert messages[0].startswith("智能审核发现 1 个错误，修改后才能提交。")
    goal.refresh_from_db()
    assert goal.status == Status.DRAFT and goal.error_count == 1
    edit_indicator(client, goal, "参训人员满意度", raw_value="≥90%")
    assert press(client, goal, "submit", comment="请审核") == [f"“{goal}”已提交，等待审核。"]

    # 主管部门 027 returns it with a comment; 027001's staff are notified.
    reviewer = login(dept_reviewer)
    assert press(reviewer, goal, "return", comment="培训人次应与培训计划一致，请改为≥350人次")
    goal.refresh_from_db()
    assert goal.status == Status.RETURNED
    assert (
        Notification.objects.filter(
            kind=NotificationKind.RETURNED, recipient__in=[filler, unit_reviewer]
        ).count()
        == 2
    )

    # The filler sees the comment on the goal page, fixes the indicator and resubmits.
    client = login(filler)
    html = client.get(change_url(goal)).content.decode()
    assert "培训人次应与培训计划一致，请改为≥350人次" in html.split('id="return-comment"')[1]
    edit_indicator(client, goal, "培训人次", raw_value="≥350人次")
    press(client, goal, "submit")

    # 027 approves (grading the target 良), then the finance bureau approves (批复).
    press(login(dept_reviewer), goal, "approve", comment="同意", quality_grade="good")
    goal.refresh_from_db()
    assert (goal.status, goal.quality_grade) == (Status.DEPT_APPROVED, "good")
    press(login(finance_reviewer), goal, "approve", comment="批复")
    goal.refresh_from_db()
    assert goal.status == Status.APPROVED and goal.approved_at is not None

    # Mid-year the budget changes: the filler adjusts, which opens v2 in draft.
    client = login(filler)
    press(client, goal, "adjust", reason="年中培训计划扩大")
    v2 = PerformanceGoal.objects.get(previous=goal)
    assert (v2.version, v2.status) == (2, Status.DRAFT)
    edit_indicator(client, v2, "培训人次", raw_value="≥500人次")
    press(client, v2, "submit")
    press(login(dept_reviewer), v2, "approve")
    assert PerformanceGoal.objects.get(pk=goal.pk).status == Status.APPROVED  # still in force
    press(login(finance_reviewer), v2, "approve")

    goal.refresh_from_db()
    v2.refresh_from_db()
    assert (goal.status, v2.status) == (Status.SUPERSEDED, Status.APPROVED)
    # The old version is still readable, unchanged, and the diff shows the changed indicator.
    client = login(filler)
    old_page = client.get(change_url(goal)).content.decode()
    assert "已调整（历史版本）" in old_page and "≥350人次" in old_page
    diff = client.get(reverse("admin:performance_performancegoal_diff", args=[v2.pk]))
    assert diff.context["diff"]["indicators"]["changed"] == [
        {"key": "产出指标 / 培训人次", "changes": {"raw_value": ["≥350人次", "≥500人次"]}}
    ]
    assert "年中培训计划扩大" in diff.content.decode()

    # Every step is in the audit trail, with its comment.
    trail = list(
        history(goal)
        .filter(action="transition")
        .values_list("transition", "actor__username", "comment")
    )
    assert trail[::-1] == [
        ("submit", "filler027", "请审核"),
        ("dept_return", "dept027", "培训人次应与培训计划一致，请改为≥350人次"),
        ("resubmit", "filler027", ""),
        ("dept_approve", "dept027", "同意"),
        ("finance_approve", "finance", "批复"),
        ("adjust", "filler027", "年中培训计划扩大"),
        ("supersede", "finance", "已由调整后的 v2 取代"),
    ]
    assert list(history(v2).filter(action="transition").values_list("transition", flat=True))[
        ::-1
    ] == ["submit", "dept_approve", "finance_approve"]


def test_the_goal_cycle_through_the_services_on_a_published_goal(
    demo, filler, dept_reviewer, finance_reviewer
):
    # 运转经费 was published with "≥95% 100%": adjusting it is how the unit fixes it.
    old = demo_goal("410395220000000008236")
    new = workflow.goal_adjust(goal=old, actor=filler, reason="满意度目标值不唯一")
    satisfaction = new.indicators.get(level3="公岗及劳务派遣人员满意度")
    with pytest.raises(ValidationError) as blocked:  # the quality review blocks it
        workflow.submit(obj=new, actor=filler)
    assert blocked.value.code == "quality_errors"
    assert new.status == Status.DRAFT

    goal_services.indicator_save(
        goal=new, indicator=satisfaction, data={"raw_value": "≥95%"}, actor=filler
    )
    workflow.submit(obj=new, actor=filler)
    workflow.return_(obj=new, actor=dept_reviewer, comment="请补充年度总体目标")
    assert (new.status, new.last_comment) == (Status.RETURNED, "请补充年度总体目标")
    goal_services.goal_update(
        goal=new, data={"overall_goal": "保障公岗和劳务派遣人员经费按时足额发放。"}, actor=filler
    )
    workflow.submit(obj=new, actor=filler)
    workflow.approve(obj=new, actor=dept_reviewer)
    workflow.approve(obj=new, actor=finance_reviewer)

    old.refresh_from_db()
    assert (old.status, new.status) == (Status.SUPERSEDED, Status.APPROVED)
    assert [f["code"] for f in new.quality_findings if f["severity"] == "error"] == []
    new.refresh_from_db()
    diff = workflow.goal_diff(old, new)
    assert diff["fields"] == {"overall_goal": ["", "保障公岗和劳务派遣人员经费按时足额发放。"]}
    assert diff["indicators"]["changed"] == [
        {
            "key": "满意度指标 / 公岗及劳务派遣人员满意度",
            "changes": {"raw_value": ["≥95% 100%", "≥95%"]},
        }
    ]
    assert old.indicators.count() == new.indicators.count() == 7
