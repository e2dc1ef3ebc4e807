"""不低于上年: last year's actual is found by one rule, whether the target is resolved when the
goal is set (indicator save) or when it is scored (evaluation compute, the yearly recompute).

The case that used to split them: last year's table lists the same 三级 name twice, under two
二级 — goal-setting took whichever row the database returned first, scoring the highest pk.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from performance.choices import GoalScope, Status
from performance.models import Indicator, PerformanceGoal, SelfEvaluation
from performance.selectors.previous_year import previous_year_value, previous_year_values
from performance.services.evaluation import evaluation_start, evaluation_update
from performance.services.goals import apply_parsed_target, goal_create, indicator_save
from performance.services.recompute import recompute_year
from projects.models import Unit
from projects.services import projects as project_services

pytestmark = pytest.mark.django_db

CODE = "410395220000000099001"
NAME = "培训人次"


def _project(year: int):
    return project_services.project_save(
        data={
            "code": CODE,
            "name": "业务培训",
            "unit": Unit.objects.get(code="027001"),
            "year": year,
            "category": "operating",
        }
    )


def _approve(goal: PerformanceGoal) -> None:
    PerformanceGoal.objects.filter(pk=goal.pk).update(status=Status.APPROVED)


def _fill(evaluation: SelfEvaluation, actor, actuals: list[str]) -> SelfEvaluation:
    """Actual values of the evaluation's indicators, in the table's order."""
    ids = evaluation.scores.order_by("indicator__order", "indicator_id").values_list(
        "indicator_id", flat=True
    )
    rows = [{"indicator": pk, "actual_raw": raw} for pk, raw in zip(ids, actuals, strict=True)]
    return evaluation_update(evaluation=evaluation, actor=actor, data={}, scores=rows)


@pytest.fixture
def last_year(filler):
    """2022's self-evaluation, not yet filled: the same 三级 name twice in its table, under
    数量指标 first and 质量指标 second."""
    project = _project(2022)
    goal = goal_create(
        scope=GoalScope.PROJECT,
        year=2022,
        project=project,
        indicators=[
            {"level1": "产出指标", "level2": "数量指标", "level3": NAME, "raw_value": "≥100人"},
            {"level1": "产出指标", "level2": "质量指标", "level3": NAME, "raw_value": "≥100人"},
        ],
    )
    _approve(goal)
    return evaluation_start(actor=filler, year=2022, project=project)


def _relative(level2: str, order: int) -> dict:
    return {
        "level1": "产出指标",
        "level2": level2,
        "level3": NAME,
        "raw_value": "不低于上年",
        "weight": 25,
        "order": order,
    }


@pytest.mark.parametrize(
    ("level2", "expected_target", "expected_score"),
    [
        # the row under the same 一级/二级, though second in last year's table: 25 × 130 / 150
        ("质量指标", Decimal("150"), Decimal("21.67")),
        # no row under the same 二级: the first in last year's table (130 ≥ 120: full marks)
        ("时效指标", Decimal("120"), Decimal("25.00")),
    ],
)
def test_goal_setting_and_scoring_resolve_last_years_value_to_the_same_row(
    last_year, filler, level2, expected_target, expected_score
):
    project = _project(2023)
    # Two identical indicators, set while last year's actuals were still missing.
    goal = goal_create(
        scope=GoalScope.PROJECT,
        year=2023,
        project=project,
        indicators=[_relative(level2, 1), _relative(level2, 2)],
    )
    set_again, left_to_scoring = goal.indicators.order_by("order")
    assert set_again.target_value is None and left_to_scoring.target_value is None

    _fill(last_year, filler, ["120人", "150人"])
    # Goal-setting: the first is edited and resolves its target now …
    indicator_save(
        goal=goal, indicator=set_again, data={"explanation": "以上年实际完成值为准"}, actor=filler
    )
    assert Indicator.objects.get(pk=set_again.pk).target_value == expected_target
    assert Indicator.objects.get(pk=left_to_scoring.pk).target_value is None
    # … scoring: the second is resolved when this year's evaluation is computed.
    _approve(goal)
    evaluation = _fill(
        evaluation_start(actor=filler, year=2023, project=project), filler, ["130人", "130人"]
    )
    scores = list(
        evaluation.scores.order_by("indicator__order").values_list("final_score", flat=True)
    )
    assert scores == [expected_score, expected_score]

    counts = recompute_year(year=2023)  # the set-based path (light rows) agrees
    assert counts["errors"] == [] and counts["scores_changed"] == 0
    assert list(
        evaluation.scores.order_by("indicator__order").values_list("final_score", flat=True)
    ) == [expected_score, expected_score]


def test_an_unfilled_matching_row_leaves_the_target_unresolved(last_year, filler):
    """The row under the same 二级 is last year's indicator even when its actual is missing: its
    namesake under another 二级 is a different indicator, not a stand-in."""
    _fill(last_year, filler, ["120人", ""])
    goal = goal_create(
        scope=GoalScope.PROJECT,
        year=2023,
        project=_project(2023),
        indicators=[_relative("质量指标", 1), _relative("数量指标", 2)],
    )
    quality, quantity = goal.indicators.order_by("order")
    assert quality.target_value is None
    assert any(f["code"] == "relative_unresolved" for f in quality.findings)
    assert quantity.target_value == Decimal("120")


def test_last_years_values_of_many_indicators_take_one_query(
    last_year, filler, django_assert_num_queries
):
    _fill(last_year, filler, ["120人", "150人"])
    goal = goal_create(
        scope=GoalScope.PROJECT,
        year=2023,
        project=_project(2023),
        indicators=[_relative("质量指标", 1), _relative("数量指标", 2), _relative("时效指标", 3)],
    )
    # unresolved as scoring finds them (e.g. set before last year's evaluation was filled)
    Indicator.objects.filter(goal=goal).update(target_value=None)
    indicators = list(Indicator.objects.filter(goal=goal).select_related("goal__project"))
    with django_assert_num_queries(1):
        values = previous_year_values(indicators)
    by_level2 = {i.level2: values.get(i.pk) for i in indicators}
    assert by_level2 == {
        "质量指标": Decimal("150"),
        "数量指标": Decimal("120"),
        "时效指标": Decimal("120"),
    }


def test_the_unit_overall_goal_reads_the_unit_overall_evaluation_only(last_year, filler):
    _fill(last_year, filler, ["120人", "150人"])
    unit = Unit.objects.get(code="027001")
    indicator = Indicator(
        goal=PerformanceGoal(scope=GoalScope.UNIT, year=2023, unit=unit),
        level1="产出指标",
        level2="数量指标",
        level3=NAME,
        raw_value="不低于上年",
        kind="relative",
        operator=">=",
    )
    assert previous_year_value(indicator) is None  # 2022's 培训人次 belongs to a project


def test_the_same_library_code_matches_before_the_name(last_year, filler):
    """Issue 16: an indicator picked from the library is last year's indicator of the same entry
    code (any version) even when 三级 reads differently this year; the code outranks a row of
    the same name."""
    _fill(last_year, filler, ["120人", "150人"])
    second = last_year.scores.order_by("indicator__order").last().indicator_id
    Indicator.objects.filter(pk=second).update(library_code="027-0001")
    goal = goal_create(scope=GoalScope.PROJECT, year=2023, project=_project(2023))
    renamed = Indicator(
        goal=goal,
        level1="产出指标",
        level2="数量指标",
        level3="培训人次（本年）",
        raw_value="不低于上年",
        library_code="027-0001",
    )
    named = Indicator(
        goal=goal,
        level1="产出指标",
        level2="数量指标",
        level3=NAME,
        raw_value="不低于上年",
        library_code="027-0001",
    )
    for indicator in (renamed, named):
        apply_parsed_target(indicator)

    assert previous_year_value(renamed) == Decimal("150")
    assert previous_year_value(named) == Decimal("150")  # not the first row of that name (120)
