"""Properties of the engine over generated input (hypothesis, bounded to stay fast)."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from performance.scoring import (
    COST_VARIANT_SCHEME,
    NATIONAL_SCHEME,
    QualitativeBand,
    Rounding,
    Scheme,
    band_range,
    indicator_score,
    round_to,
)
from performance.targets import (
    OPERATORS,
    Target,
    format_target,
    parse_actual,
    parse_target,
)

SETTINGS = settings(max_examples=200, deadline=None)

amounts = st.decimals(
    min_value=Decimal("-1000000"),
    max_value=Decimal("1000000"),
    places=4,
    allow_nan=False,
    allow_infinity=False,
)
weights = st.decimals(min_value=Decimal(0), max_value=Decimal(100), places=2)
schemes = st.sampled_from(
    [
        NATIONAL_SCHEME,
        COST_VARIANT_SCHEME,
        Scheme(
            execution_weight=Decimal(10),
            category_weights={"output": Decimal(90)},
            score_rounding=Rounding.TRUNCATE,
            score_places=1,
        ),
    ]
)
positive_ops = st.sampled_from([">=", ">", "="])
negative_ops = st.sampled_from(["<=", "<"])
level1s = st.sampled_from(
    [None, "产出指标", "成本指标", "效益指标", "满意度指标", "投入管理指标", ""]
)
CANONICAL_UNITS = [
    "",
    "万元",
    "%",
    "人",
    "人次",
    "个",
    "批",
    "根",
    "条",
    "台",
    "组",
    "列",
    "次",
    "天",
    "名",
    "户",
    "月",
    "年",
    "工作日",
    "小时",
]

# Text built from the pieces real cells are made of, to reach the parser's corners.
PIECES = [
    "≥",
    "≤",
    ">",
    "<",
    "=",
    "＞",
    "＜",
    "＝",
    "≧",
    "≦",
    ">=",
    "=>",
    "≥≥",
    "%",
    "％",
    "万",
    "万元",
    "元",
    "亿元",
    "万人",
    "人",
    "人次",
    "个",
    "天",
    "年",
    "年度",
    "月",
    "日",
    "以上",
    "以下",
    "以内",
    "不少于",
    "不超过",
    "不低于",
    "达到",
    "落实到",
    "大于",
    "小于",
    "上年",
    "去年",
    "较",
    "提高",
    "明显",
    "及时",
    "顺利开展",
    "有效保障",
    " ",
    "　",
    "，",
    "、",
    "-",
    "~",
    ".",
    ",",
    "0",
    "1",
    "5",
    "9",
    "12",
    "100",
    "2021",
    "1,100",
    "19.6",
    "６",
    "一",
    "三",
    "条",
    "网络专线",
    "设备购置",
    "(",
    "）",
    "😀",
    "\u200b",
]
cell_text = st.one_of(st.text(), st.lists(st.sampled_from(PIECES), max_size=8).map("".join))


# --- scores -----------------------------------------------------------------------------------


@SETTINGS
@given(
    weight=weights,
    operator=st.sampled_from([*OPERATORS]),
    target=st.none() | amounts,
    actual=st.none() | amounts,
    scheme=schemes,
    category=st.sampled_from(["", "cost", "output"]),
    spent=st.none() | amounts,
)
def test_score_is_always_between_zero_and_weight(
    weight, operator, target, actual, scheme, category, spent
):
    result = indicator_score(
        weight=weight,
        operator=operator,
        target=target,
        actual=actual,
        scheme=scheme,
        category=category,
        spent=spent,
    )
    assert Decimal(0) <= result.computed <= weight
    assert result.final == result.computed


@SETTINGS
@given(
    weight=st.integers(min_value=1, max_value=100).map(Decimal),
    band=st.sampled_from(list(QualitativeBand)),
    scheme=schemes,
)
def test_qualitative_default_score_is_inside_its_band(weight, band, scheme):
    """达成 [0.8w, w], 部分达成 [0.6w, 0.8w), 未达成 [0, 0.6w) (domain.md §5). Whole weights keep
    the bands' bounds exact at every scheme's score places."""
    result = indicator_score(
        weight=weight, operator=None, target=None, actual=None, scheme=scheme, band=band
    )
    low, high = band_range(band, weight)
    if band is QualitativeBand.ACHIEVED:
        assert low <= result.final <= high
    else:
        assert low <= result.final < high


@SETTINGS
@given(weight=weights, band=st.sampled_from(list(QualitativeBand)), scheme=schemes)
def test_qualitative_default_score_stays_in_its_band_after_rounding(weight, band, scheme):
    """Any weight: the score, rounded to the scheme's places, lies between the band's bounds
    rounded the same way (a weight of 0.01 has no exact 0.7 × w)."""
    result = indicator_score(
        weight=weight, operator=None, target=None, actual=None, scheme=scheme, band=band
    )
    places, mode = scheme.score_places, scheme.score_rounding
    low, high = (round_to(bound, places, mode) for bound in band_range(band, weight))
    assert low <= result.final <= high
    assert result.final <= weight


@SETTINGS
@given(weight=weights, operator=positive_ops, target=amounts, a=amounts, b=amounts, scheme=schemes)
def test_positive_score_never_falls_as_the_actual_rises(weight, operator, target, a, b, scheme):
    low, high = sorted((a, b))
    kwargs = {"weight": weight, "operator": operator, "target": target, "scheme": scheme}
    assert (
        indicator_score(actual=low, **kwargs).final <= indicator_score(actual=high, **kwargs).final
    )


@SETTINGS
@given(weight=weights, operator=negative_ops, target=amounts, a=amounts, b=amounts, scheme=schemes)
def test_negative_score_never_rises_as_the_actual_rises(weight, operator, target, a, b, scheme):
    low, high = sorted((a, b))
    kwargs = {"weight": weight, "operator": operator, "target": target, "scheme": scheme}
    assert (
        indicator_score(actual=low, **kwargs).final >= indicator_score(actual=high, **kwargs).final
    )


# --- targets ----------------------------------------------------------------------------------


@st.composite
def quantitative_targets(draw):
    return Target(
        raw="",
        operator=draw(st.sampled_from(OPERATORS)),
        value=draw(amounts),
        unit=draw(st.sampled_from(CANONICAL_UNITS)),
        kind="quantitative",
        findings=(),
    )


@SETTINGS
@given(target=quantitative_targets(), level1=level1s)
def test_format_then_parse_gives_the_target_back(target, level1):
    text = format_target(target)
    again = parse_target(text, level1=level1)
    assert (again.operator, again.value, again.unit, again.kind) == (
        target.operator,
        target.value,
        target.unit,
        target.kind,
    ), text
    assert again.is_readable


@SETTINGS
@given(text=cell_text, level1=level1s, previous=st.none() | amounts)
def test_parse_target_never_raises(text, level1, previous):
    target = parse_target(text, level1=level1, previous_value=previous)
    assert target.raw == text
    assert "internal_error" not in {f.code for f in target.findings}
    assert target.kind in ("quantitative", "qualitative", "relative")
    assert target.operator is None or target.operator in OPERATORS
    if not target.is_readable:
        assert (target.operator, target.value) == (None, None)
    if target.kind == "quantitative" and target.is_readable:
        assert isinstance(target.value, Decimal)
    assert all(f.severity in ("error", "warning") and f.message for f in target.findings)
    format_target(target)


@SETTINGS
@given(
    text=cell_text,
    target_text=st.sampled_from(
        ["≤28万元", "≥4000人", "≥90%", "≥5", "及时", "不低于上年", "≥95% 100%"]
    ),
)
def test_parse_actual_never_raises(text, target_text):
    value, findings = parse_actual(text, target=parse_target(target_text))
    assert "internal_error" not in {f.code for f in findings}
    assert value is None or isinstance(value, Decimal)
    if value is None:
        assert any(f.severity == "error" for f in findings)
