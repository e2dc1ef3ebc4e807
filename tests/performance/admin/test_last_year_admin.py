"""从上年目标开始 in the admin, and last year's target and actual as the second line under each
indicator of a 延续 project's goal, monitoring report and self-evaluation."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from performance.choices import GoalScope, Status
from performance.models import PerformanceGoal
from performance.services import evaluation as evaluation_services
from projects.choices import Continuity
from projects.models import Project

pytestmark = pytest.mark.django_db

START = "admin:performance_performancegoal_start_last_year"


def _approved_2022() -> PerformanceGoal:
    return (
        PerformanceGoal.objects.filter(
            unit__code="027001", year=2022, scope=GoalScope.PROJECT, status=Status.APPROVED
        )
        .order_by("project__code")
        .first()
    )


def _next_year(project: Project, continuity: str = Continuity.CONTINUING) -> Project:
    return Project.objects.create(
        code=project.code,
        name=project.name,
        unit=project.unit,
        year=project.year + 1,
        category=project.category,
        continuity=continuity,
    )


def test_start_page_copies_last_years_goal_and_opens_the_draft(login, filler):
    source = _approved_2022()
    project = _next_year(source.project)
    client = login(filler)
    add = client.get(reverse("admin:performance_performancegoal_add"))
    assert reverse(START) in add.content.decode()

    response = client.post(reverse(START), {"project": project.pk})

    goal = PerformanceGoal.objects.get(project=project)
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "admin:performance_performancegoal_change", args=[goal.pk]
    )
    assert goal.status == Status.DRAFT
    assert goal.indicators.count() == source.indicators.count()
    page = client.get(response["Location"]).content.decode()
    first = source.indicators.order_by("order", "id").first()
    assert f"上年：{first.raw_value} / 上年尚无实际值" in page
    assert 'class="second-line"' in page


def test_start_page_shows_the_refusal_for_a_new_project(login, filler):
    project = _next_year(_approved_2022().project, continuity=Continuity.NEW)

    response = login(filler).post(reverse(START), {"project": project.pk})

    assert response.status_code == 200
    # a 新增 project is not offered at all: the form refuses the choice
    assert list(response.context["form"].errors) == ["project"]
    assert not PerformanceGoal.objects.filter(project=project).exists()


def test_start_page_refuses_unit_without_approved_goal_last_year(login, filler):
    unit = _approved_2022().unit

    response = login(filler).post(reverse(START), {"unit": unit.pk, "year": 2030})

    assert response.status_code == 200
    assert "上年（2029 年）该单位整体没有已批复的绩效目标，不能从上年目标开始。" in (
        response.content.decode()
    )
    assert not PerformanceGoal.objects.filter(unit=unit, year=2030).exists()


def test_start_page_is_refused_to_reviewers(login, finance_reviewer):
    assert login(finance_reviewer).get(reverse(START)).status_code == 403


def test_evaluation_page_shows_last_year_beside_each_indicator_in_fixed_queries(
    login, filler, finance_reviewer
):
    source = _approved_2022()
    project = _next_year(source.project)
    client = login(filler)
    client.post(reverse(START), {"project": project.pk})
    goal = PerformanceGoal.objects.get(project=project)
    PerformanceGoal.objects.filter(pk=goal.pk).update(status=Status.APPROVED)
    evaluation = evaluation_services.evaluation_start(actor=filler, year=2023, project=project)
    url = reverse("admin:performance_selfevaluation_change", args=[evaluation.pk])

    with CaptureQueriesContext(connection) as page:
        body = client.get(url).content.decode()

    for indicator in source.indicators.all():
        assert f"上年：{indicator.raw_value} / 上年尚无实际值" in body
    queries = [q["sql"] for q in page.captured_queries]
    last_year_reads = [q for q in queries if '"performance_indicator"' in q and "2022" in q]
    assert len(last_year_reads) == 1  # last year's indicators: one query for the whole page
