"""数据看板: figures per year and scope, the charts and tables on the page, fixed query counts."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from performance.selectors.dashboard import dashboard_figures, elapsed_months
from projects.choices import ProjectCategory, UnitKind
from projects.models import Unit
from projects.services import projects as project_services
from projects.services import units as unit_services
from tests.performance.services.test_recompute import year_2022  # noqa: F401 - a fixture
from tests.support.goal_helpers import new_goal, new_project

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("performance_dashboard")
TODAY = dt.date(2026, 11, 24)
UNIT_027001 = "027001 伊滨经开区（示范区）社会保障事务服务中心"


def counts(rows) -> dict[str, int]:
    return {row["label"]: row["count"] for row in rows}


def test_the_admin_index_links_to_the_dashboard_and_the_printable_tables(login, filler):
    page = login(filler).get(reverse("admin:index")).content.decode()
    assert f'href="{DASHBOARD}"' in page
    assert f'href="{reverse("performance_print")}"' in page
    assert "绩效管理" in page  # the registered models are still listed


def test_time_progress_counts_the_months_of_the_year_elapsed():
    assert elapsed_months(2022, TODAY) == 12
    assert elapsed_months(2026, dt.date(2026, 7, 15)) == 7
    assert elapsed_months(2027, TODAY) == 0


def test_2023_figures_of_305004_are_the_published_ones(finance_reviewer):
    figures = dashboard_figures(user=finance_reviewer, year=2023, today=TODAY)

    assert figures["time_progress"] == Decimal("100.00")
    assert counts(figures["goals"]["by_status"])["财政批复"] == 5
    scores = figures["scores"]
    assert counts(scores["grades"]) == {"优": 4, "良": 1, "中": 0, "差": 0}
    assert counts(scores["bands"]) == {"<60": 0, "60–<70": 0, "70–<80": 0, "80–<90": 1, "≥90": 4}
    # (99.35 + 100 + 96.91 + 93.57 + 80) / 5 = 93.966
    assert scores["average"] == Decimal("93.97")
    total = figures["execution"]["total"]
    assert (total["budget"], total["executed"]) == (Decimal("1434.16"), Decimal("530.26"))
    assert total["rate"] == Decimal("36.97")
    assert total["light"] == "red"  # 36.97 % of the way at 100 % of the year
    assert figures["overdue"] == []  # 305004's evaluations were all handed in
    assert figures["lights"] == []


def test_2022_shows_lights_per_round_and_the_overdue_unit(finance_reviewer, year_2022):  # noqa: F811
    figures = dashboard_figures(user=finance_reviewer, year=2022, today=TODAY)

    (round_,) = figures["lights"]
    assert round_["label"] == "1-7月"
    assert round_["total"] == 10 == sum(c["count"] for c in round_["counts"]) + round_["unlit"]
    overdue = {(row["unit"], row["kind"]): row for row in figures["overdue"]}
    assert set(overdue) == {(UNIT_027001, "绩效监控"), (UNIT_027001, "绩效自评")}
    evaluation = overdue[(UNIT_027001, "绩效自评")]
    assert evaluation["closes_on"] == dt.date(2023, 4, 30)
    assert evaluation["days_overdue"] == (TODAY - dt.date(2023, 4, 30)).days
    assert evaluation["count"] == 10 and len(evaluation["items"]) == 5
    assert evaluation["more"] == 5
    assert figures["scores"]["scored"] == 10


def test_the_overdue_list_follows_the_reminder_rule(finance_reviewer, filler):
    """Before the deadline nothing is overdue; the day after, the unit is listed."""
    before = dashboard_figures(user=finance_reviewer, year=2022, today=dt.date(2023, 4, 30))
    after = dashboard_figures(user=finance_reviewer, year=2022, today=dt.date(2023, 5, 1))
    assert before["overdue"] == []
    assert [(r["unit"], r["days_overdue"]) for r in after["overdue"]] == [(UNIT_027001, 1)]


def test_a_unit_filler_sees_only_the_own_unit(filler):
    figures = dashboard_figures(user=filler, year=2023, today=TODAY)
    assert figures["scores"]["scored"] == 0  # 305004's evaluations are not in scope
    assert figures["execution"]["units"] == []
    assert figures["goals"]["total"] == 0


def test_the_unit_filter_narrows_the_scope_to_a_department(login, finance_reviewer):
    client = login(finance_reviewer)
    page = client.get(DASHBOARD, {"year": "2022", "unit": "305"})
    assert page.status_code == 200
    assert page.context["figures"]["goals"]["total"] == 0
    page = client.get(DASHBOARD, {"year": "2022", "unit": "027"})
    assert page.context["figures"]["goals"]["total"] == 11


def test_another_units_filter_is_a_404(login, filler):
    response = login(filler).get(DASHBOARD, {"unit": "305004"})
    assert response.status_code == 404


def test_the_dashboard_defaults_to_the_latest_year_in_scope(login, filler, outsider):
    assert login(filler).get(DASHBOARD).context["figures"]["year"] == 2022
    assert login(outsider).get(DASHBOARD).context["figures"]["year"] == 2023


def test_the_page_renders_every_chart_as_svg_with_its_figures_and_the_same_tables(
    login, finance_reviewer
):
    page = login(finance_reviewer).get(DASHBOARD, {"year": "2023"}).content.decode()

    svgs = re.findall(r'<svg [^>]*id="(chart-[a-z]+)"', page)
    assert svgs == [
        "chart-goals",
        "chart-execution",
        "chart-lights",
        "chart-scores",
        "chart-grades",
        "chart-reviews",
        "chart-overdue",
    ]
    assert page.count('role="img"') == 7
    grades = page[page.index('id="chart-grades"') :]
    grades = grades[: grades.index("</svg>")]
    assert 'class="bar-value">4 个</text>' in grades and 'class="bar-value">1 个</text>' in grades
    assert "时间进度 100%" in page
    assert "36.97% 红灯" in page  # on the execution bar
    # the tables carry the same figures
    assert '<td class="num">1434.16</td>' in page and '<td class="num">36.97%</td>' in page
    assert '<td class="num">93.97</td>' in page
    assert "没有逾期未报的单位。" in page
    assert "本年度尚无绩效监控表。" in page
    assert "本年度尚无财政复核结果。" in page
    assert "暂无数据" in page  # the empty lights chart says so


def test_the_dashboard_needs_an_admin_login(client):
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def _more_units(actor) -> None:
    """Three more units under 027 with a goal, a budget and an execution each."""
    department = Unit.objects.get(code="027")
    for index in range(3):
        unit = unit_services.unit_upsert(
            code=f"02709{index}", name=f"测试单位{index}", kind=UnitKind.UNIT, parent=department
        )
        project = new_project(actor, unit_code=unit.code, year=2022, code=f"4103952200009{index}")
        project_services.execution_add(
            project=project, date=dt.date(2022, 3, 1), amount=Decimal("1.5"), actor=actor
        )
        new_goal(actor, project=project)


def test_the_figures_take_a_fixed_number_of_queries(superuser):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            dashboard_figures(user=superuser, year=2022, today=TODAY)
        return len(captured.captured_queries)

    before = queries()
    _more_units(superuser)
    assert queries() == before
    # 3 performance_summary calls (unit, department, total: 9–10 each), scope, years,
    # scheme lookup (2), lights, score bands, windows, and one or two per overdue window
    assert before <= 38


def test_the_page_takes_a_fixed_number_of_queries(login, superuser, django_assert_num_queries):
    client = login(superuser)
    client.get(DASHBOARD, {"year": "2022"})  # warm the session and the user's caches

    with CaptureQueriesContext(connection) as first:
        client.get(DASHBOARD, {"year": "2022"})
    _more_units(superuser)
    with django_assert_num_queries(len(first.captured_queries)):
        response = client.get(DASHBOARD, {"year": "2022"})
    assert len(response.context["figures"]["execution"]["units"]) == 4
    assert response.context["figures"]["execution"]["chart_by"] == "units"


def test_with_projects_in_two_departments_the_execution_chart_compares_departments(superuser):
    """With projects in two departments the execution chart compares departments."""
    project_services.project_save(
        actor=superuser,
        data={
            "code": "305004202299001",
            "name": "测试项目",
            "unit": Unit.objects.get(code="305004"),
            "year": 2022,
            "category": ProjectCategory.OPERATING,
            "period_start": dt.date(2022, 1, 1),
            "period_end": dt.date(2022, 12, 31),
        },
    )
    figures = dashboard_figures(user=superuser, year=2022, today=TODAY)
    assert figures["execution"]["chart_by"] == "departments"
    assert [row["label"][:3] for row in figures["execution"]["departments"]] == ["027", "305"]
