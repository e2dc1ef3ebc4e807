"""The to-do list costs a stored, exact number of queries whatever its length.

For 1, 20 and 200 lines of every kind each persona gets, the API, the admin's home page, the
``/admin/todo/`` page and the header count are measured and compared with the numbers stored
here: a change that adds a query per line, or per request, fails until the number is changed
on purpose.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from performance.choices import GoalScope, Status, WindowKind
from performance.models import PerformanceGoal, ReportingWindow
from performance.selectors.todo import todo_count
from projects.models import Project, Unit
from projects.permissions import forget_cached_memberships

pytestmark = pytest.mark.django_db

YEAR = 2025
LENGTHS = (1, 20, 200)
# persona → the lines of each length it must get (kinds), to prove the length really varies.
KINDS = {
    "filler": ("goal.returned", "goal.draft"),
    "unit_reviewer": ("goal.returned", "goal.draft"),
    "dept_reviewer": ("goal.review",),
    "finance_reviewer": ("goal.review",),
    "superuser": (),
}
# Exact queries per request. API: the token (1), the user's memberships (1), the statement (1;
# none when no membership gives the user any line). Pages: session (1), user (1), memberships
# (1), the to-do statement (1: on the home page it also gives the header's count; elsewhere
# the header's COUNT is 1 more) and the admin's own chrome: permissions for the app list (2),
# the unread notifications (1), the home page's recent actions (1), and for the finance bureau
# the unit lookups of its app list (2 on the home page, 1 on /admin/todo/). Lines waiting at a
# review step add the bureaus' 审核设置 (1) and the 工作日历 (1), read once for the whole list
# for "waited N working days" and the review deadline (issue 15).
API = {
    "filler": 3,
    "unit_reviewer": 3,
    "dept_reviewer": 5,
    "finance_reviewer": 5,
    "superuser": 2,
}
HOME = {
    "filler": 8,
    "unit_reviewer": 8,
    "dept_reviewer": 10,
    "finance_reviewer": 12,
    "superuser": 5,
}
TODO_PAGE = {
    "filler": 8,
    "unit_reviewer": 8,
    "dept_reviewer": 10,
    "finance_reviewer": 11,
    "superuser": 4,
}
HEADER = 1  # todo_count alone, memberships already read


def many_lines(n: int) -> None:
    """``n`` goals of 027001 in each of 已提交, 主管部门审核通过, 已退回 and 草稿 (each on its
    own new project), and a goal-setting window of the year that has closed."""
    unit = Unit.objects.get(code="027001")
    states = (Status.SUBMITTED, Status.DEPT_APPROVED, Status.RETURNED, Status.DRAFT)
    projects = Project.objects.bulk_create(
        Project(
            code=f"TODO{YEAR}{s}{i:04d}", name=f"待办项目{i}", unit=unit, year=YEAR,
            category="operating",
        )
        for s in range(len(states))
        for i in range(n)
    )  # fmt: skip
    PerformanceGoal.objects.bulk_create(
        PerformanceGoal(
            scope=GoalScope.PROJECT,
            project=project,
            unit=unit,
            year=YEAR,
            status=states[index // n],
            last_comment="请修改" if states[index // n] == Status.RETURNED else "",
        )
        for index, project in enumerate(projects)
    )
    ReportingWindow.objects.create(
        kind=WindowKind.GOAL_SET,
        year=YEAR,
        title="目标申报",
        opens_on=dt.date(YEAR - 1, 10, 1),
        closes_on=dt.date(YEAR - 1, 11, 30),
    )


def measure(client, url: str, params: dict | None = None) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200, response.content[:300]
    return len(queries), response


@pytest.mark.parametrize("who", list(KINDS))
@pytest.mark.parametrize("n", LENGTHS)
def test_todo_query_count_is_stored_and_does_not_grow(who, n, request, api, login):
    user = request.getfixturevalue(who)
    many_lines(n)
    queries, response = measure(api(user), "/api/v1/todo/", {"page_size": 200})
    body = response.json()
    for kind in KINDS[who]:
        assert body["counts"][kind] == n, body["counts"]
    assert queries == API[who], f"API as {who} with {n} lines: {queries} queries"

    client = login(user)
    client.get("/admin/")  # the session's first request also stores the session
    queries, response = measure(client, "/admin/")
    assert response.content.decode().count("data-todo-key") >= min(n, 10) * len(KINDS[who])
    assert queries == HOME[who], f"home as {who} with {n} lines: {queries} queries"

    queries, response = measure(client, "/admin/todo/")
    assert queries == TODO_PAGE[who], f"/admin/todo/ as {who} with {n} lines: {queries}"

    forget_cached_memberships(user)
    todo_count(user)  # memberships read and cached
    with CaptureQueriesContext(connection) as header:
        total = todo_count(user)
    assert total >= n * len(KINDS[who])
    assert len(header) == (HEADER if KINDS[who] else 0)
