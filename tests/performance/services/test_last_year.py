"""从上年目标开始 and last year beside this year (issue 16 S2, P4): a 延续 project's draft goal
is copied from last year's approved goal of the project with the same code, and every view of
this year's indicators can show last year's target and actual of the same indicator."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from performance.choices import GoalScope, Status
from performance.demo import load_demo_monitoring
from performance.models import (
    Indicator,
    IndicatorEvaluation,
    MonitoringEntry,
    PerformanceGoal,
)
from performance.selectors.previous_year import last_year_for
from performance.services.goals import goal_create, goal_start_from_last_year
from projects import audit
from projects.choices import Continuity
from projects.models import Project, Unit
from projects.services import projects as project_services

pytestmark = pytest.mark.django_db


def _next_year(project: Project, *, continuity: str = Continuity.CONTINUING) -> Project:
    """This year's project with last year's code (the budget system keeps a project's code)."""
    return project_services.project_save(
        data={
            "code": project.code,
            "name": project.name,
            "unit": project.unit,
            "year": project.year + 1,
            "category": project.category,
            "continuity": continuity,
        }
    )


@pytest.fixture
def linked_2022_goal(demo) -> PerformanceGoal:
    """An approved 2022 goal of 027001 with indicators linked to the library and others not."""
    goals = PerformanceGoal.objects.filter(
        unit__code="027001", year=2022, scope=GoalScope.PROJECT, status=Status.APPROVED
    )
    for goal in goals.order_by("project__code"):
        links = [i.library_entry_id is not None for i in goal.indicators.all()]
        if any(links) and not all(links):
            return goal
    raise AssertionError("the demo has no 2022 goal with both linked and typed indicators")


def test_start_from_last_year_copies_approved_goal_as_draft(linked_2022_goal, filler):
    project = _next_year(linked_2022_goal.project)

    goal = goal_start_from_last_year(actor=filler, project=project)

    assert (goal.status, goal.year, goal.version, goal.project) == (
        Status.DRAFT,
        2023,
        1,
        project,
    )
    assert goal.overall_goal == linked_2022_goal.overall_goal
    fields = ("level1", "level2", "level3", "raw_value", "weight", "library_entry_id")
    copied = [tuple(getattr(i, f) for f in fields) for i in goal.indicators.all()]
    source = [tuple(getattr(i, f) for f in fields) for i in linked_2022_goal.indicators.all()]
    assert copied == source
    assert {i.library_code for i in goal.indicators.all() if i.library_entry_id} == {
        i.library_code for i in linked_2022_goal.indicators.all() if i.library_entry_id
    }
    row = audit.history(goal).get(action="create")
    assert row.changes["copied_from"] == [None, linked_2022_goal.pk]
    assert "从上年目标开始" in row.comment


def test_start_from_last_year_refuses_new_project_and_existing_goal(linked_2022_goal, filler):
    fresh = _next_year(linked_2022_goal.project, continuity=Continuity.NEW)
    with pytest.raises(ValidationError) as new:
        goal_start_from_last_year(actor=filler, project=fresh)
    assert new.value.message_dict == {"project": ["新增项目没有上年目标，请从指标库选取指标。"]}

    Project.objects.filter(pk=fresh.pk).update(continuity=Continuity.CONTINUING)
    fresh.refresh_from_db()
    goal_create(scope=GoalScope.PROJECT, year=2023, project=fresh, actor=filler)
    with pytest.raises(ValidationError) as twice:
        goal_start_from_last_year(actor=filler, project=fresh)
    assert twice.value.message_dict == {"year": ["该项目 2023 年已有项目绩效目标。"]}
    assert PerformanceGoal.objects.filter(project=fresh).count() == 1


def test_start_from_last_year_refuses_without_approved_goal_last_year(linked_2022_goal, filler):
    PerformanceGoal.objects.filter(pk=linked_2022_goal.pk).update(status=Status.RETURNED)
    project = _next_year(linked_2022_goal.project)

    with pytest.raises(ValidationError) as refused:
        goal_start_from_last_year(actor=filler, project=project)

    assert refused.value.message_dict == {
        "project": [
            f"上年（2022 年）编码为 {project.code} 的项目没有已批复的绩效目标，不能从上年目标开始。"
        ]
    }
    assert not PerformanceGoal.objects.filter(project=project).exists()


def test_start_from_last_year_refuses_outside_scope(linked_2022_goal, outsider):
    project = _next_year(linked_2022_goal.project)

    with pytest.raises(PermissionDenied):
        goal_start_from_last_year(actor=outsider, project=project)

    assert not PerformanceGoal.objects.filter(project=project).exists()


def test_start_from_last_year_for_the_unit_overall_goal(demo, filler):
    unit = Unit.objects.get(code="027001")
    source = PerformanceGoal.objects.get(
        unit=unit, year=2022, scope=GoalScope.UNIT, status=Status.APPROVED
    )

    goal = goal_start_from_last_year(actor=filler, unit=unit, year=2023)

    assert goal.scope == GoalScope.UNIT and goal.project is None
    assert goal.indicators.count() == source.indicators.count() > 0
    assert [t.name for t in goal.tasks.all()] == [t.name for t in source.tasks.all()]
    assert goal.budget_total is None  # budgets are this year's, not copied


def test_last_year_matched_by_library_code_then_name(linked_2022_goal, filler):
    goal = goal_start_from_last_year(actor=filler, project=_next_year(linked_2022_goal.project))
    linked = goal.indicators.filter(library_entry__isnull=False).first()
    typed = goal.indicators.filter(library_entry__isnull=True).first()
    # renamed this year: still the same library entry, so still the same indicator
    Indicator.objects.filter(pk=linked.pk).update(level3=f"{linked.level3}（本年）")
    before = {i.level3: i for i in linked_2022_goal.indicators.all()}

    rows = last_year_for(list(goal.indicators.select_related("goal__project")))

    assert rows[linked.pk].matched_by == "library"
    assert rows[linked.pk].indicator_id == before[linked.level3].pk
    assert rows[linked.pk].target_raw == before[linked.level3].raw_value
    assert rows[typed.pk].matched_by == "name"
    assert rows[typed.pk].indicator_id == before[typed.level3].pk
    assert rows[typed.pk].year == 2022


def test_a_new_project_shows_no_last_year(linked_2022_goal, filler):
    project = _next_year(linked_2022_goal.project, continuity=Continuity.NEW)
    goal = goal_create(
        scope=GoalScope.PROJECT,
        year=2023,
        project=project,
        actor=filler,
        indicators=[
            {name: getattr(i, name) for name in ("level1", "level2", "level3", "raw_value")}
            for i in linked_2022_goal.indicators.all()
        ],
    )

    assert last_year_for(list(goal.indicators.select_related("goal__project"))) == {}


@pytest.fixture
def goal_2024(demo, outsider):
    """305004's 2024 goal of a 延续 project started from 2023's (evaluated and monitored)."""
    source = PerformanceGoal.objects.filter(
        unit__code="305004", year=2023, scope=GoalScope.PROJECT, status=Status.APPROVED
    ).order_by("project__code")[0]
    return source, goal_start_from_last_year(actor=outsider, project=_next_year(source.project))


def test_last_year_actual_falls_back_to_latest_monitoring_with_its_month(goal_2024):
    source, goal = goal_2024
    load_demo_monitoring()  # 2023's year-end round (data to December)
    first, second = list(source.indicators.all())[:2]
    IndicatorEvaluation.objects.filter(indicator=first).update(actual_raw="", actual_value=None)
    IndicatorEvaluation.objects.filter(indicator=second).update(actual_raw="95%", actual_value=95)
    MonitoringEntry.objects.filter(indicator__in=[first, second]).update(value_raw="88%", value=88)
    this_year = {i.level3: i.pk for i in goal.indicators.all()}

    rows = last_year_for(list(goal.indicators.select_related("goal__project")))

    monitored, evaluated = rows[this_year[first.level3]], rows[this_year[second.level3]]
    assert MonitoringEntry.objects.filter(indicator__in=[first, second], value=88).count() == 2
    assert (monitored.actual_source, monitored.actual_month) == ("monitoring", 12)
    assert monitored.actual_value == Decimal(88)
    assert monitored.display == f"上年：{first.raw_value} / 1-12月 88%（监控）"
    assert (evaluated.actual_source, evaluated.actual_value) == ("evaluation", Decimal(95))
    assert evaluated.display == f"上年：{second.raw_value} / 95%（自评）"
    without = last_year_for(
        list(goal.indicators.select_related("goal__project")), with_monitoring=False
    )
    assert without[this_year[first.level3]].actual_source == ""


def test_last_year_takes_three_queries_whatever_the_number_of_indicators(
    goal_2024, linked_2022_goal, filler
):
    _, goal = goal_2024
    goal_start_from_last_year(actor=filler, project=_next_year(linked_2022_goal.project))
    many = list(
        Indicator.objects.filter(goal__year__in=[2022, 2023, 2024]).select_related("goal__project")
    )
    with CaptureQueriesContext(connection) as one_goal:
        last_year_for(list(goal.indicators.select_related("goal__project")))
    with CaptureQueriesContext(connection) as all_goals:
        found = last_year_for(many)
    assert len(found) > goal.indicators.count()
    assert len(one_goal.captured_queries) == len(all_goals.captured_queries) == 3
