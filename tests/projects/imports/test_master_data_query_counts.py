"""The master-data planners read a fixed number of queries, whatever the number of rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from performance.services.imports import import_run

pytestmark = pytest.mark.django_db


def queries(kind: str, data: str, actor) -> int:
    with CaptureQueriesContext(connection) as captured:
        result = import_run(
            kind=kind, actor=actor, file=data.encode(), filename=f"{kind}.csv", dry_run=True
        )
    assert result.ok, result.errors
    return len(captured)


def units_file(count: int) -> str:
    rows = [f"Q{i:04d},查询测试{i},预算单位,{'027' if i % 2 else '027001'}" for i in range(count)]
    return "单位编码,单位名称,单位类型,上级单位编码\n" + "\n".join(rows) + "\n"


def people_file(count: int) -> str:
    rows = [f"q{i:04d},查询{i},q{i:04d}@example.org,027001,填报人" for i in range(count)]
    return "用户名,姓名,电子邮箱,单位编码,角色\n" + "\n".join(rows) + "\n"


@pytest.mark.parametrize("build,kind", [(units_file, "units"), (people_file, "people")])
def test_master_data_planner_queries_do_not_grow_with_rows(build, kind, dept_admin):
    queries(kind, build(1), dept_admin)  # the actor's memberships are read once, then cached
    assert queries(kind, build(10), dept_admin) == queries(kind, build(100), dept_admin)
