"""待办 in the admin: the home page starts with it, ``/admin/todo/`` lists it all, the header counts."""

from __future__ import annotations

import re

import pytest

from performance.models import PerformanceGoal
from performance.services import workflow

pytestmark = pytest.mark.django_db

HOME, TODO = "/admin/", "/admin/todo/"


def submitted(code: str, actor) -> PerformanceGoal:
    goal = PerformanceGoal.objects.get(project__code=code, status="approved")
    new = workflow.goal_adjust(goal=goal, actor=actor, reason="预算调整")
    return workflow.submit(obj=new, actor=actor)


def todo_keys(html: str) -> list[str]:
    return re.findall(r'data-todo-key="([^"]+)"', html)


def test_the_home_page_starts_with_the_fillers_todo(login, filler):
    html = login(filler).get(HOME).content.decode()
    assert html.index('id="todo"') < html.index('id="dashboard-links"')
    assert "待办（共 10 项）" in html
    assert "待填报 · 10" in html
    keys = todo_keys(html)
    assert len(keys) == 10 and all(k.startswith("evaluation.start:") for k in keys)
    assert "/admin/performance/selfevaluation/add/?project=" in html
    assert "开始填报 →" in html and "已逾期" in html
    # The line's link opens the start form with its project and year already chosen.
    link = re.search(r'href="(/admin/performance/selfevaluation/add/[^"]+)"', html).group(1)
    project = keys[0].split(":")[1]
    form = login(filler).get(link.replace("&amp;", "&")).content.decode()
    assert f'<option value="{project}" selected>' in form and 'value="2022"' in form


def test_the_department_reviewer_starts_from_the_goal_at_his_step(login, filler, dept_reviewer):
    goal = submitted("410395220000000007669", filler)
    html = login(dept_reviewer).get(HOME).content.decode()
    assert todo_keys(html)[0] == f"goal.review:{goal.pk}"
    assert "待我审核 · 1" in html and "已等待 0 个工作日" in html
    assert f"/admin/performance/performancegoal/{goal.pk}/change/#workflow-panel" in html
    assert "逾期单位 · 1" in html and "2022年绩效自评：10 项未完成" in html
    # The heading counts both lines and says which one is his to act on.
    assert "待办（共 2 项，其中待您办理 1 项）" in html
    assert "共 2 项，其中待您办理 1 项。" in login(dept_reviewer).get(TODO).content.decode()


def test_the_finance_reviewer_sees_the_goal_once_the_department_approved_it(
    login, filler, dept_reviewer, finance_reviewer
):
    goal = submitted("410395220000000007669", filler)
    client = login(finance_reviewer)
    assert f"goal.review:{goal.pk}" not in todo_keys(client.get(HOME).content.decode())
    workflow.approve(obj=goal, actor=dept_reviewer)
    html = client.get(HOME).content.decode()
    assert todo_keys(html)[0] == f"goal.review:{goal.pk}"
    assert "主管部门审核通过" in html


def test_a_done_item_leaves_the_home_page_at_once(login, filler, dept_reviewer):
    goal = submitted("410395220000000007669", filler)
    client = login(dept_reviewer)
    assert f"goal.review:{goal.pk}" in todo_keys(client.get(HOME).content.decode())
    workflow.approve(obj=goal, actor=dept_reviewer)
    assert f"goal.review:{goal.pk}" not in todo_keys(client.get(HOME).content.decode())


def test_a_returned_goal_shows_the_comment_and_who_returned_it(login, filler, dept_reviewer):
    goal = submitted("410395220000000007669", filler)
    workflow.return_(obj=goal, actor=dept_reviewer, comment="请补充满意度调查方式。")
    html = login(filler).get(HOME).content.decode()
    assert todo_keys(html)[0] == f"goal.returned:{goal.pk}"
    assert "“请补充满意度调查方式。”</span> — 027 主管部门审核员" in html
    assert "修改并提交 →" in html


def test_header_shows_the_todo_count(login, filler, dept_reviewer):
    html = login(filler).get("/admin/performance/performancegoal/").content.decode()
    assert re.search(r'id="todo-count">待办（<strong>10</strong>）</a>', html)
    submitted("410395220000000007669", filler)
    html = login(dept_reviewer).get("/admin/performance/performancegoal/").content.decode()
    # The overdue unit is for reading only: the count is the one goal to review.
    assert re.search(r'id="todo-count">待办（<strong>1</strong>）</a>', html)


def test_an_admin_without_work_sees_an_empty_todo(login, finance_admin):
    html = login(finance_admin).get(HOME).content.decode()
    assert "暂无待办事项。" in html and todo_keys(html) == []
    assert 'id="todo-count">待办</a>' in html


def test_the_todo_page_lists_everything_and_filters_by_group_and_unit(
    login, filler, finance_reviewer
):
    client = login(finance_reviewer)
    response = client.get(TODO)
    assert response.status_code == 200
    html = response.content.decode()
    assert "逾期单位 · 1" in html and "027001" in html
    assert todo_keys(client.get(TODO, {"group": "review"}).content.decode()) == []
    assert len(todo_keys(login(filler).get(TODO, {"unit": "027001"}).content.decode())) == 10


def test_the_todo_page_refuses_a_foreign_unit_like_a_missing_one(login, filler):
    client = login(filler)
    for code in ("305004", "999999"):
        html = client.get(TODO, {"unit": code}).content.decode()
        assert f"单位“{code}”不存在或不在您的管辖范围内。" in html
        assert todo_keys(html) == []
    html = client.get(TODO, {"kind": "nonsense"}).content.decode()
    assert "未知的待办类型" in html and todo_keys(html) == []


def test_the_todo_page_needs_a_login(client):
    response = client.get(TODO)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"page": "²"}, "页码："),
        ({"page": "0"}, "页码："),
        ({"group": "x" * 500}, "未知的待办分组"),
        ({"unit": "9" * 50}, "单位编码："),
    ],
)
def test_garbage_filters_are_named_not_a_500(login, filler, params, message):
    response = login(filler).get(TODO, params)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html and todo_keys(html) == []


def test_a_page_past_the_end_shows_the_last_page(login, filler):
    html = login(filler).get(TODO, {"page": "99"}).content.decode()
    assert len(todo_keys(html)) == 10


def test_a_nul_in_the_todo_filters_is_a_400_page(login, filler):
    response = login(filler).get(TODO + "?unit=%00")
    assert response.status_code == 400
