"""Scores, rates, grades and lights from plain values and a scheme (domain.md §5–§6)."""

from dataclasses import replace
from decimal import Decimal

import pytest

from performance.scoring import (
    BAND_LABELS,
    CATEGORIES,
    COST_VARIANT_SCHEME,
    GRADE_LABELS,
    HENAN_2023_SCHEME,
    LIGHT_LABELS,
    NATIONAL_SCHEME,
    Grade,
    IndicatorScore,
    Light,
    QualitativeBand,
    Rounding,
    Scheme,
    band_range,
    budget_light,
    execution_rate,
    execution_score,
    grade_for,
    indicator_light,
    indicator_score,
    project_result,
    round_to,
    summary_text,
    time_progress,
    unit_summary,
    weights_check,
    worst_light,
)

D = Decimal
TRUNCATING = replace(
    NATIONAL_SCHEME,
    rate_rounding=Rounding.TRUNCATE,
    score_rounding=Rounding.TRUNCATE,
    total_rounding=Rounding.TRUNCATE,
)


def score(**kwargs):
    kwargs.setdefault("scheme", NATIONAL_SCHEME)
    kwargs.setdefault("weight", D(10))
    return indicator_score(**kwargs)


# --- rounding ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "places", "half_up", "truncate"),
    [
        (D(21) * 100 / D(22), 2, "95.45", "95.45"),  # 95.4545…: next digit < 5, both agree
        (D(2) * 100 / D(3), 2, "66.67", "66.66"),  # 66.666…: they differ
        (D("0.125"), 2, "0.13", "0.12"),  # exactly half
        (D("93.465"), 2, "93.47", "93.46"),
        (D("93.4649999"), 2, "93.46", "93.46"),
        (D("93.464"), 2, "93.46", "93.46"),
        (D("9.346"), 2, "9.35", "9.34"),  # 劳务派遣工资's execution score
        (D("99.995"), 2, "100.00", "99.99"),
        (D("-0.125"), 2, "-0.13", "-0.12"),  # away from zero / toward zero
        (D("7.5"), 0, "8", "7"),
        (D("7.4"), 0, "7", "7"),
        (D("12"), 2, "12.00", "12.00"),
    ],
)
def test_half_up_and_truncate(value, places, half_up, truncate):
    assert round_to(value, places, Rounding.HALF_UP) == D(half_up)
    assert round_to(value, places, Rounding.TRUNCATE) == D(truncate)
    assert str(round_to(value, places, "half_up")) == half_up
    assert str(round_to(value, places, "truncate")) == truncate


def test_rounding_mode_must_be_known():
    with pytest.raises(ValueError):
        round_to(D(1), 2, "bankers")


def test_rounding_keeps_large_values_exact():
    assert round_to(D("123456789012345678901234567890.125"), 2, "half_up") == D(
        "123456789012345678901234567890.13"
    )


# --- schemes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", [NATIONAL_SCHEME, COST_VARIANT_SCHEME, HENAN_2023_SCHEME])
def test_schemes_add_up_to_100(scheme):
    assert scheme.total_weight == D(100)


def test_national_scheme_counts_cost_inside_output():
    assert NATIONAL_SCHEME.scoring_category("cost") == "output"
    assert COST_VARIANT_SCHEME.scoring_category("cost") == "cost"
    assert HENAN_2023_SCHEME.scoring_category("cost") == "cost"
    assert NATIONAL_SCHEME.scoring_category("benefit") == "benefit"


def test_scheme_weights():
    assert dict(HENAN_2023_SCHEME.category_weights) == {
        "fund_management": D(10),
        "cost": D(10),
        "output": D(30),
        "benefit": D(30),
        "satisfaction": D(10),
    }
    assert dict(COST_VARIANT_SCHEME.category_weights) == {
        "cost": D(10),
        "output": D(40),
        "benefit": D(30),
        "satisfaction": D(10),
    }
    assert set(HENAN_2023_SCHEME.category_weights) == set(CATEGORIES)


def test_scheme_accepts_plain_numbers_and_strings():
    scheme = Scheme(
        execution_weight=10, category_weights={"output": "90"}, score_rounding="truncate"
    )
    assert scheme.execution_weight == D(10)
    assert scheme.category_weights["output"] == D(90)
    assert scheme.score_rounding is Rounding.TRUNCATE


def test_labels():
    assert [GRADE_LABELS[g] for g in Grade] == ["优", "良", "中", "差"]
    assert LIGHT_LABELS == {
        Light.GREEN: "绿灯",
        Light.YELLOW: "黄灯",
        Light.RED: "红灯",
        Light.BLUE: "蓝灯",
    }
    assert [BAND_LABELS[b] for b in QualitativeBand] == ["达成", "部分达成", "未达成"]


# --- positive (正向 and ＝) indicators -------------------------------------------------------


@pytest.mark.parametrize("operator", [">=", ">", "="])
@pytest.mark.parametrize(
    ("target", "actual", "expected"),
    [
        ("90", "95", "10.00"),
        ("90", "90", "10.00"),
        ("90", "45", "5.00"),
        ("90", "0", "0.00"),
        ("3", "2", "6.67"),
        ("0", "0", "10.00"),
        ("0", "5", "10.00"),
    ],
)
def test_positive_score(operator, target, actual, expected):
    result = score(operator=operator, target=D(target), actual=D(actual))
    assert result.computed == result.final == D(expected)


def test_positive_score_truncates_when_the_scheme_says_so():
    assert score(operator=">=", target=D(3), actual=D(2), scheme=TRUNCATING).final == D("6.66")


def test_far_over_target_is_flagged_but_capped():
    result = score(operator=">=", target=D(100), actual=D(120))
    assert result.over_achieved
    assert result.final == D(10)
    assert "目标值可能设置偏低" in result.notes[0]
    assert not score(operator=">=", target=D(100), actual=D("119.99")).over_achieved
    assert not score(operator="<=", target=D(100), actual=D(10)).over_achieved


# --- negative (反向) indicators ----------------------------------------------------------------


@pytest.mark.parametrize("operator", ["<=", "<"])
@pytest.mark.parametrize(
    ("target", "actual", "expected"),
    [
        ("10", "8", "10.00"),
        ("10", "10", "10.00"),
        ("10", "12", "8.00"),
        ("10", "15", "5.00"),
        ("10", "19.99", "0.01"),
        ("10", "20", "0.00"),
        ("10", "35", "0.00"),
        ("0", "0", "10.00"),
        ("0", "1", "0.00"),
    ],
)
def test_negative_score(operator, target, actual, expected):
    assert score(operator=operator, target=D(target), actual=D(actual)).final == D(expected)


def test_missing_actual_scores_zero_with_a_note():
    result = score(operator=">=", target=D(90), actual=None)
    assert result.final == D(0)
    assert result.notes == ("未填写实际完成值，得0分",)


def test_missing_target_scores_zero_with_a_note():
    result = score(operator=">=", target=None, actual=D(90))
    assert result.final == D(0)
    assert "目标值" in result.notes[0]


def test_unknown_operator_is_refused():
    with pytest.raises(ValueError, match="运算符"):
        score(operator="≈", target=D(1), actual=D(1))


def test_negative_weight_is_refused():
    with pytest.raises(ValueError, match="不能为负数"):
        score(weight=D(-1), operator=">=", target=D(1), actual=D(1))


# --- cost indicators --------------------------------------------------------------------------


def test_cost_indicator_of_a_project_that_spent_nothing_scores_zero():
    result = score(
        operator="<=",
        target=D("0.9"),
        actual=D(0),
        category="cost",
        spent=D(0),
        scheme=HENAN_2023_SCHEME,
    )
    assert result.computed == result.final == D(0)
    assert result.notes == ("项目未发生支出，成本指标不得分",)


def test_cost_indicator_with_spending_scores_normally():
    result = score(
        operator="<=", target=D(28), actual=D("26.17"), category="cost", spent=D("26.17")
    )
    assert result.final == D(10)
    assert result.notes == ()


def test_spent_nothing_only_matters_for_cost():
    assert score(operator=">=", target=D(1), actual=D(1), category="output", spent=D(0)).final == D(
        10
    )


# --- qualitative (定性) indicators ---------------------------------------------------------


@pytest.mark.parametrize(
    ("band", "expected"),
    [
        (QualitativeBand.ACHIEVED, "10.00"),
        (QualitativeBand.PARTIAL, "7.00"),
        (QualitativeBand.NOT_ACHIEVED, "0.00"),
        ("achieved", "10.00"),
        ("部分达成", "7.00"),
    ],
)
def test_band_without_score_takes_its_default(band, expected):
    assert score(operator=None, target=None, actual=None, band=band).final == D(expected)


@pytest.mark.parametrize(
    ("band", "band_score"),
    [
        ("achieved", "8"),
        ("achieved", "10"),
        ("partial", "6"),
        ("partial", "7.99"),
        ("not_achieved", "0"),
        ("not_achieved", "5.99"),
    ],
)
def test_score_inside_its_band(band, band_score):
    result = score(operator=None, target=None, actual=None, band=band, band_score=D(band_score))
    assert result.final == D(band_score)


@pytest.mark.parametrize(
    ("band", "band_score"),
    [
        ("achieved", "7.99"),
        ("partial", "8"),
        ("partial", "5.99"),
        ("not_achieved", "6"),
        ("achieved", "10.01"),
        ("not_achieved", "-1"),
    ],
)
def test_score_outside_its_band_is_refused(band, band_score):
    with pytest.raises(ValueError, match="得分应在"):
        score(operator=None, target=None, actual=None, band=band, band_score=D(band_score))


def test_score_without_band_finds_its_band():
    assert score(operator=None, target=None, actual=None, band_score=D("6.5")).final == D("6.50")


def test_qualitative_without_band_scores_zero_with_a_note():
    result = score(operator=None, target=None, actual=None)
    assert result.final == D(0)
    assert "未评定" in result.notes[0]


def test_unknown_band_is_refused():
    with pytest.raises(ValueError, match="完成等级"):
        score(operator=None, target=None, actual=None, band="excellent")


def test_band_range():
    assert band_range("achieved", D(10)) == (D(8), D(10))
    assert band_range("partial", D(10)) == (D(6), D(8))
    assert band_range("not_achieved", D(10)) == (D(0), D(6))


# --- overrides ---------------------------------------------------------------------------------


def test_override_keeps_both_scores():
    result = score(
        operator=">=", target=D(90), actual=D(45), override=D(8), override_reason="数据口径调整"
    )
    assert (result.computed, result.final, result.override) == (D("5.00"), D("8.00"), D(8))
    assert result.override_reason == "数据口径调整"
    assert "数据口径调整" in result.notes[-1]


@pytest.mark.parametrize("reason", ["", "   "])
def test_override_needs_a_reason(reason):
    with pytest.raises(ValueError, match="理由"):
        score(operator=">=", target=D(90), actual=D(45), override=D(8), override_reason=reason)


@pytest.mark.parametrize("value", ["-0.01", "10.01"])
def test_override_stays_within_the_weight(value):
    with pytest.raises(ValueError, match="0 至 10"):
        score(operator=">=", target=D(90), actual=D(45), override=D(value), override_reason="复核")


def test_override_of_zero_is_an_override():
    result = score(
        operator=">=", target=D(90), actual=D(90), override=D(0), override_reason="无佐证材料"
    )
    assert (result.computed, result.final) == (D(10), D(0))


# --- execution and projects ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("budget", "executed", "half_up", "truncate"),
    [
        ("28", "26.17", "93.46", "93.46"),
        ("2.1", "1.45", "69.05", "69.04"),
        ("3", "2", "66.67", "66.66"),
        ("0", "0", "0", "0"),
        ("0", "5", "0", "0"),
        ("10", "12", "120", "120"),
    ],
)
def test_execution_rate(budget, executed, half_up, truncate):
    assert execution_rate(budget=D(budget), executed=D(executed), scheme=NATIONAL_SCHEME) == D(
        half_up
    )
    assert execution_rate(budget=D(budget), executed=D(executed), scheme=TRUNCATING) == D(truncate)


@pytest.mark.parametrize(
    ("rate", "expected"),
    [("93.46", "9.35"), ("100", "10.00"), ("120", "10.00"), ("0", "0.00"), ("69.05", "6.91")],
)
def test_execution_score(rate, expected):
    assert execution_score(rate=D(rate), scheme=NATIONAL_SCHEME) == D(expected)


def test_execution_score_truncates_when_the_scheme_says_so():
    assert execution_score(rate=D("93.46"), scheme=TRUNCATING) == D("9.34")


def test_project_result_national_scheme_counts_cost_in_output():
    result = project_result(
        scheme=NATIONAL_SCHEME,
        budget=D(100),
        executed=D(90),
        indicators=[
            ("cost", D(10), D(10)),
            ("output", D(40), D(30)),
            ("benefit", D(30), D(30)),
            ("satisfaction", D(10), D(9)),
        ],
    )
    assert result.execution_rate == D(90)
    assert result.execution_score == D(9)
    assert result.category_scores == {"output": D(40), "benefit": D(30), "satisfaction": D(9)}
    assert result.category_weights == {"output": D(50), "benefit": D(30), "satisfaction": D(10)}
    assert result.category_rates == {"output": D(80), "benefit": D(100), "satisfaction": D(90)}
    assert result.total == D(88)
    assert result.grade is Grade.GOOD


def test_project_result_counts_over_achievement_and_empty_categories():
    over = score(operator=">=", target=D(10), actual=D(20), weight=D(50))
    result = project_result(
        scheme=NATIONAL_SCHEME, budget=D(1), executed=D(1), indicators=[("output", D(50), over)]
    )
    assert result.over_achieved_count == 1
    assert result.category_rates["benefit"] is None
    assert result.category_scores["benefit"] == D(0)
    assert result.total == D(60)
    assert result.grade is Grade.FAIR


@pytest.mark.parametrize(
    ("total", "grade"),
    [
        ("100", Grade.EXCELLENT),
        ("90", Grade.EXCELLENT),
        ("89.99", Grade.GOOD),
        ("80", Grade.GOOD),
        ("79.99", Grade.FAIR),
        ("60", Grade.FAIR),
        ("59.99", Grade.POOR),
        ("0", Grade.POOR),
    ],
)
def test_grade_bands(total, grade):
    assert grade_for(D(total), NATIONAL_SCHEME) is grade


def test_grade_bands_belong_to_the_scheme():
    strict = replace(
        NATIONAL_SCHEME,
        grade_bands=((D(95), "excellent"), (D(85), "good"), (D(70), "fair"), (D(0), "poor")),
    )
    assert grade_for(D(90), strict) is Grade.GOOD
    assert grade_for(D(69), strict) is Grade.POOR


def test_unit_summary_and_sentence():
    summary = unit_summary(
        [Grade.EXCELLENT, "excellent", Grade.GOOD, Grade.EXCELLENT, Grade.EXCELLENT]
    )
    assert summary == {"evaluated": 5, "excellent": 4, "good": 1, "fair": 0, "poor": 0}
    assert summary_text(summary) == (
        "本单位需绩效自评项目 5 个，实际自评 5 个，4 个项目自评等级为优，1 个项目自评为良，0 个项目自评为中"
    )


def test_summary_sentence_mentions_poor_grades_and_missing_evaluations():
    summary = unit_summary([Grade.POOR, Grade.FAIR])
    assert summary_text(summary, required=3) == (
        "本单位需绩效自评项目 3 个，实际自评 2 个，0 个项目自评等级为优，0 个项目自评为良，"
        "1 个项目自评为中，1 个项目自评为差"
    )


def test_weights_that_add_up_pass():
    indicators = [("cost", D(5)), ("output", D(45)), ("benefit", D(30)), ("satisfaction", D(10))]
    assert weights_check(NATIONAL_SCHEME, indicators) == ()


def test_weights_that_do_not_add_up_are_errors():
    findings = weights_check(
        COST_VARIANT_SCHEME,
        [
            ("cost", D(10), D(10)),
            ("output", D(20)),
            ("output", D(15)),
            ("benefit", D(30)),
            ("input", D(5)),
        ],
    )
    assert [(f.code, f.severity) for f in findings] == [
        ("weights_mismatch", "error"),
        ("category_missing", "error"),
        ("category_not_scored", "error"),
    ]
    assert findings[0].message == "产出指标下各指标分值合计 35 分，应为 40 分"
    assert findings[1].message == "缺少满意度指标（应占 10 分）"


# --- monitoring lights -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("month", "progress"), [(7, "58.33"), (12, "100.00"), (6, "50.00"), (1, "8.33"), (0, "0.00")]
)
def test_time_progress(month, progress):
    assert time_progress(month) == D(progress)


@pytest.mark.parametrize("month", [-1, 13])
def test_time_progress_refuses_impossible_months(month):
    with pytest.raises(ValueError, match="月份"):
        time_progress(month)


@pytest.mark.parametrize(
    ("rate", "month", "light"),
    [
        ("29.99", 6, Light.RED),
        ("30", 6, Light.YELLOW),  # 60% of time progress
        ("39.99", 6, Light.YELLOW),
        ("40", 6, Light.GREEN),  # 80%
        ("100", 6, Light.GREEN),
        ("30", 7, Light.RED),  # 30 / 58.33 = 51%
        ("40", 7, Light.YELLOW),  # 69%
        ("50", 7, Light.GREEN),  # 86%
        ("0", 0, Light.GREEN),
    ],
)
def test_budget_light(rate, month, light):
    assert budget_light(rate=D(rate), month=month, scheme=NATIONAL_SCHEME) is light


@pytest.mark.parametrize(
    ("operator", "target", "value", "light"),
    [
        (">=", "100", "29.99", Light.RED),  # June: expected 50 so far
        (">=", "100", "30", Light.YELLOW),
        (">=", "100", "40", Light.GREEN),
        (">=", "100", "59.99", Light.GREEN),
        (">=", "100", "60", Light.BLUE),
        ("=", "100", "60", Light.BLUE),
        ("<=", "10", "10", Light.GREEN),
        ("<", "10", "10.01", Light.RED),
        (">=", None, "10", None),
        (">=", "100", None, None),
    ],
)
def test_indicator_light(operator, target, value, light):
    result = indicator_light(
        operator=operator,
        target=None if target is None else D(target),
        value=None if value is None else D(value),
        month=6,
        scheme=NATIONAL_SCHEME,
    )
    assert result is light


def test_indicator_light_without_pro_rating_for_rates():
    kwargs = {
        "operator": ">=",
        "target": D(90),
        "value": D(92),
        "month": 7,
        "scheme": NATIONAL_SCHEME,
    }
    assert indicator_light(**kwargs) is Light.BLUE
    assert indicator_light(**kwargs, pro_rate=False) is Light.GREEN


@pytest.mark.parametrize(
    ("band", "light"),
    [
        ("achieved", Light.GREEN),
        ("partial", Light.YELLOW),
        ("not_achieved", Light.RED),
        (None, None),
    ],
)
def test_qualitative_light(band, light):
    result = indicator_light(
        operator=None, target=None, value=None, month=7, scheme=NATIONAL_SCHEME, band=band
    )
    assert result is light


@pytest.mark.parametrize(
    ("lights", "worst"),
    [
        ([Light.GREEN, Light.BLUE], Light.BLUE),
        ([Light.BLUE, Light.YELLOW, Light.GREEN], Light.YELLOW),
        ([Light.YELLOW, Light.RED, Light.BLUE], Light.RED),
        (["green", "red", None], Light.RED),
        ([Light.GREEN], Light.GREEN),
        ([None, None], None),
        ([], None),
    ],
)
def test_worst_light(lights, worst):
    assert worst_light(lights) is worst


def test_indicator_score_is_a_value_object():
    assert IndicatorScore(D(1), D(1)) == IndicatorScore(D(1), D(1), None, "", False, ())


def test_floats_are_refused():
    with pytest.raises(TypeError, match="Decimal"):
        score(operator=">=", target=0.9, actual=D(1))
