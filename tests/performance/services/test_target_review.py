"""智能审核: what the published demo targets are told, and each rule on goals built to trip it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from performance.choices import GoalScope, Status
from performance.models import PerformanceGoal
from performance.services import goals as goal_services
from performance.services import workflow
from performance.services.target_review import quality_review, review_findings
from projects.audit import history
from projects.choices import FundSource
from projects.services import projects as project_services

from ...support.goal_helpers import GOOD_INDICATORS, new_goal, new_project, state

pytestmark = pytest.mark.django_db

E, W = "error", "warning"
QUAL = "qualitative_without_standard"
DUP = "duplicate_indicator"
OVERALL = (W, "overall_goal_missing", None)  # the flat import table carries no 年度总体目标

# Every finding of each published 027001 target except "二级指标未填写", which the published
# project table triggers on every one of its 72 indicators (checked separately below).
EXPECTED_027001 = {
    "410395220000000007669": [  # 社保、医保经办经费
        OVERALL,
        (W, QUAL, "社保信息管理系统正常运行"),
        (W, QUAL, "顺利开展到龄人员人脸识别认证工作"),
        (W, QUAL, "顺利开展到龄人员人脸识别认证工作,提升群众满意"),
        (W, DUP, "顺利开展到龄人员人脸识别认证工作,提升群众满意"),
        (W, DUP, "提升群众参保满意度"),
        # issue 18: 提升群众满意 is a 满意度 measure filed under 效益
        (W, "misfiled_indicator", "顺利开展到龄人员人脸识别认证工作,提升群众满意"),
    ],
    "410395220000000007670": [  # 城乡居民基本医疗保险区级配套资金
        (E, "multiple_values", "顺利开展城乡居民医疗保险报销拨付工作"),  # 顺利开展 明显
        OVERALL,
        (W, QUAL, "费用拨付及时性"),
        (W, DUP, "参保人员满意度"),  # beside 提升参保人员满意度
    ],
    "410395220000000007671": [  # 城乡居民基本养老保险区级配套资金
        (E, "multiple_values", "顺利开展城乡居民养老保险发放工作"),  # 持续稳定顺利开展 明显
        OVERALL,
        (W, QUAL, "待遇拨付及时性"),
        # issue 18: near-identical to 符合待遇领取条件的城乡老年居民满意度 (ratio 0.875)
        (W, DUP, "符合待遇领取条件的城乡居民满"),
    ],
    "410395220000000007677": [  # 机关事业单位基本养老保险
        OVERALL,
        (W, QUAL, "待遇拨付及时性"),
        (W, QUAL, "顺利开展机关事业单位退休人员待遇"),
        (W, DUP, "参保人员满意度"),
    ],
    "410395220000000007680": [  # 城乡医疗救助
        OVERALL,
        (W, QUAL, "困难群众医疗费用负担减轻程度"),
    ],
    "410395220000000007682": [  # 困难群众大病补充医疗保险
        (E, "multiple_values", "顺利开展困难群众代缴大病补充医疗保险工作"),  # 顺利开展 明显
        OVERALL,
        (W, QUAL, "代缴大病补充医疗保险及时性"),
    ],
    "410395220000000008236": [  # 运转经费
        (E, "multiple_values", "公岗及劳务派遣人员满意度"),  # ≥95% 100%
        OVERALL,
        (W, QUAL, "公岗和派遣人员工作质量"),
        (W, QUAL, "资金支付及时性"),
        (W, QUAL, "提高各科室工作效率"),
        (W, QUAL, "各科室工作效益"),
    ],
    "410395220000000018835": [  # 中央财政医疗救助补助资金
        OVERALL,
        (W, QUAL, "医疗救助制度体系完善情况"),
        (W, "relative_unresolved", "县域内定点医疗机构就医“一站式”结算覆盖地区"),  # 不低于上年
        (W, QUAL, "医疗救助对象医疗待遇保障情况"),
    ],
    "410395220000000018839": [  # 省财政医疗救助补助资金
        OVERALL,
        (W, "relative_unresolved", "县域内定点医疗机构就医“一站式”结算覆盖地区"),
        (W, QUAL, "医疗救助对象医疗待遇保障情况"),
    ],
    "410395220000000018848": [  # 中央专项彩票公益金支持城乡医疗救助资金
        OVERALL,
        (W, "relative_unresolved", "县域内定点医疗机构就医“一站式”结算覆盖地区"),
        (W, QUAL, "医疗救助对象医疗待遇保障情况"),
    ],
}
# The unit-overall target (投入管理/产出/效益/满意度): no 成本 demanded, every qualitative value
# but one comes with its 指标值说明; that one is a sentence rather than a target.
EXPECTED_027001_UNIT = [
    (W, "qualitative_sentence", "社会效益"),
    (W, QUAL, "社会效益"),
    (W, "level3_generic", "社会效益"),  # issue 18: a category name, not a measure
]


def _summary(goal: PerformanceGoal, findings: list[dict]) -> list[tuple]:
    names = dict(goal.indicators.values_list("pk", "level3"))
    return [
        (f["severity"], f["code"], names.get(f["indicator_id"]))
        for f in findings
        if f["code"] != "level2_missing"
    ]


@pytest.mark.parametrize("code", sorted(EXPECTED_027001))
def test_published_027001_project_targets_get_the_expected_findings(demo, code):
    goal = PerformanceGoal.objects.get(project__code=code, year=2022)
    findings = review_findings(goal)
    assert _summary(goal, findings) == EXPECTED_027001[code]
    # The published project table leaves 二级 blank everywhere: one warning per indicator.
    blank_level2 = [f["indicator_id"] for f in findings if f["code"] == "level2_missing"]
    assert sorted(blank_level2) == sorted(goal.indicators.values_list("pk", flat=True))
    assert all(f["severity"] == W for f in findings if f["code"] == "level2_missing")


def test_published_027001_unit_overall_target_gets_the_expected_findings(demo):
    goal = PerformanceGoal.objects.get(scope=GoalScope.UNIT, unit__code="027001", year=2022)
    assert _summary(goal, review_findings(goal)) == EXPECTED_027001_UNIT


def test_four_published_targets_could_not_be_submitted_as_published(demo):
    blocked = {
        code
        for code in EXPECTED_027001
        if any(
            f["severity"] == E
            for f in review_findings(PerformanceGoal.objects.get(project__code=code, year=2022))
        )
    }
    assert blocked == {
        "410395220000000007670",
        "410395220000000007671",
        "410395220000000007682",
        "410395220000000008236",
    }


def test_findings_carry_code_severity_message_indicator_and_field(demo):
    goal = PerformanceGoal.objects.get(project__code="410395220000000008236", year=2022)
    error = review_findings(goal)[0]
    indicator = goal.indicators.get(level3="公岗及劳务派遣人员满意度")
    assert error == {
        "code": "multiple_values",
        "severity": "error",
        "message": error["message"],
        "indicator_id": indicator.pk,
        "field": "raw_value",
    }
    assert error["message"].startswith(
        "「公岗及劳务派遣人员满意度」：指标值「≥95% 100%」中有多个值"
    )


def test_a_complete_goal_has_no_findings(filler):
    goal = new_goal(filler)
    assert review_findings(goal) == []


def _codes(goal) -> list[tuple[str, str]]:
    return [(f["severity"], f["code"]) for f in review_findings(goal)]


def test_missing_output_and_benefit_are_errors_missing_satisfaction_a_warning(filler):
    goal = new_goal(
        filler,
        indicators=[i for i in GOOD_INDICATORS if i["level1"] in ("成本指标", "满意度指标")],
    )
    codes = _codes(goal)
    assert (E, "output_missing") in codes and (E, "benefit_missing") in codes
    goal = new_goal(
        filler,
        project=new_project(filler, code="410395230000000900002"),
        indicators=[i for i in GOOD_INDICATORS if i["level1"] != "满意度指标"],
    )
    assert _codes(goal) == [(W, "satisfaction_missing")]


def test_cost_is_required_only_where_the_units_scheme_says_so(filler, outsider):
    no_cost = [i for i in GOOD_INDICATORS if i["level1"] != "成本指标"]
    # 027001 is scored with the national scheme (成本 inside 产出, not required) ...
    assert _codes(new_goal(filler, indicators=no_cost)) == []
    # ... 305004 with Henan 2023, which gives 成本 its own 10 points and requires it.
    project = new_project(outsider, unit_code="305004", year=2024, code="3050042024001")
    assert (E, "cost_missing") in _codes(new_goal(outsider, project=project, indicators=no_cost))


def test_cost_as_level2_under_output_counts_in_the_old_framework(outsider):
    indicators = [
        {**i, "level1": "产出指标", "level2": "成本指标"} if i["level1"] == "成本指标" else i
        for i in GOOD_INDICATORS
    ]
    project = new_project(outsider, unit_code="305004", year=2024, code="3050042024002")
    assert "cost_missing" not in {
        c for _, c in _codes(new_goal(outsider, project=project, indicators=indicators))
    }


def test_an_unreadable_target_value_is_an_error(filler):
    indicators = [
        *GOOD_INDICATORS,
        {
            "level1": "产出指标",
            "level2": "质量指标",
            "level3": "验收合格率",
            "raw_value": "≥95% 100%",
        },
    ]
    assert _codes(new_goal(filler, indicators=indicators)) == [(E, "multiple_values")]


def test_weights_are_checked_only_once_set_and_must_add_up(filler):
    goal = new_goal(filler)
    indicators = list(goal.indicators.order_by("order"))
    goal_services.indicator_save(
        goal=goal, indicator=indicators[0], data={"weight": Decimal("10")}, actor=filler
    )
    assert _codes(goal) == [(E, "weights_incomplete")]
    # national scheme: 产出 50 (成本 counted inside it), 效益 30, 满意度 10
    for indicator, weight in zip(indicators, ["10", "20", "20", "30", "10"], strict=True):
        goal_services.indicator_save(
            goal=goal, indicator=indicator, data={"weight": Decimal(weight)}, actor=filler
        )
    assert _codes(goal) == []
    goal_services.indicator_save(
        goal=goal, indicator=indicators[3], data={"weight": Decimal("25")}, actor=filler
    )
    findings = review_findings(goal)
    assert [(f["severity"], f["code"]) for f in findings] == [(E, "weights_mismatch")]
    assert "效益指标下各指标分值合计 25 分，应为 30 分" in findings[0]["message"]


def test_fewer_than_three_indicators_is_a_warning(filler):
    indicators = [i for i in GOOD_INDICATORS if i["level1"] in ("产出指标", "效益指标")][1:]
    assert _codes(new_goal(filler, indicators=indicators)) == [
        (W, "satisfaction_missing"),
        (W, "too_few_indicators"),
    ]


def test_qualitative_value_needs_a_grading_standard(filler):
    indicators = [
        {**i, "explanation": ""} if i["level1"] == "效益指标" else i for i in GOOD_INDICATORS
    ]
    findings = review_findings(new_goal(filler, indicators=indicators))
    assert [(f["code"], f["field"]) for f in findings] == [(QUAL, "explanation")]
    assert "「明显提升」是定性表述，未填写指标值说明" in findings[0]["message"]


def test_cost_ceiling_that_differs_from_the_adjusted_budget_is_a_warning(filler):
    goal = new_goal(filler)
    project_services.project_set_budget(
        project=goal.project,
        fund_source=FundSource.GENERAL_PUBLIC,
        amount=Decimal("20"),
        adjusted_amount=Decimal("18.5"),
        actor=filler,
    )
    findings = review_findings(goal)
    assert [(f["severity"], f["code"]) for f in findings] == [(W, "cost_budget_mismatch")]
    assert findings[0]["message"] == (
        "成本指标「预算资金」的金额上限 20 万元与项目调整后预算 18.5 万元不一致，请核对。"
    )


def test_duplicate_and_blank_or_misspelt_level2_are_warnings(filler):
    indicators = [
        *GOOD_INDICATORS,
        {"level1": "产出指标", "level2": "数量", "level3": "培训人次", "raw_value": "≥300人次"},
        {"level1": "产出指标", "level2": "", "level3": "培训教材", "raw_value": "≥300册"},
    ]
    codes = _codes(new_goal(filler, indicators=indicators))
    assert (W, DUP) in codes
    assert (W, "level2_normalised") in codes  # 数量 → 数量指标
    assert (W, "level2_missing") in codes
    assert all(severity == W for severity, _ in codes)


def test_unit_overall_goal_is_not_asked_for_cost_and_weights_must_total_100(filler):
    goal = PerformanceGoal.objects.get(scope=GoalScope.UNIT, unit__code="027001", year=2022)
    assert "cost_missing" not in {c for _, c in _codes(goal)}
    adjusted = workflow.goal_adjust(goal=goal, actor=filler, reason="细化分值")
    first = adjusted.indicators.order_by("order").first()
    for indicator in adjusted.indicators.all():
        goal_services.indicator_save(
            goal=adjusted, indicator=indicator, data={"weight": Decimal("4")}, actor=filler
        )
    assert (E, "weights_total") in _codes(adjusted)  # 24 × 4 = 96
    goal_services.indicator_save(
        goal=adjusted, indicator=first, data={"weight": Decimal("8")}, actor=filler
    )
    assert (E, "weights_total") not in _codes(adjusted)


def test_quality_review_stores_the_findings_and_audits_the_run(demo, filler):
    goal = PerformanceGoal.objects.get(project__code="410395220000000008236", year=2022)
    PerformanceGoal.objects.filter(pk=goal.pk).update(quality_findings=[])
    before = history(goal).count()
    findings = quality_review(goal=goal, actor=filler)
    goal.refresh_from_db()
    assert goal.quality_findings == findings
    assert goal.quality_checked_at is not None
    assert goal.error_count == 1 and goal.warning_count == len(findings) - 1
    entry = history(goal).first()
    assert history(goal).count() == before + 1
    assert (entry.action, entry.actor, entry.transition) == ("compute", filler, "quality_review")
    assert entry.comment == f"智能审核：1 个错误，{len(findings) - 1} 个提示"


def test_quality_review_without_save_writes_nothing(demo, filler):
    goal = PerformanceGoal.objects.get(project__code="410395220000000008236", year=2022)
    PerformanceGoal.objects.filter(pk=goal.pk).update(quality_findings=[])
    before = state(goal)
    assert quality_review(goal=goal, actor=filler, save=False)
    assert state(goal) == before
    assert PerformanceGoal.objects.get(pk=goal.pk).quality_findings == []


def test_quality_review_of_a_foreign_goal_is_refused(demo, outsider):
    goal = PerformanceGoal.objects.get(project__code="410395220000000008236", year=2022)
    with pytest.raises(PermissionDenied):
        quality_review(goal=goal, actor=outsider)


def test_errors_block_submission_and_change_nothing(filler):
    indicators = [
        *GOOD_INDICATORS,
        {
            "level1": "产出指标",
            "level2": "质量指标",
            "level3": "验收合格率",
            "raw_value": "顺利开展 明显",
        },
    ]
    goal = new_goal(filler, indicators=indicators)
    before = state(goal)
    with pytest.raises(ValidationError) as caught:
        workflow.submit(obj=goal, actor=filler)
    assert caught.value.code == "quality_errors"
    messages = caught.value.message_dict["quality_findings"]
    assert messages[0] == "智能审核发现 1 个错误，修改后才能提交。"
    assert "「验收合格率」：指标值「顺利开展 明显」中有多个值" in messages[1]
    assert state(goal) == before
    assert goal.status == Status.DRAFT


def test_warnings_do_not_block_submission(filler):
    indicators = [i for i in GOOD_INDICATORS if i["level1"] != "满意度指标"]
    goal = workflow.submit(obj=new_goal(filler, indicators=indicators), actor=filler)
    assert goal.status == Status.SUBMITTED
    assert [f["code"] for f in goal.quality_findings] == ["satisfaction_missing"]


def test_the_demo_loader_stores_the_findings_of_the_published_targets(demo):
    goal = PerformanceGoal.objects.get(project__code="410395220000000008236", year=2022)
    assert goal.quality_findings == review_findings(goal)
    assert (goal.error_count, goal.status) == (1, Status.APPROVED)
