"""Interim (period) targets in the engine: what a value should have reached by its data month,
which target said so, and the plan's checks (design issue 16 §2.10)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from performance import scoring
from performance.scoring import Light, PeriodPlan

SCHEME = scoring.NATIONAL_SCHEME


def _plan(*values, kind="quarter", mode="cumulative") -> PeriodPlan:
    return PeriodPlan(kind, mode, tuple(Decimal(v) for v in values))


def _light(value, *, month=6, target="100", unit="个", operator=">=", plan=None):
    return scoring.progress_light(
        operator=operator,
        target=Decimal(target),
        unit=unit,
        value=Decimal(value),
        month=month,
        scheme=SCHEME,
        plan=plan,
    )


def test_quarterly_cumulative_45_by_june_is_green_against_50():
    light, expectation = _light("45", plan=_plan(20, 50, 80, 100))
    assert (light, expectation.value, expectation.basis) == (Light.GREEN, 50, "period")
    assert expectation.period == 2


def test_front_loaded_quarterly_45_by_june_is_red_against_80():
    light, expectation = _light("45", plan=_plan(60, 80, 90, 100))
    assert (light, expectation.value, expectation.basis) == (Light.RED, 80, "period")


def test_without_periods_45_by_june_is_green_against_prorated_50():
    light, expectation = _light("45")
    assert (light, expectation.value, expectation.basis) == (Light.GREEN, 50, "prorated")


def test_per_period_targets_compare_with_their_running_sum():
    light, expectation = _light("45", plan=_plan(60, 20, 10, 10, mode="per_period"))
    assert (light, expectation.value) == (Light.RED, 80)


def test_mid_quarter_round_interpolates_inside_the_period():
    light, expectation = _light("45", month=7, plan=_plan(20, 50, 80, 100))
    # 1-7月: the end of Q2 (50) plus a third of Q3's rise to 80
    assert (expectation.value, expectation.period, expectation.start) == (60, 3, 50)
    assert light == Light.YELLOW  # 45 / 60 = 75%
    _, first = _light("5", month=1, plan=_plan(30, 50, 80, 100))
    assert first.value == 10 and first.start == 0


def test_half_year_targets_use_june_and_december():
    plan = _plan(70, 100, kind="half")
    assert _light("45", plan=plan)[1].value == 70
    assert _light("45", month=3, plan=plan)[1].value == 35
    assert _light("99", month=12, plan=plan)[1].value == 100


def test_negative_indicator_with_cumulative_ceilings_turns_red_above_period_ceiling():
    plan = _plan(4, 8, 12, 14.48)
    light, expectation = _light("9", target="14.48", unit="万元", operator="<=", plan=plan)
    assert (light, expectation.value) == (Light.RED, 8)
    assert _light("7.5", target="14.48", unit="万元", operator="<=", plan=plan)[0] == Light.GREEN
    # without a plan a 反向 value is held to the whole year's ceiling
    light, expectation = _light("9", target="14.48", unit="万元", operator="<=")
    assert (light, expectation.basis) == (Light.GREEN, "annual")


def test_percentage_target_without_periods_is_not_prorated():
    light, expectation = _light("90", target="95", unit="%")
    assert (light, expectation.value, expectation.basis) == (Light.GREEN, 95, "annual")


@pytest.mark.parametrize(
    ("plan", "expected"),
    [
        (
            {"kind": "quarter", "mode": "cumulative", "values": [50, 40, 80, 100]},
            {"period_target_2": "累计口径的分期目标应逐期不减（第2期 40 小于第1期 50）。"},
        ),
        (
            {"kind": "quarter", "mode": "cumulative", "values": [20, 50, 80, 90]},
            {"period_target_4": "第4期累计目标 90 应等于全年目标值 100。"},
        ),
        (
            {"kind": "quarter", "mode": "per_period", "values": [20, 40, 20, 15]},
            {"period_target_4": "当期口径的分期目标合计 95 应等于全年目标值 100。"},
        ),
        (
            {"kind": "quarter", "mode": "cumulative", "values": [20, 50, None, 100]},
            {"period_target_3": "按季度须填写第1至第4期目标值。"},
        ),
        (
            {"kind": "half", "mode": "cumulative", "values": [50, 100, 100]},
            {"period_target_3": "按半年只能填写第1、2期目标值。"},
        ),
        (
            {"kind": "quarter", "mode": "", "values": [20, 50, 80, 100]},
            {"period_mode": "请选择分期口径：累计或当期。"},
        ),
        (
            {"kind": "quarter", "mode": "cumulative", "values": [20, 50, 80, 100], "op": None},
            {"period_kind": "定性指标不能设置分期目标。"},
        ),
        (
            {"kind": "quarter", "mode": "cumulative", "values": [20, 50, 80, 100], "rel": True},
            {"period_kind": "相对上年的指标不能设置分期目标。"},
        ),
        (
            {"kind": "quarter", "mode": "per_period", "values": [20, 30, 30, 20], "unit": "%"},
            {"period_mode": "百分比指标只能按累计口径设置分期目标。"},
        ),
        ({"kind": "quarter", "mode": "cumulative", "values": [20, 50, 80, 100]}, {}),
        ({"kind": "", "mode": "", "values": []}, {}),
    ],
)
def test_period_plan_problems_in_chinese(plan, expected):
    values = [None if v is None else Decimal(v) for v in plan["values"]]
    problems = scoring.period_plan_problems(
        kind=plan["kind"],
        mode=plan["mode"],
        values=values,
        operator=plan.get("op", ">="),
        annual=Decimal(100),
        unit=plan.get("unit", "个"),
        relative=plan.get("rel", False),
    )
    assert problems == expected


def test_describe_expectation_texts():
    plan = _plan(20, 50, 80, 100)

    def text(
        month, basis, value, *, operator=">=", target="100", unit="个", plan=plan, period=None
    ):
        return scoring.describe_expectation(
            basis=basis,
            value=Decimal(value),
            period=period,
            month=month,
            operator=operator,
            target=Decimal(target),
            unit=unit,
            plan=plan,
        )

    assert text(6, "period", "50", period=2) == "第2季度累计目标 50个"
    assert text(7, "period", "60", period=3) == (
        "第3季度目标期内折算 60个（第2季度末 50 → 第3季度末 80）"
    )
    assert text(6, "prorated", "50", plan=None) == "全年目标 100个 × 时间进度 50% = 50个"
    assert text(7, "annual", "14.48", operator="<=", target="14.48", unit="万元", plan=None) == (
        "全年目标 ≤14.48万元"
    )


@given(
    operator=st.sampled_from([">=", ">", "=", "<", "<="]),
    target=st.decimals(min_value=0, max_value=10**6, places=2),
    value=st.decimals(min_value=0, max_value=10**6, places=2),
    month=st.integers(min_value=0, max_value=12),
    unit=st.sampled_from(["个", "%", "万元"]),
)
def test_without_a_plan_the_light_is_todays_indicator_light(operator, target, value, month, unit):
    light, _ = scoring.progress_light(
        operator=operator, target=target, unit=unit, value=value, month=month, scheme=SCHEME
    )
    assert light == scoring.indicator_light(
        operator=operator,
        target=target,
        value=value,
        month=month,
        scheme=SCHEME,
        pro_rate=unit != "%",
    )
