"""``figure``: numbers as people write them, checked on the engine's canonical values and the
published 305004 table."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from projects.numbers import AMOUNT, KINDS, PLAIN, RATE, SCORE, figure
from tests.engine.test_golden_305004 import PROJECTS, RATE_COLUMNS, result_of

# The design's table (§2.7): stored → shown.
TABLE = [
    ("28.000000", AMOUNT, "28.00"),
    ("14.4800000000000", AMOUNT, "14.48"),
    ("0.628000", AMOUNT, "0.628"),
    ("0", AMOUNT, "0.00"),
    ("-1.500000", AMOUNT, "-1.50"),
    ("6656.23", AMOUNT, "6656.23"),
    ("93.4600", RATE, "93.46%"),
    ("35.70", RATE, "35.7%"),
    ("100.00", RATE, "100%"),
    ("0.00", RATE, "0%"),
    ("99.3500", SCORE, "99.35"),
    ("10.00", SCORE, "10"),
    ("9E+1", PLAIN, "90"),
    ("2.5E+5", PLAIN, "250000"),
    ("0.000001", PLAIN, "0.000001"),
    ("-0.000", PLAIN, "0"),
]


@pytest.mark.parametrize(("stored", "kind", "shown"), TABLE)
def test_figures_read_as_published(stored, kind, shown):
    assert figure(Decimal(stored), kind) == shown


@pytest.mark.parametrize("project", PROJECTS, ids=[p["项目名称"] for p in PROJECTS])
def test_engine_results_read_as_the_published_table(project):
    result = result_of(project)
    assert figure(result.execution_rate, RATE) == project["预算执行率"]
    assert figure(result.total, SCORE) == project["自评得分"]
    for category, column in RATE_COLUMNS.items():
        assert figure(result.category_rates[category], RATE) == project[column]
    # the 单位项目绩效自评表 prints its amounts plain (28, 2.1, 0.9)
    assert (
        figure(Decimal(project["全年预算数"]).quantize(Decimal("0.000001")), PLAIN)
        == (project["全年预算数"])
    )


def test_nothing_is_shown_as_a_dash_or_empty_for_inputs():
    assert figure(None, AMOUNT) == "—"
    assert figure(None, AMOUNT, empty="") == ""


def test_words_are_left_as_they_are():
    assert figure("合规", PLAIN) == "合规"


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown figure kind"):
        figure(Decimal(1), "money")


@given(
    st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**12), max_value=10**12),
    st.sampled_from(KINDS),
)
def test_no_figure_is_ever_an_exponent(value, kind):
    shown = figure(value, kind)
    assert "E" not in shown and "e" not in shown
    assert Decimal(shown.removesuffix("%")) == value  # never rounds
    if kind != AMOUNT:
        assert not ("." in shown and shown.removesuffix("%").endswith("0"))


@given(st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**9), max_value=10**9))
def test_plain_figures_are_exact(value):
    assert Decimal(figure(value, PLAIN)) == value
