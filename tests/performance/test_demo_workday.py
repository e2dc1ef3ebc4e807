"""The demo's working day: every reviewer and the filler start from something in 待办."""

from __future__ import annotations

import datetime as dt

import pytest

from performance.demo_workday import RETURN_COMMENT, load_demo_workday
from performance.models import PerformanceGoal
from performance.selectors.todo import todo_for

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 12, 7)


def test_each_role_finds_its_work_in_todo(filler, dept_reviewer, finance_reviewer):
    load_demo_workday(today=MONDAY)
    review = todo_for(dept_reviewer, kind="goal.review", today=MONDAY).items
    assert [(i.title, i.waited_working_days, i.overdue) for i in review] == [
        ("2022年 机关事业单位基本养老保险 绩效目标 v2", 7, True)
    ]
    (finance_line,) = todo_for(finance_reviewer, kind="goal.review", today=MONDAY).items
    assert finance_line.waited_working_days == 2 and not finance_line.overdue
    assert finance_line.status == "dept_approved"
    mine = todo_for(filler, today=MONDAY)
    (returned,) = [i for i in mine.items if i.kind == "goal.returned"]
    assert returned.note == RETURN_COMMENT and returned.actor == "027 主管部门审核员"
    (draft,) = [i for i in mine.items if i.kind == "goal.draft"]
    assert draft.due == MONDAY + dt.timedelta(days=10) and not draft.overdue


def test_loading_the_workday_twice_changes_nothing(demo):
    load_demo_workday(today=MONDAY)
    before = sorted(PerformanceGoal.objects.values_list("pk", "status", "lock_version"))
    load_demo_workday(today=MONDAY)
    assert sorted(PerformanceGoal.objects.values_list("pk", "status", "lock_version")) == before
