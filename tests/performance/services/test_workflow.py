"""The review workflow through its services: who may do what, in which state, and what it leaves.

The permission matrix runs every transition of ``workflow.TRANSITIONS`` for every persona on an
object of their own unit (027001) and of a foreign one (305004), for goals, monitoring reports
and self-evaluations. The expectations are written out here, not derived from the table.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from performance.choices import GoalScope, NotificationKind, Status
from performance.models import (
    MonitoringReport,
    MonitoringRound,
    Notification,
    PerformanceGoal,
)
from performance.services import goals as goal_services
from performance.services import workflow
from performance.services.evaluation import evaluation_start
from projects.audit import history
from projects.models import AuditEntry
from projects.services.locking import StaleObjectError

from ...support.goal_helpers import demo_goal, new_goal, new_project, state

pytestmark = pytest.mark.django_db

PERSONAS = (
    "filler",
    "unit_reviewer",
    "dept_reviewer",
    "outsider_dept_reviewer",
    "finance_reviewer",
    "outsider",
    "superuser",
)
OWN, FOREIGN = "027001", "305004"  # seen from 027001's staff; 305004 is another department
OWNER = {OWN: "filler", FOREIGN: "outsider"}
YEAR = {OWN: 2023, FOREIGN: 2024}

EDITORS = {OWN: {"filler", "unit_reviewer", "superuser"}, FOREIGN: {"outsider", "superuser"}}
DEPARTMENT = {OWN: {"dept_reviewer"}, FOREIGN: {"outsider_dept_reviewer"}}
FINANCE = {OWN: {"finance_reviewer"}, FOREIGN: {"finance_reviewer"}}

# (action, state it starts from) → who may do it on an object of each unit, and the next state
MATRIX = {
    ("submit", Status.DRAFT): (EDITORS, Status.SUBMITTED),
    ("submit", Status.RETURNED): (EDITORS, Status.SUBMITTED),
    ("approve", Status.SUBMITTED): (DEPARTMENT, Status.DEPT_APPROVED),
    ("return", Status.SUBMITTED): (DEPARTMENT, Status.RETURNED),
    ("approve", Status.DEPT_APPROVED): (FINANCE, Status.APPROVED),
    ("return", Status.DEPT_APPROVED): (FINANCE, Status.RETURNED),
    ("adjust", Status.APPROVED): (EDITORS, Status.APPROVED),  # goals only; opens v2 in draft
}
_codes = itertools.count(1)


def _project(owner, unit_code):
    code = f"{unit_code}{YEAR[unit_code]}9{next(_codes):05d}"
    return new_project(owner, unit_code=unit_code, year=YEAR[unit_code], code=code)


def _put(obj, status):
    """Test set-up: place an object in a state without walking there."""
    type(obj).objects.filter(pk=obj.pk).update(status=status)
    return type(obj).objects.get(pk=obj.pk)


def make(kind: str, unit_code: str, status: str, request):
    owner = request.getfixturevalue(OWNER[unit_code])
    goal = new_goal(owner, project=_project(owner, unit_code))
    if kind == "goal":
        return _put(goal, status)
    goal = _put(goal, Status.APPROVED)
    if kind == "evaluation":
        return _put(evaluation_start(actor=owner, year=goal.year, project=goal.project), status)
    round_, _ = MonitoringRound.objects.get_or_create(
        year=goal.year,
        data_month=7,
        defaults={
            "title": f"{goal.year}年1-7月绩效监控",
            "opens_on": dt.date(goal.year, 8, 1),
            "deadline": dt.date(goal.year, 8, 20),
        },
    )
    return MonitoringReport.objects.create(
        round=round_, project=goal.project, goal=goal, unit=goal.unit, status=status
    )


def run(action: str, obj, user, comment: str = "请按意见修改后重新提交"):
    if action == "submit":
        return workflow.submit(obj=obj, actor=user)
    if action == "approve":
        return workflow.approve(obj=obj, actor=user, comment="同意")
    if action == "return":
        return workflow.return_(obj=obj, actor=user, comment=comment)
    return workflow.goal_adjust(goal=obj, actor=user, reason="项目预算调整")


CASES = [
    (kind, action, source, unit_code, persona)
    for kind in ("goal", "report", "evaluation")
    for (action, source) in MATRIX
    if kind == "goal" or action != "adjust"
    for unit_code in (OWN, FOREIGN)
    for persona in PERSONAS
]


@pytest.mark.parametrize(
    ("kind", "action", "source", "unit_code", "persona"),
    CASES,
    ids=[f"{k}-{a}@{s}-{u}-{p}" for k, a, s, u, p in CASES],
)
def test_permission_matrix(request, kind, action, source, unit_code, persona):
    who, target = MATRIX[(action, source)]
    allowed = persona in who[unit_code]
    user = request.getfixturevalue(persona)
    obj = make(kind, unit_code, source, request)
    assert (action in workflow.allowed_actions(obj, user)) == allowed
    before = state(obj)
    if allowed:
        result = run(action, obj, user)
        fresh = type(obj).objects.get(pk=obj.pk)
        assert fresh.status == target
        entry = history(fresh).filter(action="transition").first()
        assert entry.actor == user
        if action == "adjust":
            assert (result.status, result.version, result.previous_id) == (Status.DRAFT, 2, obj.pk)
            assert fresh.lock_version == before[1]
        else:
            assert fresh.lock_version == before[1] + 1
    else:
        with pytest.raises(PermissionDenied):
            run(action, obj, user)
        assert state(obj) == before


def test_superusers_and_administrators_maintain_but_do_not_review(request, superuser):
    goal = make("goal", OWN, Status.SUBMITTED, request)
    assert workflow.allowed_actions(goal, superuser) == set()
    with pytest.raises(PermissionDenied) as caught:
        workflow.approve(obj=goal, actor=superuser)
    assert "需要：主管部门审核人" in str(caught.value)


def test_a_department_reviewer_of_another_department_is_told_it_is_outside_their_units(
    request, outsider_dept_reviewer
):
    goal = make("goal", OWN, Status.SUBMITTED, request)
    with pytest.raises(PermissionDenied) as caught:
        workflow.approve(obj=goal, actor=outsider_dept_reviewer)
    assert "不在您的管辖范围内" in str(caught.value)


# --- invalid transitions: clear Chinese errors, nothing changed ------------------------------


def _refused(call, obj, code: str, field: str) -> str:
    before = state(obj)
    with pytest.raises(ValidationError) as caught:
        call()
    assert caught.value.code == code
    assert caught.value.error_dict[field][0].code == code
    assert state(obj) == before
    return caught.value.message_dict[field][0]


def test_approving_a_draft_is_refused(filler, dept_reviewer):
    goal = new_goal(filler)
    message = _refused(
        lambda: workflow.approve(obj=goal, actor=dept_reviewer),
        goal,
        "invalid_transition",
        "status",
    )
    assert "当前状态为“草稿”，不能审核通过" in message
    assert "只有待单位审核、已提交或主管部门审核通过的绩效目标可以审核通过" in message


def test_returning_without_a_comment_is_refused(filler, dept_reviewer):
    goal = workflow.submit(obj=new_goal(filler), actor=filler)
    for blank in ("", "   "):
        message = _refused(
            lambda blank=blank: workflow.return_(obj=goal, actor=dept_reviewer, comment=blank),
            goal,
            "comment_required",
            "comment",
        )
        assert message == "退回时必须填写退回意见，说明需要修改的内容。"
    assert not Notification.objects.filter(kind=NotificationKind.RETURNED).exists()


def test_editing_an_approved_goal_is_refused(demo, filler):
    goal = demo_goal("410395220000000008236")
    indicator = goal.indicators.first()
    before = state(goal)
    with pytest.raises(ValidationError) as caught:
        goal_services.goal_update(goal=goal, data={"overall_goal": "改一下"}, actor=filler)
    assert "当前状态为“财政批复”，不能直接修改" in caught.value.message_dict["status"][0]
    assert "请通过“调整”生成新版本" in caught.value.message_dict["status"][0]
    with pytest.raises(ValidationError):
        goal_services.indicator_save(
            goal=goal, indicator=indicator, data={"raw_value": "≥99%"}, actor=filler
        )
    with pytest.raises(ValidationError):
        goal_services.indicator_delete(indicator=indicator, actor=filler)
    assert state(goal) == before
    assert goal.indicators.get(pk=indicator.pk).raw_value == indicator.raw_value


def test_submitted_goal_cannot_be_edited_or_submitted_again(filler):
    goal = workflow.submit(obj=new_goal(filler), actor=filler)
    with pytest.raises(ValidationError):
        goal_services.goal_update(goal=goal, data={"overall_goal": "改"}, actor=filler)
    message = _refused(
        lambda: workflow.submit(obj=goal, actor=filler), goal, "invalid_transition", "status"
    )
    assert "当前状态为“已提交”，不能提交" in message


def test_adjusting_needs_an_approved_goal_and_a_reason(demo, filler):
    draft = new_goal(filler)
    message = _refused(
        lambda: workflow.goal_adjust(goal=draft, actor=filler, reason="x"),
        draft,
        "invalid_transition",
        "status",
    )
    assert "只有已经财政批复的绩效目标可以调整" in message
    approved = demo_goal("410395220000000008236")
    message = _refused(
        lambda: workflow.goal_adjust(goal=approved, actor=filler, reason=" "),
        approved,
        "comment_required",
        "reason",
    )
    assert message == "调整绩效目标必须填写调整原因。"


def test_a_goal_is_adjusted_once_at_a_time(demo, filler):
    approved = demo_goal("410395220000000008236")
    workflow.goal_adjust(goal=approved, actor=filler, reason="预算调整")
    assert workflow.ADJUST not in workflow.allowed_actions(approved, filler)
    message = _refused(
        lambda: workflow.goal_adjust(goal=approved, actor=filler, reason="再调一次"),
        approved,
        "invalid_transition",
        "status",
    )
    assert "已有调整中的 v2（草稿）" in message


def test_approving_with_a_fair_or_poor_quality_grade_is_refused(filler, dept_reviewer):
    goal = workflow.submit(obj=new_goal(filler), actor=filler)
    message = _refused(
        lambda: workflow.approve(obj=goal, actor=dept_reviewer, quality_grade="poor"),
        goal,
        "invalid",
        "quality_grade",
    )
    assert message == "目标质量等级为“差”的目标应退回修改，不能审核通过。"
    goal = workflow.approve(obj=goal, actor=dept_reviewer, quality_grade="good")
    assert (goal.status, goal.quality_grade) == (Status.DEPT_APPROVED, "good")


def test_a_stale_version_is_refused(filler, dept_reviewer):
    goal = workflow.submit(obj=new_goal(filler), actor=filler)
    seen = goal.lock_version
    workflow.return_(obj=goal, actor=dept_reviewer, comment="补充", expected_version=seen)
    workflow.submit(obj=goal, actor=filler)
    before = state(goal)
    with pytest.raises(StaleObjectError) as caught:
        workflow.approve(obj=goal, actor=dept_reviewer, expected_version=seen)
    assert caught.value.code == "stale"
    assert "已被其他用户修改，请刷新" in caught.value.messages[0]
    assert state(goal) == before


def test_the_callers_instance_is_brought_up_to_date(filler, dept_reviewer):
    goal = new_goal(filler)
    result = workflow.submit(obj=goal, actor=filler)
    assert (goal.status, goal.lock_version) == (result.status, result.lock_version)
    assert goal.submitted_at == result.submitted_at is not None


# --- the audit trail ---------------------------------------------------------------------------


def test_every_transition_leaves_who_when_what_and_the_comment(
    filler, unit_reviewer, dept_reviewer, finance_reviewer
):
    goal = new_goal(filler)
    steps = [
        (
            lambda: workflow.submit(obj=goal, actor=filler, comment="请审核"),
            filler,
            "submit",
            "请审核",
        ),
        (
            lambda: workflow.return_(obj=goal, actor=dept_reviewer, comment="满意度目标偏低"),
            dept_reviewer,
            "dept_return",
            "满意度目标偏低",
        ),
        (lambda: workflow.submit(obj=goal, actor=unit_reviewer), unit_reviewer, "resubmit", ""),
        (
            lambda: workflow.approve(obj=goal, actor=dept_reviewer, comment="同意"),
            dept_reviewer,
            "dept_approve",
            "同意",
        ),
        (
            lambda: workflow.return_(obj=goal, actor=finance_reviewer, comment="与预算不符"),
            finance_reviewer,
            "finance_return",
            "与预算不符",
        ),
        (lambda: workflow.submit(obj=goal, actor=filler), filler, "resubmit", ""),
        (
            lambda: workflow.approve(obj=goal, actor=dept_reviewer),
            dept_reviewer,
            "dept_approve",
            "",
        ),
        (
            lambda: workflow.approve(obj=goal, actor=finance_reviewer, comment="批复"),
            finance_reviewer,
            "finance_approve",
            "批复",
        ),
    ]
    for call, actor, name, comment in steps:
        old_status = PerformanceGoal.objects.get(pk=goal.pk).status
        call()
        entry = history(goal).filter(action="transition").first()
        assert (entry.actor, entry.transition, entry.comment) == (actor, name, comment)
        assert entry.changes["status"] == [old_status, goal.status]
        assert entry.created_at is not None and entry.unit_id == goal.unit_id
    assert goal.status == Status.APPROVED and goal.approved_at is not None
    assert goal.lock_version == 1 + len(steps)
    assert history(goal).filter(action="transition").count() == len(steps)
    assert history(goal).filter(action="compute", transition="quality_review").count() == 3


def test_edits_leave_audit_rows_with_what_changed(filler):
    goal = new_goal(filler)
    indicator = goal.indicators.get(level3="参训人员满意度")
    goal_services.goal_update(goal=goal, data={"midterm_goal": "三年内全员轮训"}, actor=filler)
    goal_services.indicator_save(
        goal=goal, indicator=indicator, data={"raw_value": "≥95%"}, actor=filler
    )
    goal_services.indicator_delete(
        indicator=goal.indicators.get(level3="培训完成时间"), actor=filler
    )
    rows = list(history(goal)[:3])
    assert [(r.action, r.actor) for r in rows] == [
        ("delete", filler),
        ("update", filler),
        ("update", filler),
    ]
    assert rows[1].changes == {f"indicator[{indicator.pk}].raw_value": ["≥90%", "≥95%"]}
    assert rows[2].changes == {"midterm_goal": ["", "三年内全员轮训"]}
    assert rows[0].comment == "删除指标：培训完成时间"


def test_a_return_notifies_the_units_staff_once(filler, unit_reviewer, dept_reviewer):
    goal = workflow.submit(obj=new_goal(filler), actor=filler)
    workflow.return_(obj=goal, actor=dept_reviewer, comment="请补充成本测算依据")
    entry = history(goal).filter(transition="dept_return").get()
    notes = Notification.objects.filter(kind=NotificationKind.RETURNED).order_by("recipient_id")
    assert {n.recipient for n in notes} == {filler, unit_reviewer}
    for note in notes:
        assert note.occasion_key == f"returned:performancegoal:{goal.pk}:{entry.pk}"
        assert note.body == "退回意见：请补充成本测算依据"
        assert note.link == f"/admin/performance/performancegoal/{goal.pk}/change/"
        assert note.title.startswith("绩效目标被退回：")


# --- adjustment, superseding and the diff ------------------------------------------------------


def test_adjustment_copies_the_goal_and_keeps_the_approved_version(demo, filler):
    goal = PerformanceGoal.objects.get(scope=GoalScope.UNIT, unit__code="027001", year=2022)
    new = workflow.goal_adjust(goal=goal, actor=filler, reason="年中追加预算")
    assert (new.version, new.status, new.previous, new.adjustment_reason) == (
        2,
        Status.DRAFT,
        goal,
        "年中追加预算",
    )
    assert new.overall_goal == goal.overall_goal and new.budget_total == goal.budget_total
    copied = list(
        new.indicators.values_list(
            "level1",
            "level2",
            "level3",
            "raw_value",
            "explanation",
            "operator",
            "target_value",
            "kind",
        )
    )
    original = list(
        goal.indicators.values_list(
            "level1",
            "level2",
            "level3",
            "raw_value",
            "explanation",
            "operator",
            "target_value",
            "kind",
        )
    )
    assert copied == original and len(copied) == 24
    assert list(new.tasks.values_list("name", "content")) == list(
        goal.tasks.values_list("name", "content")
    )
    assert PerformanceGoal.objects.get(pk=goal.pk).status == Status.APPROVED
    created = history(new).get()
    assert (created.action, created.actor, created.comment) == ("create", filler, "年中追加预算")
    adjust = history(goal).filter(transition="adjust").get()
    assert adjust.changes == {"next_version": [None, new.pk]}
    assert workflow.goal_diff(goal, new) == {
        "fields": {},
        "indicators": {"added": [], "removed": [], "changed": []},
        "tasks": {"added": [], "removed": [], "changed": []},
    }


def test_approving_the_adjusted_version_supersedes_the_old_one(
    demo, filler, dept_reviewer, finance_reviewer
):
    old = demo_goal("410395220000000008236")
    new = workflow.goal_adjust(goal=old, actor=filler, reason="满意度目标只能有一个值")
    fix = new.indicators.get(level3="公岗及劳务派遣人员满意度")
    goal_services.indicator_save(goal=new, indicator=fix, data={"raw_value": "≥95%"}, actor=filler)
    workflow.submit(obj=new, actor=filler)
    workflow.approve(obj=new, actor=dept_reviewer)
    assert PerformanceGoal.objects.get(pk=old.pk).status == Status.APPROVED  # still in force
    workflow.approve(obj=new, actor=finance_reviewer)
    old.refresh_from_db()
    assert (old.status, new.status) == (Status.SUPERSEDED, Status.APPROVED)
    assert old.indicators.get(level3="公岗及劳务派遣人员满意度").raw_value == "≥95% 100%"
    superseded = history(old).filter(transition="supersede").get()
    assert (superseded.actor, superseded.comment) == (finance_reviewer, "已由调整后的 v2 取代")
    assert [g.status for g in workflow.goal_versions(new)] == [Status.SUPERSEDED, Status.APPROVED]
    # ... and the new approved version can itself be adjusted into v3.
    third = workflow.goal_adjust(goal=new, actor=filler, reason="再次调整")
    assert (third.version, third.previous_id) == (3, new.pk)


def test_diff_lists_changed_added_and_removed_indicators_fields_and_tasks(demo, filler):
    old = PerformanceGoal.objects.get(scope=GoalScope.UNIT, unit__code="027001", year=2022)
    new = workflow.goal_adjust(goal=old, actor=filler, reason="调整")
    goal_services.goal_update(
        goal=new, data={"overall_goal": "新目标", "budget_total": Decimal("7000")}, actor=filler
    )
    changed = new.indicators.get(level3="预算执行率")
    goal_services.indicator_save(
        goal=new, indicator=changed, data={"raw_value": "≥95%"}, actor=filler
    )
    removed = new.indicators.get(level3="评价结果应用率")
    goal_services.indicator_delete(indicator=removed, actor=filler)
    goal_services.indicator_save(
        goal=new,
        data={
            "level1": "产出指标",
            "level2": "数量指标",
            "level3": "经办业务笔数",
            "raw_value": "≥5万笔",
        },
        actor=filler,
    )
    task = new.tasks.order_by("order").first()
    goal_services.goal_task_save(goal=new, task=task, data={"content": "新内容"}, actor=filler)
    new.refresh_from_db()
    diff = workflow.goal_diff(old, new)
    assert diff["fields"] == {
        "overall_goal": [old.overall_goal, "新目标"],
        "budget_total": ["6824.79", "7000"],
    }
    assert diff["indicators"]["changed"] == [
        {"key": "投入管理指标 / 预算执行率", "changes": {"raw_value": ["100%", "≥95%"]}}
    ]
    assert [r["key"] for r in diff["indicators"]["added"]] == ["产出指标 / 经办业务笔数"]
    assert [r["key"] for r in diff["indicators"]["removed"]] == ["投入管理指标 / 评价结果应用率"]
    assert diff["tasks"]["changed"] == [
        {
            "key": task.name,
            "changes": {"content": [old.tasks.get(name=task.name).content, "新内容"]},
        }
    ]


def test_goal_task_edits_follow_the_goal_rules(demo, filler):
    approved = PerformanceGoal.objects.get(scope=GoalScope.UNIT, unit__code="027001", year=2022)
    task = approved.tasks.first()
    with pytest.raises(ValidationError):
        goal_services.goal_task_save(goal=approved, task=task, data={"content": "x"}, actor=filler)
    new = workflow.goal_adjust(goal=approved, actor=filler, reason="调整任务")
    added = goal_services.goal_task_save(
        goal=new, data={"name": "新任务", "content": "内容"}, actor=filler
    )
    goal_services.goal_task_delete(task=added, actor=filler)
    assert [e.comment for e in history(new)[:2]] == [
        "删除年度主要任务：新任务",
        "年度主要任务：新任务",
    ]


def test_transition_audit_rows_name_the_unit(filler):
    goal = workflow.submit(obj=new_goal(filler), actor=filler)
    entry = AuditEntry.objects.filter(transition="submit", object_id=str(goal.pk)).get()
    assert entry.unit.code == "027001"
    assert entry.object_repr == str(goal)


def test_editing_a_submitted_goal_is_refused_with_code_not_editable(filler):
    goal = workflow.submit(obj=new_goal(filler), actor=filler)
    with pytest.raises(ValidationError) as caught:
        goal_services.goal_update(goal=goal, data={"overall_goal": "改"}, actor=filler)
    assert caught.value.code == "not_editable"
    assert caught.value.error_dict["status"][0].code == "not_editable"
