"""Reading 指标值: every published value of unit 027001 (2022) and the domain.md §4 examples."""

import csv
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from performance.targets import (
    OPERATORS,
    QUALITATIVE_WORDS,
    Finding,
    Target,
    category_of,
    format_target,
    normalize_level2,
    parse_actual,
    parse_target,
    to_canonical,
)

DATA = Path(__file__).parent / "data"
QUANT, QUAL, REL = "quantitative", "qualitative", "relative"


def n(level1, text, operator, value, unit, *codes):
    """A readable quantitative target."""
    return (level1, text, operator, Decimal(value), unit, QUANT, codes)


def q(level1, text, *codes):
    """A qualitative target."""
    return (level1, text, None, None, "", QUAL, codes)


def rel(level1, text, operator, *codes):
    """A relative (上年) target without last year's value."""
    return (level1, text, operator, None, "", REL, codes)


def bad(level1, text, kind, code):
    """An unreadable cell: one error finding, nothing read."""
    return (level1, text, None, None, "", kind, (code,))


# Every 指标值 of 2022_027001_project_targets.csv, in file order.
PROJECT_TARGETS = [
    # 社保、医保经办经费
    n("成本指标", "≤14.48万元", "<=", "14.48", "万元"),
    n("产出指标", "≥1批", ">=", "1", "批"),
    n("产出指标", "≥3批", ">=", "3", "批"),
    n("产出指标", "≥1个", ">=", "1", "个"),
    n("产出指标", "≥15根", ">=", "15", "根"),
    q("产出指标", "运行正常"),
    q("效益指标", "明显"),
    q("效益指标", "顺利开展"),
    n("满意度指标", "≥90%", ">=", "90", "%"),
    n("满意度指标", "≥90%", ">=", "90", "%"),
    # 运转经费
    n("成本指标", "≤12万", "<=", "12", "万元"),
    n("产出指标", "15人", "=", "15", "人"),
    q("产出指标", "显著提高"),
    q("产出指标", "及时"),
    q("效益指标", "明显"),
    q("效益指标", "有保障"),
    bad("满意度指标", "≥95% 100%", QUANT, "multiple_values"),
    # 城乡居民基本医疗保险区级配套资金
    n("成本指标", "≤1909.2万元", "<=", "1909.2", "万元"),
    n("产出指标", "≥25万人", ">=", "250000", "人"),
    n("产出指标", "100%", "=", "100", "%"),
    q("产出指标", "及时"),
    bad("效益指标", "顺利开展 明显", QUAL, "multiple_values"),
    n("满意度指标", "≥90%", ">=", "90", "%"),
    n("满意度指标", "≥90%", ">=", "90", "%"),
    # 城乡居民基本养老保险区级配套资金
    n("成本指标", "≤743.1万元", "<=", "743.1", "万元"),
    q("产出指标", "及时"),
    n("产出指标", "≥40000人", ">=", "40000", "人"),
    n("产出指标", "100%", "=", "100", "%"),
    bad("效益指标", "持续稳定顺利开展 明显", QUAL, "multiple_values"),
    n("满意度指标", ">90%", ">", "90", "%"),
    n("满意度指标", "≥90%", ">=", "90", "%"),
    # 机关事业单位基本养老保险
    n("成本指标", "≤3265.79万元", "<=", "3265.79", "万元"),
    n("产出指标", "≥150人", ">=", "150", "人"),
    n("产出指标", "≥1100人", ">=", "1100", "人"),
    n("产出指标", "100%", "=", "100", "%"),
    q("产出指标", "及时"),
    q("效益指标", "顺利开展"),
    n("满意度指标", "≥95%", ">=", "95", "%"),
    n("满意度指标", "≥95%", ">=", "95", "%"),
    # 城乡医疗救助
    n("成本指标", "≤568.78万元", "<=", "568.78", "万元"),
    n("产出指标", "≥5000人", ">=", "5000", "人"),
    n("产出指标", "100%", "=", "100", "%"),
    n("产出指标", "≥2000人", ">=", "2000", "人"),  # 住院救助人次, typed in 人: kept as typed
    n("产出指标", "≥70%", ">=", "70", "%"),
    q("效益指标", "有效缓解"),
    n("满意度指标", "≥90%", ">=", "90", "%"),
    n("满意度指标", "≥90%", ">=", "90", "%"),
    # 困难群众大病补充医疗保险
    n("成本指标", "≤12.88万元", "<=", "12.88", "万元"),
    n("产出指标", "100%", "=", "100", "%"),
    q("产出指标", "及时"),
    n("产出指标", ">4000人", ">", "4000", "人"),
    bad("效益指标", "顺利开展 明显", QUAL, "multiple_values"),
    n("满意度指标", "≥90%", ">=", "90", "%"),
    n("满意度指标", "≥90%", ">=", "90", "%"),
    # 洛财预【2021】634号 中央财政医疗救助补助资金
    n("成本指标", "≤105万元", "<=", "105", "万元"),
    n("产出指标", "≥3000人", ">=", "3000", "人"),
    q("产出指标", "进一步完善"),
    rel("产出指标", "不低于上年", ">=", "relative_unresolved"),
    q("效益指标", "有效保障"),
    n("满意度指标", "≥95%", ">=", "95", "%"),
    # 洛财预【2021】637号 省财政医疗救助补助资金
    n("成本指标", "≤17万元", "<=", "17", "万元"),
    n("产出指标", "≥530人", ">=", "530", "人"),
    n("产出指标", "≥50%", ">=", "50", "%"),
    rel("产出指标", "不低于上年", ">=", "relative_unresolved"),
    q("效益指标", "有效保障"),
    n("满意度指标", "≥95%", ">=", "95", "%"),
    # 洛财预【2021】632号 中央专项彩票公益金
    n("成本指标", "≤8万元", "<=", "8", "万元"),
    n("产出指标", "≥1130人", ">=", "1130", "人"),
    n("产出指标", "≥50%", ">=", "50", "%"),
    rel("产出指标", "不低于上年", ">=", "relative_unresolved"),
    q("效益指标", "有效保障"),
    n("满意度指标", "≥95%", ">=", "95", "%"),
]

# Every 指标值 of 2022_027001_unit_targets.csv (整体绩效目标), in file order.
UNIT_TARGETS = [
    q("投入管理指标", "相关"),
    q("投入管理指标", "科学"),
    q("投入管理指标", "合理"),
    q("投入管理指标", "完整"),
    n("投入管理指标", "≥95%", ">=", "95", "%"),
    n("投入管理指标", "100%", "=", "100", "%"),
    n("投入管理指标", "≤10%", "<=", "10", "%"),
    n("投入管理指标", "≤10%", "<=", "10", "%"),
    n("投入管理指标", "≤5%", "<=", "5", "%"),
    n("投入管理指标", "100%", "=", "100", "%"),
    q("投入管理指标", "真实"),
    q("投入管理指标", "合规"),
    q("投入管理指标", "健全"),
    q("投入管理指标", "公开"),
    q("投入管理指标", "规范"),
    n("投入管理指标", "100%", "=", "100", "%"),
    n("投入管理指标", "100%", "=", "100", "%"),
    n("投入管理指标", "100%", "=", "100", "%"),
    n("投入管理指标", "100%", "=", "100", "%"),
    n("投入管理指标", "100%", "=", "100", "%"),
    n("产出指标", "≥90%", ">=", "90", "%"),
    n("产出指标", "≥90%", ">=", "90", "%"),
    q("效益指标", "顺利开展社保工作，营造良好社会氛围", "qualitative_sentence"),
    n("满意度指标", "≥95%", ">=", "95", "%"),
]

FIXTURE_TABLE = [
    ("2022_027001_project_targets.csv", PROJECT_TARGETS),
    ("2022_027001_unit_targets.csv", UNIT_TARGETS),
]
ALL_ROWS = [row for _, rows in FIXTURE_TABLE for row in rows]


def read_rows(name):
    with (DATA / name).open(encoding="utf-8-sig", newline="") as handle:
        return [(row["一级指标"], row["指标值"]) for row in csv.DictReader(handle)]


def assert_reads(target, operator, value, unit, kind, codes):
    assert (target.operator, target.value, target.unit, target.kind) == (
        operator,
        value,
        unit,
        kind,
    )
    assert tuple(f.code for f in target.findings) == codes
    if value is not None:
        assert isinstance(target.value, Decimal)


# --- the published fixtures ---------------------------------------------------------------


def test_table_covers_every_fixture_row_in_order():
    total = 0
    for name, table in FIXTURE_TABLE:
        rows = read_rows(name)
        assert [(level1, text) for level1, text, *_ in table] == rows
        total += len(rows)
    assert total == len(ALL_ROWS) == 96


@pytest.mark.parametrize(("level1", "text", "operator", "value", "unit", "kind", "codes"), ALL_ROWS)
def test_published_value(level1, text, operator, value, unit, kind, codes):
    target = parse_target(text, level1=level1)
    assert target.raw == text
    assert_reads(target, operator, value, unit, kind, codes)


def test_published_values_that_block_submission_are_exactly_the_dirty_cells():
    unreadable = {
        text
        for level1, text in read_rows(FIXTURE_TABLE[0][0])
        if not parse_target(text, level1=level1).is_readable
    }
    assert unreadable == {"≥95% 100%", "顺利开展 明显", "持续稳定顺利开展 明显"}


def test_error_findings_quote_the_offending_text_in_chinese():
    finding = parse_target("顺利开展 明显", level1="效益指标").findings[0]
    assert finding.severity == "error"
    assert "「顺利开展 明显」" in finding.message
    assert "多个值" in finding.message


# --- domain.md §4 examples ------------------------------------------------------------------

EXAMPLES = [
    # text, level1, operator, value, unit, kind, finding codes
    ("≥90%", None, ">=", "90", "%", QUANT, ()),
    ("≤14.48万元", "成本指标", "<=", "14.48", "万元", QUANT, ()),
    (">4000人", None, ">", "4000", "人", QUANT, ()),
    ("≥25万人", None, ">=", "250000", "人", QUANT, ()),
    ("100%", None, "=", "100", "%", QUANT, ()),
    ("15人", "产出指标", "=", "15", "人", QUANT, ()),
    ("≤12万", "成本指标", "<=", "12", "万元", QUANT, ()),
    ("设备购置19.6万", "成本指标", "<=", "19.6", "万元", QUANT, ("extra_text",)),
    ("订阅党报党刊6280元", "成本指标", "<=", "0.628", "万元", QUANT, ("extra_text",)),
    ("订阅党报党刊6280元", "产出指标", "=", "0.628", "万元", QUANT, ("extra_text",)),
    ("满意度达到90%以上", "满意度指标", ">=", "90", "%", QUANT, ("extra_text",)),
    ("达到90%以上", None, ">=", "90", "%", QUANT, ()),
    ("大于95%", None, ">", "95", "%", QUANT, ()),
    ("超过95%", None, ">", "95", "%", QUANT, ()),
    ("高于95%", None, ">", "95", "%", QUANT, ()),
    ("落实到100%", None, "=", "100", "%", QUANT, ()),
    ("达到100%", None, "=", "100", "%", QUANT, ()),
    ("等于100%", None, "=", "100", "%", QUANT, ()),
    ("不少于3个", None, ">=", "3", "个", QUANT, ()),
    ("不低于90%", None, ">=", "90", "%", QUANT, ()),
    ("至少3个", None, ">=", "3", "个", QUANT, ()),
    ("3个以上", None, ">=", "3", "个", QUANT, ()),
    ("不超过5天", None, "<=", "5", "天", QUANT, ()),
    ("不高于5%", None, "<=", "5", "%", QUANT, ()),
    ("不多于2次", None, "<=", "2", "次", QUANT, ()),
    ("控制在5%以内", None, "<=", "5", "%", QUANT, ()),
    ("5%以下", None, "<=", "5", "%", QUANT, ()),
    ("5个工作日以内", None, "<=", "5", "工作日", QUANT, ()),
    ("小于5%", None, "<", "5", "%", QUANT, ()),
    ("低于5%", None, "<", "5", "%", QUANT, ()),
    ("1.2亿元", "成本指标", "<=", "12000", "万元", QUANT, ()),
    ("≤500元", "成本指标", "<=", "0.05", "万元", QUANT, ()),
    ("≥2.5万人次", None, ">=", "25000", "人次", QUANT, ()),
    ("≥3个月", None, ">=", "3", "月", QUANT, ()),
    ("≥1,100人", None, ">=", "1100", "人", QUANT, ()),
    ("≥-5%", None, ">=", "-5", "%", QUANT, ()),
]

VARIANTS = [
    # ASCII and full-width spellings of the same operators
    (">=90%", ">=", "90", "%"),
    ("=>90%", ">=", "90", "%"),
    ("≧90%", ">=", "90", "%"),
    ("＞＝90%", ">=", "90", "%"),
    ("≥９０％", ">=", "90", "%"),
    ("＞＝９０％", ">=", "90", "%"),
    ("≥ 90 %", ">=", "90", "%"),
    ("\u3000≥90%\u3000", ">=", "90", "%"),
    (">4000人", ">", "4000", "人"),
    ("＞4000人", ">", "4000", "人"),
    ("﹥4000人", ">", "4000", "人"),
    ("=100%", "=", "100", "%"),
    ("＝100%", "=", "100", "%"),
    ("<5天", "<", "5", "天"),
    ("＜5天", "<", "5", "天"),
    ("<=5天", "<=", "5", "天"),
    ("=<5天", "<=", "5", "天"),
    ("≤5天", "<=", "5", "天"),
    ("≦5天", "<=", "5", "天"),
    ("＜＝5天", "<=", "5", "天"),
    ("≤１４．４８万元", "<=", "14.48", "万元"),
    ("≥1，100人", ">=", "1100", "人"),
]


@pytest.mark.parametrize(("text", "level1", "operator", "value", "unit", "kind", "codes"), EXAMPLES)
def test_domain_example(text, level1, operator, value, unit, kind, codes):
    assert_reads(parse_target(text, level1=level1), operator, Decimal(value), unit, kind, codes)


@pytest.mark.parametrize(("text", "operator", "value", "unit"), VARIANTS)
def test_ascii_and_full_width_spellings_read_the_same(text, operator, value, unit):
    assert_reads(parse_target(text), operator, Decimal(value), unit, QUANT, ())


def test_raw_text_is_kept_untouched():
    text = "　≥９０％ "
    assert parse_target(text).raw == text


def test_bare_value_reads_as_equal_and_scores_positive():
    target = parse_target("15人", level1="产出指标")
    assert target.operator == "="
    assert target.direction == "positive"


def test_bare_amount_on_cost_is_a_ceiling():
    for text in ("14.48万元", "12万", "6280元"):
        target = parse_target(text, level1="成本指标")
        assert target.operator == "<="
        assert target.direction == "negative"


def test_scale_without_unit_is_ambiguous_outside_cost():
    for level1 in ("产出指标", None):
        target = parse_target("设备购置19.6万", level1=level1)
        assert_reads(target, None, None, "", QUANT, ("ambiguous_scale",))
        assert not target.is_readable


def test_relative_target_without_last_year_is_flagged_for_later():
    target = parse_target("不低于上年")
    assert_reads(target, ">=", None, "", REL, ("relative_unresolved",))
    assert target.relative_to == "previous_year"
    assert target.is_readable
    assert target.findings[0].severity == "warning"


def test_relative_target_takes_last_years_value():
    target = parse_target("不低于上年", previous_value=Decimal("95.5"))
    assert_reads(target, ">=", Decimal("95.5"), "", REL, ())
    assert target.relative_to == "previous_year"


@pytest.mark.parametrize(
    ("text", "operator"),
    [
        ("不低于上年", ">="),
        ("不低于去年", ">="),
        ("不低于上年度", ">="),
        ("不低于上一年度", ">="),
        ("不低于上年水平", ">="),
        ("≥上年", ">="),
        ("高于上年", ">"),
        ("较上年有所提高", ">"),
        ("与上年持平", "="),
        ("不高于上年", "<="),
        ("低于上年", "<"),
    ],
)
def test_relative_spellings(text, operator):
    target = parse_target(text)
    assert (target.kind, target.operator, target.relative_to) == (REL, operator, "previous_year")


def test_relative_change_with_a_number_cannot_be_scored():
    assert_reads(parse_target("较上年增长5%"), None, None, "", REL, ("relative_change",))


@pytest.mark.parametrize(
    "text",
    [
        "及时",
        "明显",
        "显著提高",
        "有效保障",
        "顺利开展",
        "运行正常",
        "相关",
        "合规",
        "完整",
        "有效缓解",
        "进一步完善",
        "持续稳定顺利开展",
        "及时、准确",
        "达到预期",
    ],
)
def test_qualitative_words(text):
    target = parse_target(text)
    assert_reads(target, None, None, "", QUAL, ())
    assert target.direction == "qualitative"
    assert target.is_readable


def test_lexicon_holds_the_published_words():
    published = {
        "及时",
        "明显",
        "显著提高",
        "有效保障",
        "顺利开展",
        "运行正常",
        "相关",
        "合规",
        "完整",
    }
    assert published <= QUALITATIVE_WORDS


def test_descriptive_sentence_is_qualitative_with_a_warning():
    target = parse_target("顺利开展社保工作，营造良好社会氛围")
    assert_reads(target, None, None, "", QUAL, ("qualitative_sentence",))
    assert target.is_readable


@pytest.mark.parametrize(
    ("text", "kind", "code"),
    [
        (None, QUAL, "empty"),
        ("", QUAL, "empty"),
        ("   ", QUAL, "empty"),
        ("\u3000", QUAL, "empty"),
        ("/", QUAL, "empty"),
        ("——", QUAL, "empty"),
        ("≥95% 100%", QUANT, "multiple_values"),
        ("≥95%，100%", QUANT, "multiple_values"),
        ("90%-95%", QUANT, "multiple_values"),
        ("3-5天", QUANT, "multiple_values"),
        ("顺利开展 明显", QUAL, "multiple_values"),
        ("持续稳定顺利开展 明显", QUAL, "multiple_values"),
        ("网络专线一条", QUANT, "narrative"),
        ("2021年度按月实施", QUANT, "narrative"),
        ("2022年12月31日前完成", QUANT, "narrative"),
        ("按月实施", QUAL, "narrative"),
        ("😀", QUAL, "narrative"),
        ("≥", QUANT, "operator_without_number"),
        ("≥%", QUANT, "operator_without_number"),
        ("不少于", QUANT, "operator_without_number"),
        ("不超过", QUANT, "operator_without_number"),
        ("≥90%以下", QUANT, "conflicting_operators"),
        ("≥" + "9" * 40, QUANT, "invalid_number"),
    ],
)
def test_unreadable_cells_are_flagged_not_guessed(text, kind, code):
    target = parse_target(text)
    assert_reads(target, None, None, "", kind, (code,))
    assert not target.is_readable
    assert target.findings[0].severity == "error"
    assert target.raw == (text or "")


@pytest.mark.parametrize(
    ("chinese", "arabic"),
    [
        # domain §4 (issue 18): published tables write counts in Chinese; a leading count
        # numeral is read like its Arabic twin (it used to be the error narrative)
        ("不少于三个", "不少于3个"),
    ],
)
def test_leading_chinese_count_reads_like_arabic(chinese, arabic):
    _assert_same_reading(chinese, arabic)


@pytest.mark.parametrize(
    ("chinese", "arabic"),
    [
        ("百分之百", "100%"),
        ("百分之九十五以上", "95%以上"),
        ("一条", "1条"),
        ("三台", "3台"),
        ("十个", "10个"),
        ("两批", "2批"),
        ("不少于三个", "不少于3个"),
        ("二十五万人", "25万人"),
        ("≥一千二百万元", "≥1200万元"),
        ("三点五万元", "3.5万元"),
        ("一百零五人次", "105人次"),
        ("十五天以内", "15天以内"),
        ("满意度达到百分之九十以上", "满意度达到90%以上"),
        ("百分之九十五点五", "95.5%"),
    ],
)
def test_chinese_numerals_read_like_arabic(chinese, arabic):
    _assert_same_reading(chinese, arabic)
    assert parse_target(chinese).kind == QUANT


def _assert_same_reading(chinese, arabic, level1=None):
    target = parse_target(chinese, level1=level1)
    twin = parse_target(arabic, level1=level1)
    assert (target.operator, target.value, target.unit, target.kind, target.direction) == (
        twin.operator,
        twin.value,
        twin.unit,
        twin.kind,
        twin.direction,
    ), chinese
    assert [f.code for f in target.findings] == [f.code for f in twin.findings], chinese
    assert target.raw == chinese


def _chinese(number: int) -> str:
    """The numeral a person writes for 0–9999 (一千零五十, 十五, 两 never used here)."""
    if number == 0:
        return "零"
    digits = "零一二三四五六七八九"
    out, zero, started = "", False, False
    for value, place in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = number // value % 10
        if digit == 0:
            zero = zero or started
            continue
        if zero:
            out, zero = out + "零", False
        out, started = out + digits[digit] + place, True
    return out[1:] if out.startswith("一十") else out


@settings(max_examples=300, deadline=None)
@given(
    number=st.integers(min_value=0, max_value=9999),
    unit=st.sampled_from(["个", "台", "人", "条", "批", "人次", "万人", "万元", "天"]),
    prefix=st.sampled_from(["", "≥", "不少于", "≤", "不超过"]),
    suffix=st.sampled_from(["", "以上", "以内"]),
)
def test_chinese_numeral_readings_equal_arabic_for_0_to_9999(number, unit, prefix, suffix):
    _assert_same_reading(
        f"{prefix}{_chinese(number)}{unit}{suffix}", f"{prefix}{number}{unit}{suffix}"
    )
    _assert_same_reading(f"百分之{_chinese(number)}", f"{number}%")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("一站式", "narrative"),
        ("一次性告知", "narrative"),
        ("十分满意", "qualitative_sentence"),
        ("统一规范", "qualitative_sentence"),
        ("网络专线一条", "narrative"),  # a label before the numeral: domain §4 narrative
        ("一二三个", "narrative"),
        ("三百五十个以上完成", "narrative"),
    ],
)
def test_numeral_characters_inside_words_are_not_numbers(text, code):
    target = parse_target(text)
    assert target.value is None and target.operator is None
    assert [f.code for f in target.findings] == [code]


def test_actual_values_read_chinese_numerals_too():
    assert parse_actual("三台", target=parse_target("≥3台")) == (Decimal(3), ())
    assert parse_actual("百分之九十八", target=parse_target("≥95%")) == (Decimal(98), ())


def test_doubled_operator_is_read_with_a_warning():
    target = parse_target("≥≥5人")
    assert_reads(target, ">=", Decimal(5), "人", QUANT, ("odd_operator",))
    assert target.is_readable


def test_missing_and_unknown_units_are_warnings():
    assert_reads(parse_target("≥5"), ">=", Decimal(5), "", QUANT, ("missing_unit",))
    assert_reads(parse_target("≥3艘"), ">=", Decimal(3), "艘", QUANT, ("unknown_unit",))


def test_spreadsheet_numbers_are_read_as_their_text():
    assert_reads(parse_target(100), "=", Decimal(100), "", QUANT, ("missing_unit",))


# --- direction, formatting ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "direction"),
    [
        (">=", "positive"),
        (">", "positive"),
        ("=", "positive"),
        ("<=", "negative"),
        ("<", "negative"),
        (None, "qualitative"),
    ],
)
def test_direction(operator, direction):
    assert Target("", operator, None, "", QUANT, ()).direction == direction


@pytest.mark.parametrize(
    ("text", "level1", "canonical"),
    [
        ("≥25万人", None, "≥250000人"),
        ("≤14.48万元", "成本指标", "≤14.48万元"),
        (">=90%", None, "≥90%"),
        ("≤12万", "成本指标", "≤12万元"),
        ("订阅党报党刊6280元", "成本指标", "≤0.628万元"),
        ("100%", None, "＝100%"),
        ("大于95%", None, "＞95%"),
        ("小于5%", None, "＜5%"),
        ("及时", None, "及时"),
        ("不低于上年", None, "不低于上年"),
        ("≥95% 100%", None, "≥95% 100%"),
    ],
)
def test_format_target(text, level1, canonical):
    target = parse_target(text, level1=level1)
    assert format_target(target) == canonical
    again = parse_target(canonical, level1=level1)
    assert (again.operator, again.value, again.unit, again.kind) == (
        target.operator,
        target.value,
        target.unit,
        target.kind,
    )


def test_operators_constant():
    assert OPERATORS == (">=", ">", "=", "<", "<=")


# --- actual values --------------------------------------------------------------------------

MONEY = parse_target("≤28万元", level1="成本指标")
PEOPLE = parse_target("≥4000人")
PERCENT = parse_target("≥90%")


@pytest.mark.parametrize(
    ("text", "target", "value"),
    [
        ("26.17万元", MONEY, "26.17"),
        ("26.17", MONEY, "26.17"),
        ("6280元", MONEY, "0.628"),
        ("2.5万", MONEY, "2.5"),
        ("1.2亿元", MONEY, "12000"),
        ("95%", PERCENT, "95"),
        ("95", PERCENT, "95"),
        ("９５％", PERCENT, "95"),
        ("4200人", PEOPLE, "4200"),
        ("4,200", PEOPLE, "4200"),
        ("2.5万人", PEOPLE, "25000"),
        ("2.5万", PEOPLE, "25000"),
        (" 4200 ", PEOPLE, "4200"),
        ("0", PEOPLE, "0"),
    ],
)
def test_parse_actual_converts_into_the_target_unit(text, target, value):
    assert parse_actual(text, target=target) == (Decimal(value), ())


@pytest.mark.parametrize(
    ("text", "target", "code"),
    [
        (None, PEOPLE, "empty"),
        ("", PEOPLE, "empty"),
        ("95%", PEOPLE, "incompatible_unit"),
        ("4200人次", PEOPLE, "incompatible_unit"),
        ("26.17万元", PERCENT, "incompatible_unit"),
        ("2.5万", PERCENT, "incompatible_unit"),
        ("大约四千", PEOPLE, "narrative"),
        ("4000-4200人", PEOPLE, "multiple_values"),
        ("4200", parse_target("及时"), "qualitative_target"),
    ],
)
def test_parse_actual_refuses_what_it_cannot_convert(text, target, code):
    value, findings = parse_actual(text, target=target)
    assert value is None
    assert findings[-1].code == code
    assert findings[-1].severity == "error"


def test_parse_actual_warns_about_operators_and_extra_text():
    value, findings = parse_actual("≥95%", target=PERCENT)
    assert value == Decimal(95)
    assert [f.code for f in findings] == ["operator_in_actual"]
    value, findings = parse_actual("实际支付26.17万元", target=MONEY)
    assert value == Decimal("26.17")
    assert [f.code for f in findings] == ["extra_text"]


def test_parse_actual_on_a_target_without_unit_keeps_the_actual_unit():
    value, findings = parse_actual("4200人", target=parse_target("≥4000"))
    assert value == Decimal(4200)
    assert [f.code for f in findings] == ["unit_not_in_target"]


def test_parse_actual_on_a_relative_target():
    assert parse_actual("96", target=parse_target("不低于上年")) == (Decimal(96), ())


# --- units and categories ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        ("25", "万人", ("250000", "人")),
        ("6280", "元", ("0.628", "万元")),
        ("1.2", "亿元", ("12000", "万元")),
        ("12", "万", ("12", "万元")),
        ("14.48", "万元", ("14.48", "万元")),
        ("90", "%", ("90", "%")),
        ("3", "个月", ("3", "月")),
        ("5", "艘", ("5", "艘")),
    ],
)
def test_to_canonical(value, unit, expected):
    result = to_canonical(Decimal(value), unit)
    assert result == (Decimal(expected[0]), expected[1])
    assert isinstance(result[0], Decimal)


@pytest.mark.parametrize(
    ("level1", "category"),
    [
        ("产出指标", "output"),
        ("产出", "output"),
        ("成本指标", "cost"),
        (" 成本 ", "cost"),
        ("效益指标", "benefit"),
        ("效果指标", "benefit"),
        ("满意度指标", "satisfaction"),
        ("满意度", "satisfaction"),
        ("资金管理", "fund_management"),
        ("资金管理指标", "fund_management"),
        ("投入管理指标", "input"),
        ("", "other"),
        (None, "other"),
        ("其他", "other"),
    ],
)
def test_category_of(level1, category):
    assert category_of(level1) == category


@pytest.mark.parametrize(
    ("level1", "level2", "name", "codes"),
    [
        ("产出指标", "数量指标", "数量指标", ()),
        ("产出指标", "质量目标", "质量指标", ("level2_normalised",)),
        ("产出指标", "时效", "时效指标", ("level2_normalised",)),
        ("效益指标", "可持续发展影响指标", "可持续影响指标", ("level2_normalised",)),
        ("成本指标", "经济成本指标", "经济成本指标", ()),
        ("满意度指标", "服务对象满意度", "服务对象满意度指标", ("level2_normalised",)),
        ("投入管理指标", "工作目标管理", "工作目标管理", ()),
        ("投入管理指标", "预算和财务管理", "预算和财务管理", ()),
        ("投入管理指标", "绩效管理", "绩效管理", ()),
        ("产出指标", "重点工作任务完成", "重点工作任务完成", ()),
        ("产出指标", "履职目标实现", "履职目标实现", ()),
        ("效益指标", "履职效益", "履职效益", ()),
        ("满意度指标", "满意度", "满意度", ()),
        ("产出指标", "成本指标", "成本指标", ()),  # the pre-2021 framework
        ("效益指标", "数量指标", "数量指标", ("level2_mismatch",)),
        ("产出指标", "工作量", "工作量", ("level2_unknown",)),
        ("产出指标", "", "", ("level2_missing",)),
        ("产出指标", None, "", ("level2_missing",)),
        (None, "质量指标", "质量指标", ()),
    ],
)
def test_normalize_level2(level1, level2, name, codes):
    result, findings = normalize_level2(level1, level2)
    assert result == name
    assert tuple(f.code for f in findings) == codes
    assert all(f.severity == "warning" for f in findings)


def test_blank_level2_message():
    assert normalize_level2("产出指标", " ")[1] == (
        Finding("level2_missing", "二级指标未填写", "warning"),
    )
