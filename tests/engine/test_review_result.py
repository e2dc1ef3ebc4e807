"""财政复核 in the engine: the reviewed scores replace the unit's, the scheme does the rest."""

from dataclasses import replace
from decimal import Decimal as D

from performance.scoring import (
    HENAN_2023_SCHEME,
    Grade,
    Rounding,
    review_difference,
    review_result,
)

# 机关事业单位职业年金记实补记资金 as the unit scored it: execution 35.7 % (3.57 of 10), every
# indicator at its whole weight (henan-2023: 10/10/30/30/10) — 93.57.
PENSION = [
    ("fund_management", D(10), D(10)),
    ("cost", D(10), D(10)),
    ("output", D(30), D(30)),
    ("benefit", D(30), D(30)),
    ("satisfaction", D(10), D(10)),
]


def rows(reviewed: dict[str, D]):
    return [(cat, w, own, reviewed.get(cat)) for cat, w, own in PENSION]


def test_305004_pension_project_rescored_output_18_gives_81_57_good_difference_12():
    own = review_result(
        scheme=HENAN_2023_SCHEME, budget=D(100), executed=D("35.7"), indicators=rows({})
    )
    assert own.total == D("93.57") and own.grade == Grade.EXCELLENT
    result = review_result(
        scheme=HENAN_2023_SCHEME,
        budget=D(100),
        executed=D("35.7"),
        indicators=rows({"output": D(18)}),
    )
    assert result.total == D("81.57")
    assert result.grade == Grade.GOOD
    assert result.execution_score == D("3.57")  # never re-scored
    assert result.category_rates["output"] == D("60.00")
    assert review_difference(D("93.57"), result.total) == D("12.00")


def test_review_result_substitutes_reviewed_scores():
    result = review_result(
        scheme=HENAN_2023_SCHEME,
        budget=D(100),
        executed=D(100),
        indicators=[
            ("output", D(30), D(30), D("12.5")),
            ("benefit", D(30), D(20), None),  # not re-scored: the unit's score
            ("fund_management", D(10), None, None),  # no own score counts 0
        ],
    )
    assert result.category_scores["output"] == D("12.5")
    assert result.category_scores["benefit"] == D(20)
    assert result.total == D("42.50")
    assert result.grade == Grade.POOR


def test_review_result_truncating_scheme_rounds_like_the_scheme():
    truncating = replace(HENAN_2023_SCHEME, total_rounding=Rounding.TRUNCATE, total_places=1)
    result = review_result(
        scheme=truncating,
        budget=D(3),
        executed=D(2),  # 66.67 % → 6.67
        indicators=[
            (cat, w, own, D("29.99") if cat == "output" else None) for cat, w, own in PENSION
        ],
    )
    assert result.execution_score == D("6.67")
    assert result.total == D("96.6")  # 96.66 truncated, not rounded to 96.7


def test_review_difference_is_exact_and_signed():
    assert review_difference(D("81.57"), D("93.57")) == D("-12.00")
    assert review_difference(D("80.005"), D("80")) == D("0.005")
