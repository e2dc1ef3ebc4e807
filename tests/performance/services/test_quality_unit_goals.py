"""智能审核 knows the 整体 framework: required 投入管理 items, misfiled wording, near-identical
rows and category names used as 三级 (issue 18)."""

from __future__ import annotations

from difflib import SequenceMatcher

import pytest
from django.core.exceptions import ValidationError

from performance.choices import GoalScope
from performance.selectors.schemes import scheme_for_unit
from performance.services import goals as goal_services
from performance.services import workflow
from performance.services.target_review import review_findings
from performance.targets import wording_category
from projects.models import Unit

from ...support.goal_helpers import GOOD_INDICATORS, new_goal

pytestmark = pytest.mark.django_db

BUDGET_RATE = {"level1": "投入管理指标", "level2": "预算和财务管理", "level3": "预算执行率"}
UNIT_INDICATORS = (
    {**BUDGET_RATE, "raw_value": "100%"},
    {"level1": "产出指标", "level2": "数量指标", "level3": "参保人数", "raw_value": "≥25万人"},
    {"level1": "产出指标", "level2": "质量指标", "level3": "待遇发放准确率", "raw_value": "100%"},
    {"level1": "效益指标", "level2": "社会效益", "level3": "参保覆盖率", "raw_value": "≥95%"},
    {"level1": "满意度指标", "level2": "满意度", "level3": "服务对象满意度", "raw_value": "≥90%"},
)


def _unit_goal(filler, indicators, year=2024):
    return goal_services.goal_create(
        scope=GoalScope.UNIT,
        year=year,
        unit=Unit.objects.get(code="027001"),
        actor=filler,
        data={"overall_goal": "做好社保经办"},
        indicators=indicators,
    )


def _codes(findings, code):
    return [f for f in findings if f["code"] == code]


def test_unit_goal_without_required_input_indicator_is_error(filler):
    missing = _unit_goal(filler, UNIT_INDICATORS[1:])
    found = _codes(review_findings(missing), "input_indicator_missing")
    assert [(f["severity"], f["indicator_id"]) for f in found] == [("error", None)]
    assert "预算执行率" in found[0]["message"] and "评分方案" in found[0]["message"]
    with pytest.raises(ValidationError):
        workflow.submit(obj=missing, actor=filler)  # an error blocks submission

    complete = _unit_goal(filler, UNIT_INDICATORS, year=2025)
    assert _codes(review_findings(complete), "input_indicator_missing") == []


def test_required_input_indicator_matched_by_alias_and_scheme_may_add_more(filler):
    aliased = [{**UNIT_INDICATORS[0], "level3": "部门预算执行率"}, *UNIT_INDICATORS[1:]]
    goal = _unit_goal(filler, aliased)
    assert _codes(review_findings(goal), "input_indicator_missing") == []

    scheme = scheme_for_unit(goal.unit, year=goal.year)
    scheme.unit_required_indicators = [
        *scheme.unit_required_indicators,
        {"name": "结转结余率", "aliases": []},
    ]
    scheme.save(update_fields=["unit_required_indicators"])
    found = _codes(review_findings(goal), "input_indicator_missing")
    assert len(found) == 1 and "结转结余率" in found[0]["message"]


def test_project_goals_are_not_asked_for_input_indicators(filler):
    goal = new_goal(filler)
    assert _codes(review_findings(goal), "input_indicator_missing") == []


def test_satisfaction_wording_under_benefit_is_flagged_with_row(filler):
    indicators = [
        *UNIT_INDICATORS[:3],
        {"level1": "效益指标", "level2": "社会效益", "level3": "提升群众满意", "raw_value": "明显"},
        UNIT_INDICATORS[4],
    ]
    goal = _unit_goal(filler, indicators)
    found = _codes(review_findings(goal), "misfiled_indicator")
    assert len(found) == 1
    assert (found[0]["severity"], found[0]["field"]) == ("warning", "level1")
    assert found[0]["indicator_id"] == goal.indicators.get(level3="提升群众满意").pk
    assert "第 4 条指标「提升群众满意」" in found[0]["message"]
    # 服务对象满意度 under 满意度 is where it belongs
    assert all("服务对象满意度" not in f["message"] for f in found)


def test_cost_under_timeliness_is_flagged(filler):
    indicators = [
        *GOOD_INDICATORS,
        {"level1": "产出指标", "level2": "时效指标", "level3": "培训经费", "raw_value": "≤2万元"},
    ]
    goal = new_goal(filler, indicators=indicators)
    found = _codes(review_findings(goal), "misfiled_indicator")
    assert [f["indicator_id"] for f in found] == [goal.indicators.get(level3="培训经费").pk]


def test_cost_under_pre_2021_output_cost_level2_is_not_flagged(filler):
    indicators = [
        *GOOD_INDICATORS[1:],
        {"level1": "产出指标", "level2": "成本指标", "level3": "培训经费", "raw_value": "≤2万元"},
        {
            "level1": "成本指标",
            "level2": "经济成本指标",
            "level3": "预算资金",
            "raw_value": "≤20万元",
        },
    ]
    goal = new_goal(filler, indicators=indicators)
    assert _codes(review_findings(goal), "misfiled_indicator") == []


def test_timeliness_wording_under_satisfaction_is_flagged_and_words_are_read():
    assert wording_category("待遇拨付及时性") == "timeliness"
    assert wording_category("费用拨付及时性") == "timeliness"  # not a cost: ends in 及时性
    assert wording_category("困难群众医疗费用负担减轻程度") is None  # a benefit, not a cost
    assert wording_category("公用经费") == "cost"
    assert wording_category("服务对象满意度") == "satisfaction"
    assert wording_category("参保人数") is None


def test_near_identical_names_flagged_only_above_threshold(filler):
    near = ("符合待遇领取条件的城乡老年居民满意度", "符合待遇领取条件的城乡居民满")
    below = ("城乡居民养老保险代缴费率", "城乡居民养老保险代缴人数")
    assert SequenceMatcher(None, *near).ratio() >= 0.85 > SequenceMatcher(None, *below).ratio()
    indicators = [
        *UNIT_INDICATORS,
        {"level1": "满意度指标", "level2": "满意度", "level3": near[0], "raw_value": "≥95%"},
        {"level1": "满意度指标", "level2": "满意度", "level3": near[1], "raw_value": "≥95%"},
        {"level1": "产出指标", "level2": "数量指标", "level3": below[0], "raw_value": "100%"},
        {"level1": "产出指标", "level2": "数量指标", "level3": below[1], "raw_value": "≥100人"},
    ]
    goal = _unit_goal(filler, indicators)
    flagged = [
        goal.indicators.get(pk=f["indicator_id"]).level3
        for f in _codes(review_findings(goal), "duplicate_indicator")
    ]
    assert flagged == [near[1]]


def test_category_name_as_level3_is_flagged(filler):
    indicators = [
        *UNIT_INDICATORS,
        {"level1": "效益指标", "level2": "社会效益", "level3": "社会效益", "raw_value": "明显"},
    ]
    goal = _unit_goal(filler, indicators)
    found = _codes(review_findings(goal), "level3_generic")
    assert len(found) == 1 and "第 6 条指标「社会效益」" in found[0]["message"]


@pytest.mark.parametrize(
    "value",
    ["预算执行率", [{"name": ""}], [{"name": "预算执行率", "aliases": "部门预算执行率"}], [1]],
)
def test_required_indicators_setting_must_be_a_list_of_names(demo, value):
    scheme = scheme_for_unit(Unit.objects.get(code="027001"), year=2024)
    scheme.unit_required_indicators = value
    with pytest.raises(ValidationError) as refused:
        scheme.full_clean()
    assert "unit_required_indicators" in refused.value.message_dict
