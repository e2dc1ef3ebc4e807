"""The to-do list (待办) per role, from the demo: what waits, in which order, and only in scope."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from performance.demo import load_demo_monitoring
from performance.models import PerformanceGoal
from performance.selectors.todo import todo_count, todo_for
from performance.selectors.todo.sources import REVIEW_STEPS
from performance.selectors.todo.timing import add_working_days, working_days_between
from performance.services import evaluation as evaluation_services
from performance.services import workflow
from projects.models import Project, Unit
from projects.permissions import forget_cached_memberships

pytestmark = pytest.mark.django_db

# 027001 goals whose adjusted copy passes the quality review as it stands.
SUBMITTABLE = ("410395220000000007669", "410395220000000007677", "410395220000000018835")


def adjusted(code: str, actor) -> PerformanceGoal:
    goal = PerformanceGoal.objects.get(project__code=code, status="approved")
    return workflow.goal_adjust(goal=goal, actor=actor, reason="预算调整")


def submitted(code: str, actor) -> PerformanceGoal:
    return workflow.submit(obj=adjusted(code, actor), actor=actor)


def keys(todo) -> list[str]:
    return [item.key for item in todo.items]


def backdate(goal: PerformanceGoal, days: int) -> None:
    """Move the time the goal reached its step ``days`` calendar days into the past."""
    goal.refresh_from_db(fields=["step_entered_at"])
    PerformanceGoal.objects.filter(pk=goal.pk).update(
        step_entered_at=goal.step_entered_at - dt.timedelta(days=days)
    )


def test_filler_sees_projects_to_evaluate_in_an_open_window(filler):
    todo = todo_for(filler)
    projects = Project.objects.filter(unit__code="027001", year=2022)
    assert todo.counts == {"evaluation.start": 10}
    assert {item.object_id for item in todo.items} == set(projects.values_list("pk", flat=True))
    item = todo.items[0]
    assert item.due == dt.date(2023, 4, 30) and item.overdue
    assert item.title.endswith("开展绩效自评")
    assert item.link.startswith("/admin/performance/selfevaluation/add/?project=")


def test_a_started_evaluation_leaves_the_start_lines_and_waits_as_a_draft(filler):
    project = Project.objects.filter(unit__code="027001", year=2022).order_by("code").first()
    evaluation = evaluation_services.evaluation_start(actor=filler, year=2022, project=project)
    todo = todo_for(filler)
    assert f"evaluation.start:{project.pk}" not in keys(todo)
    assert todo.counts["evaluation.start"] == 9
    draft = next(i for i in todo.items if i.key == f"evaluation.draft:{evaluation.pk}")
    assert draft.due == dt.date(2023, 4, 30)
    assert draft.link == f"/admin/performance/selfevaluation/{evaluation.pk}/change/"
    assert draft.group_label == "待提交"


def test_filler_sees_drafts_with_the_window_deadline(outsider):
    load_demo_monitoring()
    todo = todo_for(outsider, kind="report.draft")
    assert todo.counts == {"report.draft": 5}
    assert {item.due for item in todo.items} == {dt.date(2024, 1, 20)}
    assert all(item.unit_code == "305004" for item in todo.items)


def test_reports_of_an_ended_round_leave_the_list(outsider, finance_reviewer):
    """Ending a round makes its reports final: its five drafts are nobody's work any more (the
    demo's after-score step ends the round; they had stayed as 1,050-day-overdue lines)."""
    from performance.services.monitoring import monitoring_round_close

    round_ = load_demo_monitoring()
    assert todo_count(outsider) >= 5
    monitoring_round_close(actor=finance_reviewer, round_=round_)
    assert todo_for(outsider, kind="report.draft").counts == {}
    assert not [item for item in todo_for(outsider).items if item.key.startswith("report.")]


def test_filler_sees_returned_items_with_the_comment(filler, dept_reviewer):
    goal = submitted(SUBMITTABLE[0], filler)
    workflow.return_(obj=goal, actor=dept_reviewer, comment="请补充满意度调查方式。")
    todo = todo_for(filler, kind="goal.returned")
    (item,) = todo.items
    assert item.key == f"goal.returned:{goal.pk}"
    assert item.note == "请补充满意度调查方式。"
    assert item.actor == "027 主管部门审核员"
    assert item.title.endswith("绩效目标 v2")
    assert item.actions == ("edit", "submit")


def test_department_reviewer_sees_items_at_his_step_oldest_first(filler, dept_reviewer):
    newer = submitted(SUBMITTABLE[0], filler)
    older = submitted(SUBMITTABLE[1], filler)
    backdate(older, 10)
    todo = todo_for(dept_reviewer, kind="goal.review")
    assert keys(todo) == [f"goal.review:{older.pk}", f"goal.review:{newer.pk}"]
    first = todo.items[0]
    today = timezone.localdate()
    arrived = today - dt.timedelta(days=10)
    assert first.waited_working_days == working_days_between(arrived, today) >= 6
    assert first.due == add_working_days(arrived, 5) and first.overdue
    assert todo.items[1].waited_working_days == 0 and not todo.items[1].overdue
    assert first.link == f"/admin/performance/performancegoal/{older.pk}/change/#workflow-panel"


def test_an_approved_item_leaves_the_list_at_once(filler, dept_reviewer, finance_reviewer):
    goal = submitted(SUBMITTABLE[0], filler)
    assert f"goal.review:{goal.pk}" in keys(todo_for(dept_reviewer))
    assert todo_for(finance_reviewer, kind="goal.review").items == []
    workflow.approve(obj=goal, actor=dept_reviewer)
    assert f"goal.review:{goal.pk}" not in keys(todo_for(dept_reviewer))
    assert keys(todo_for(finance_reviewer, kind="goal.review")) == [f"goal.review:{goal.pk}"]
    workflow.approve(obj=goal, actor=finance_reviewer)
    assert todo_for(finance_reviewer, kind="goal.review").items == []


def test_finance_reviewer_sees_only_department_approved_items(
    filler, dept_reviewer, finance_reviewer
):
    waiting = submitted(SUBMITTABLE[0], filler)
    passed = submitted(SUBMITTABLE[1], filler)
    workflow.approve(obj=passed, actor=dept_reviewer)
    todo = todo_for(finance_reviewer, kind="goal.review")
    assert keys(todo) == [f"goal.review:{passed.pk}"]
    assert todo.items[0].status_label == "主管部门审核通过"
    assert f"goal.review:{waiting.pk}" in keys(todo_for(dept_reviewer))


def test_another_units_items_never_appear(filler, dept_reviewer, outsider, outsider_dept_reviewer):
    load_demo_monitoring()
    goal = submitted(SUBMITTABLE[0], filler)
    for user in (outsider, outsider_dept_reviewer):
        todo = todo_for(user)
        assert all(item.unit_code == "305004" for item in todo.items), keys(todo)
        assert f"goal.review:{goal.pk}" not in keys(todo)
    assert all(item.unit_code == "027001" for item in todo_for(dept_reviewer).items)
    assert all(item.unit_code == "027001" for item in todo_for(filler).items)


def test_overdue_units_are_listed_for_reviewers_below_them(filler, dept_reviewer, finance_reviewer):
    (line,) = todo_for(dept_reviewer, kind="units.overdue").items
    assert line.unit_code == "027001" and line.count == 10
    assert line.status_label == "绩效自评" and line.year == 2022 and line.overdue
    assert line.key == f"units.overdue:{line.unit_id}:self_evaluation:2022"
    assert "027001" in {i.unit_code for i in todo_for(finance_reviewer, kind="units.overdue").items}
    assert todo_for(filler, kind="units.overdue").items == []
    # Overdue lines are for reading: not in the header's count.
    assert todo_count(dept_reviewer) == 0
    project = Project.objects.filter(unit__code="027001", year=2022).order_by("code").first()
    evaluation = evaluation_services.evaluation_start(actor=filler, year=2022, project=project)
    assert evaluation.status == "draft"  # started is not handed in: still due
    assert todo_for(dept_reviewer, kind="units.overdue").items[0].count == 10


def test_admins_get_no_flood_of_drafts(finance_admin, superuser, filler):
    adjusted(SUBMITTABLE[0], filler)
    assert todo_for(finance_admin).items == [] and todo_count(finance_admin) == 0
    assert todo_for(superuser).items == []


def test_kind_and_unit_narrow_the_list(finance_reviewer):
    load_demo_monitoring()
    everything = todo_for(finance_reviewer)
    assert {i.unit_code for i in everything.items} == {"027001", "305004"}
    only_305 = todo_for(finance_reviewer, unit=Unit.objects.get(code="305"))
    assert {i.unit_code for i in only_305.items} == {"305004"}
    assert todo_for(finance_reviewer, kind="goal.review").items == []


def test_header_count_is_the_lines_that_ask_for_action(filler):
    assert todo_count(filler) == 10
    adjusted(SUBMITTABLE[0], filler)
    assert todo_count(filler) == 11 == todo_for(filler).header_total


def test_review_steps_agree_with_the_workflow_table():
    # The unit documents share the REVIEW rows; a spot check is reviewed inside the bureau and
    # the library's entries have their own rows.
    approve_rows = [(r.source, r.roles) for r in workflow.REVIEW if r.action == "approve"]
    assert list(REVIEW_STEPS) == approve_rows


def test_days_waited_count_working_days():
    friday = dt.date(2026, 12, 4)
    assert working_days_between(friday, friday) == 0
    assert working_days_between(friday, dt.date(2026, 12, 6)) == 0  # the weekend
    assert working_days_between(friday, dt.date(2026, 12, 7)) == 1
    assert working_days_between(friday, dt.date(2026, 12, 18)) == 10
    assert add_working_days(friday, 5) == dt.date(2026, 12, 11)
    assert add_working_days(dt.date(2026, 12, 5), 1) == dt.date(2026, 12, 7)


def test_pages_are_cut_in_the_list_order_and_keep_all_counts(filler):
    whole = todo_for(filler, limit=None)
    page = todo_for(filler, offset=3, limit=4)
    assert keys(page) == keys(whole)[3:7]
    assert page.counts == whole.counts == {"evaluation.start": 10}
    home = todo_for(filler, per_group=2)
    assert keys(home) == keys(whole)[:2]


def test_the_list_costs_the_same_queries_for_few_and_many_lines(filler, dept_reviewer):
    def measure() -> tuple[int, int]:
        forget_cached_memberships(dept_reviewer)
        with CaptureQueriesContext(connection) as queries:
            todo = todo_for(dept_reviewer, kind="goal.review")
        return len(queries), len(todo.items)

    submitted(SUBMITTABLE[0], filler)
    few, one = measure()
    for code in SUBMITTABLE[1:]:
        submitted(code, filler)
    many, three = measure()
    assert (one, three) == (1, 3)
    # memberships, the statement, and for review lines the bureaus' 审核设置 and the 工作日历
    assert few == many == 4


def test_todo_overdue_lines_agree_with_the_reminder_sweep(finance_reviewer, dept_reviewer):
    from performance.models import ReportingWindow
    from performance.selectors.work_due import work_due

    window = ReportingWindow.objects.get(kind="self_evaluation", year=2022)
    due = {unit: len(items) for unit, items in work_due(window).items()}
    for user in (finance_reviewer, dept_reviewer):
        lines = todo_for(user, kind="units.overdue").items
        seen = {
            i.unit_id: i.count for i in lines if (i.status, i.year) == ("self_evaluation", 2022)
        }
        below = set(Unit.objects.filter(code__startswith="027").values_list("pk", flat=True))
        expected = due if user == finance_reviewer else {u: n for u, n in due.items() if u in below}
        assert seen == expected and expected


def test_a_new_role_shows_at_once_despite_the_compiled_statements_being_kept(filler):
    from django.contrib.auth import get_user_model

    from projects.models import Membership

    user = get_user_model().objects.create(username="newcomer", is_staff=True)
    assert todo_for(user).items == []
    Membership.objects.create(user=user, unit=Unit.objects.get(code="027001"), role="filler")
    forget_cached_memberships(user)
    assert todo_for(user).counts == todo_for(filler).counts == {"evaluation.start": 10}
    later = timezone.localdate() + dt.timedelta(days=1)
    assert todo_for(user, today=later).counts == {"evaluation.start": 10}


def test_review_deadline_follows_the_bureaus_days_and_the_work_calendar(
    filler, dept_reviewer, finance_admin
):
    from performance.services import schemes

    goal = submitted(SUBMITTABLE[0], filler)
    friday = timezone.make_aware(dt.datetime(2026, 11, 27, 10, 0))
    PerformanceGoal.objects.filter(pk=goal.pk).update(step_entered_at=friday)
    schemes.bureau_policy_save(
        bureau=Unit.objects.get(kind="finance"),
        data={"escalation_working_days": 2},
        actor=finance_admin,
    )
    schemes.calendar_day_save(data={"date": dt.date(2026, 11, 30)}, actor=finance_admin)

    (item,) = todo_for(dept_reviewer, kind="goal.review", today=dt.date(2026, 12, 2)).items

    assert item.waited_working_days == 2  # Tue 1, Wed 2 (Mon 30 is a listed holiday)
    assert item.due == dt.date(2026, 12, 2) and not item.overdue
