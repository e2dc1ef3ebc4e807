"""Self-evaluation through the services: started from the approved goal with the unit's scheme,
filled, scored by the engine, overridden with a reason, graded, and refused when input is bad."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from performance.choices import GoalScope, Grade, NotificationKind, Status
from performance.models import Indicator, Notification, PerformanceGoal, SelfEvaluation
from performance.services import workflow
from performance.services.evaluation import (
    evaluation_compute,
    evaluation_start,
    evaluation_update,
)
from performance.services.goals import goal_create
from projects import audit
from projects.models import Project, Unit
from projects.services import projects as project_services
from projects.services.locking import StaleObjectError

pytestmark = pytest.mark.django_db

PROJECT_CODE = "410395220000000007669"  # 社保、医保经办经费, 14.48万元, 10 indicators
WEIGHTS = {
    "预算资金": 10,
    "宣传资料": 8,
    "办公用品": 8,
    "智慧社保网络身份认证软件": 8,
    "专用光纤": 8,
    "社保信息管理系统正常运行": 8,
    "顺利开展到龄人员人脸识别认证工作": 15,
    "顺利开展到龄人员人脸识别认证工作,提升群众满意": 15,
    "群众参保满意度": 5,
    "提升群众参保满意度": 5,
}
ALL_MET = {
    "预算资金": {"actual_raw": "12万元"},
    "宣传资料": {"actual_raw": "1批"},
    "办公用品": {"actual_raw": "3批"},
    "智慧社保网络身份认证软件": {"actual_raw": "1个"},
    "专用光纤": {"actual_raw": "15根"},
    "社保信息管理系统正常运行": {"band": "达成"},
    "顺利开展到龄人员人脸识别认证工作": {"band": "达成"},
    "顺利开展到龄人员人脸识别认证工作,提升群众满意": {"band": "达成"},
    "群众参保满意度": {"actual_raw": "95%"},
    "提升群众参保满意度": {"actual_raw": "90%"},
}


@pytest.fixture
def project(demo):
    """The published 2022 targets carry no weights: give them the national scheme's split."""
    project = Project.objects.get(code=PROJECT_CODE)
    for level3, weight in WEIGHTS.items():
        Indicator.objects.filter(goal__project=project, level3=level3).update(weight=weight)
    return project


@pytest.fixture
def spent(project):
    project_services.execution_add(
        project=project, date=dt.date(2022, 12, 20), amount=Decimal("12")
    )
    return project


@pytest.fixture
def evaluation(project, filler):
    return evaluation_start(actor=filler, year=2022, project=project)


def _rows(evaluation, values):
    ids = dict(evaluation.scores.values_list("indicator__level3", "indicator_id"))
    return [{"indicator": ids[level3], **row} for level3, row in values.items()]


def _fill(evaluation, actor, values, **data):
    return evaluation_update(
        evaluation=evaluation, actor=actor, data=data, scores=_rows(evaluation, values)
    )


def _score(evaluation, level3):
    return evaluation.scores.get(indicator__level3=level3)


def _fresh(evaluation):
    return SelfEvaluation.objects.get(pk=evaluation.pk)


# --- start ---------------------------------------------------------------------------------


def test_start_copies_the_approved_goal_and_the_units_scheme(evaluation, project):
    assert evaluation.scope == GoalScope.PROJECT
    assert evaluation.goal == PerformanceGoal.objects.get(project=project, status=Status.APPROVED)
    assert evaluation.scheme.code == "national"  # assigned at the finance bureau
    assert evaluation.scores.count() == 10
    assert evaluation.budget == Decimal("14.48") and evaluation.executed == 0
    assert evaluation.grade == Grade.POOR  # nothing filled in yet…
    assert not Notification.objects.filter(kind=NotificationKind.POOR_GRADE).exists()  # …quietly
    assert audit.history(evaluation).filter(action="create").exists()


def test_starting_twice_returns_the_same_evaluation(evaluation, filler, project):
    assert evaluation_start(actor=filler, year=2022, project=project).pk == evaluation.pk
    assert SelfEvaluation.objects.filter(project=project).count() == 1


def test_a_project_without_an_approved_goal_cannot_be_evaluated(filler):
    unit = Unit.objects.get(code="027001")
    project = project_services.project_save(
        data={"code": "NEW-1", "name": "新项目", "unit": unit, "year": 2022, "category": "special"},
        actor=filler,
    )
    with pytest.raises(ValidationError) as error:
        evaluation_start(actor=filler, year=2022, project=project)
    assert error.value.code == "no_approved_goal"
    assert "没有已批复的绩效目标" in error.value.message_dict["goal"][0]
    assert not SelfEvaluation.objects.filter(project=project).exists()


def test_another_unit_cannot_start_an_evaluation(project, outsider):
    with pytest.raises(PermissionDenied):
        evaluation_start(actor=outsider, year=2022, project=project)


def test_unit_overall_evaluation_totals_the_units_projects(filler, spent):
    unit = Unit.objects.get(code="027001")
    evaluation = evaluation_start(actor=filler, year=2022, unit=unit)
    assert evaluation.scope == GoalScope.UNIT and evaluation.project is None
    assert evaluation.scores.count() == 24
    budgets = sum(
        (p.budgets.get().adjusted_amount for p in Project.objects.filter(unit=unit, year=2022)),
        Decimal(0),
    )
    assert evaluation.budget == budgets
    assert evaluation.executed == Decimal("12")


# --- scoring -------------------------------------------------------------------------------


def test_all_targets_met_scores_full_marks_without_deviation(evaluation, filler, spent):
    evaluation = _fill(evaluation, filler, ALL_MET)
    assert evaluation.execution_rate == Decimal("82.87")
    assert evaluation.total_score == Decimal("98.29")  # 8.29 + 90
    assert evaluation.grade == Grade.EXCELLENT
    assert evaluation.has_deviation is False
    assert evaluation.category_rates == {
        "benefit": "100.00",
        "output": "100.00",
        "satisfaction": "100.00",
    }


def test_the_units_own_deviation_flag_survives_recomputation(evaluation, filler, spent):
    evaluation = _fill(evaluation, filler, ALL_MET, has_deviation=True)
    assert evaluation.has_deviation is True
    assert evaluation_compute(evaluation=evaluation).has_deviation is True
    evaluation = evaluation_update(
        evaluation=evaluation, actor=filler, data={"has_deviation": False}, scores=[]
    )
    assert evaluation.has_deviation is False


def test_a_shortfall_marks_a_deviation_and_scores_pro_rata(evaluation, filler, spent):
    evaluation = _fill(
        evaluation,
        filler,
        {**ALL_MET, "专用光纤": {"actual_raw": "12根", "deviation_reason": "供应商延期"}},
    )
    fibre = _score(evaluation, "专用光纤")
    assert (fibre.actual_value, fibre.final_score) == (Decimal("12"), Decimal("6.40"))
    assert fibre.deviation_reason == "供应商延期"
    assert evaluation.has_deviation is True
    assert evaluation.total_score == Decimal("96.69")


def test_nothing_spent_earns_no_cost_marks_but_is_no_deviation(evaluation, filler):
    evaluation = _fill(evaluation, filler, {**ALL_MET, "预算资金": {"actual_raw": "0"}})
    cost = _score(evaluation, "预算资金")
    assert cost.final_score == 0
    assert "项目未发生支出，成本指标不得分" in cost.notes
    assert evaluation.has_deviation is False
    assert evaluation.total_score == Decimal("80.00")  # no execution, no cost marks


def test_far_over_target_is_flagged(evaluation, filler, spent):
    evaluation = _fill(evaluation, filler, {"宣传资料": {"actual_raw": "5批"}})
    row = _score(evaluation, "宣传资料")
    assert row.over_achieved is True and row.final_score == Decimal("8.00")
    assert any("目标值可能设置偏低" in note for note in row.notes)


def test_override_keeps_both_values_and_removing_it_restores_the_computed_score(
    evaluation, filler, spent
):
    evaluation = _fill(
        evaluation,
        filler,
        {"专用光纤": {"actual_raw": "12根", "override_score": "7.5", "override_reason": "已补齐"}},
    )
    row = _score(evaluation, "专用光纤")
    assert (row.computed_score, row.override_score, row.final_score) == (
        Decimal("6.40"),
        Decimal("7.5"),
        Decimal("7.50"),
    )
    assert row.override_reason == "已补齐"
    evaluation = _fill(evaluation, filler, {"专用光纤": {"override_score": None}})
    row = _score(evaluation, "专用光纤")
    assert (row.override_score, row.override_reason, row.final_score) == (None, "", Decimal("6.40"))
    history = audit.history(evaluation).filter(action="update").first()
    assert any(key.endswith(".override_score") for key in history.changes)


def test_qualitative_band_score_is_the_evaluators_choice_inside_the_band(evaluation, filler):
    evaluation = _fill(
        evaluation,
        filler,
        {"顺利开展到龄人员人脸识别认证工作": {"band": "部分达成", "band_score": "10"}},
    )
    assert _score(evaluation, "顺利开展到龄人员人脸识别认证工作").final_score == Decimal("10.00")


def test_relative_target_is_resolved_against_last_years_actual(evaluation, filler, spent):
    unit = Unit.objects.get(code="027001")
    project_2023 = project_services.project_save(
        data={
            "code": PROJECT_CODE,
            "name": "社保、医保经办经费",
            "unit": unit,
            "year": 2023,
            "category": "operating",
        }
    )
    goal = goal_create(
        scope=GoalScope.PROJECT,
        year=2023,
        project=project_2023,
        indicators=[
            {"level1": "产出指标", "level3": "宣传资料", "raw_value": "不低于上年", "weight": 50}
        ],
    )
    PerformanceGoal.objects.filter(pk=goal.pk).update(status=Status.APPROVED)
    assert Indicator.objects.get(goal=goal).target_value is None  # 2022 not evaluated yet

    _fill(evaluation, filler, {"宣传资料": {"actual_raw": "3批"}})
    later = evaluation_start(actor=filler, year=2023, project=project_2023)
    later = evaluation_update(
        evaluation=later,
        actor=filler,
        data={},
        scores=[{"indicator": goal.indicators.get().pk, "actual_raw": "2批"}],
    )
    row = later.scores.get()
    assert row.final_score == Decimal("33.33")  # 50 × 2 / 3
    assert later.has_deviation is True


# --- refusals ------------------------------------------------------------------------------


def test_bad_input_is_refused_field_by_field_and_changes_nothing(evaluation, filler):
    before = _fresh(evaluation)
    with pytest.raises(ValidationError) as error:
        _fill(
            evaluation,
            filler,
            {
                "宣传资料": {"actual_raw": "一批多"},
                "专用光纤": {"override_score": "9", "override_reason": "超出分值"},
                "办公用品": {"override_score": "5"},
                "社保信息管理系统正常运行": {"band": "部分达成", "band_score": "8"},
                "群众参保满意度": {"band_score": "很多"},
            },
            measures="不应保存",
        )
    errors = error.value.message_dict
    assert set(errors) == {
        "scores[0].actual_raw",
        "scores[1].override_score",
        "scores[2].override_reason",
        "scores[3].band_score",
        "scores[4].band_score",
    }
    assert errors["scores[0].actual_raw"][0].startswith("「宣传资料」")
    assert "0 至 8" in errors["scores[1].override_score"][0]
    assert "调整理由" in errors["scores[2].override_reason"][0]
    assert "部分达成" in errors["scores[3].band_score"][0]
    assert "不是有效的数字" in errors["scores[4].band_score"][0]
    after = _fresh(evaluation)
    assert (after.lock_version, after.measures) == (before.lock_version, before.measures)
    assert not after.scores.exclude(actual_raw="").exists()
    assert not audit.history(evaluation).filter(action="update").exists()


def test_a_stale_write_is_refused(evaluation, filler, unit_reviewer):
    version = evaluation.lock_version
    evaluation_update(evaluation=evaluation, actor=unit_reviewer, data={"measures": "A"}, scores=[])
    with pytest.raises(StaleObjectError) as error:
        evaluation_update(
            evaluation=evaluation,
            actor=filler,
            data={"measures": "B"},
            scores=[],
            expected_version=version,
        )
    assert error.value.code == "stale"
    assert _fresh(evaluation).measures == "A"


def test_submitted_evaluation_is_read_only_and_review_rules_hold(
    evaluation, filler, dept_reviewer, finance_reviewer, spent
):
    _fill(evaluation, filler, ALL_MET)
    with pytest.raises(ValidationError) as error:
        workflow.approve(obj=evaluation, actor=dept_reviewer)
    assert error.value.code == "invalid_transition"
    workflow.submit(obj=evaluation, actor=filler)
    with pytest.raises(ValidationError) as error:
        _fill(evaluation, filler, {"宣传资料": {"actual_raw": "2批"}})
    assert error.value.code == "not_editable"
    assert "不能修改" in error.value.message_dict["status"][0]
    with pytest.raises(PermissionDenied):
        workflow.approve(obj=evaluation, actor=finance_reviewer)  # the department reviews first
    with pytest.raises(ValidationError) as error:
        workflow.return_(obj=evaluation, actor=dept_reviewer, comment=" ")
    assert error.value.code == "comment_required"
    assert _fresh(evaluation).status == Status.SUBMITTED
    workflow.return_(obj=evaluation, actor=dept_reviewer, comment="请补充偏差分析")
    _fill(evaluation, filler, {}, deviation_analysis="无偏差")
    workflow.submit(obj=_fresh(evaluation), actor=filler)
    workflow.approve(obj=_fresh(evaluation), actor=dept_reviewer)
    workflow.approve(obj=_fresh(evaluation), actor=finance_reviewer)
    assert _fresh(evaluation).status == Status.APPROVED


def test_a_poor_grade_notifies_once_when_the_evaluation_is_filled_in(evaluation, filler):
    low = {level3: {"actual_raw": "0"} for level3, row in ALL_MET.items() if "actual_raw" in row}
    low |= {level3: {"band": "未达成"} for level3, row in ALL_MET.items() if "band" in row}
    evaluation = _fill(evaluation, filler, low)
    assert evaluation.grade == Grade.POOR
    evaluation_compute(evaluation=evaluation)
    sent = Notification.objects.filter(kind=NotificationKind.POOR_GRADE)
    assert sorted(n.recipient.username for n in sent) == ["dept027", "filler027", "reviewer027"]
    assert {n.occasion_key for n in sent} == {f"poor:{evaluation.pk}"}


# --- selectors -----------------------------------------------------------------------------


def test_scoped_querysets_show_only_the_users_units(filler, outsider_dept_reviewer, evaluation):
    from performance.selectors.scoping import evaluations_for, goals_for

    assert {e.unit.code for e in evaluations_for(filler)} == {"027001"}
    assert {e.unit.code for e in evaluations_for(outsider_dept_reviewer)} == {"305004"}
    assert {g.unit.code for g in goals_for(filler)} == {"027001"}


@pytest.mark.parametrize("persona", ["finance_reviewer", "filler"])
def test_scoped_querysets_read_nested_rows_in_a_fixed_number_of_queries(
    request, django_assert_num_queries, persona, evaluation
):
    from performance.selectors.scoping import evaluations_for, goals_for

    user = request.getfixturevalue(persona)
    list(goals_for(user))  # warm the per-user membership cache
    with django_assert_num_queries(3):  # goals, indicators, tasks
        rows = [
            (
                goal.unit.parent,
                goal.project,
                [(i.level3, i.raw_value) for i in goal.indicators.all()],
                [t.name for t in goal.tasks.all()],
            )
            for goal in goals_for(user)
        ]
    assert rows
    with django_assert_num_queries(2):  # evaluations, scores with indicators
        rows = [
            (
                evaluation.scheme.name,
                evaluation.unit.parent,
                evaluation.project,
                [(s.indicator.level3, s.final_score) for s in evaluation.scores.all()],
            )
            for evaluation in evaluations_for(user)
        ]
    assert rows
