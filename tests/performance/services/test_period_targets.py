"""Interim (period) targets through the services: the indicator service checks a plan against
the annual 指标值, and monitoring lights a value against the period target of its data month."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from performance.choices import Light
from performance.models import Indicator, MonitoringEntry, MonitoringReport
from performance.services import goals as goal_services
from performance.services import workflow
from performance.services.derived_figures import describe_entry_expectation
from performance.services.exports import export_table
from performance.services.imports import targets_import
from performance.services.monitoring import monitoring_report_update, monitoring_round_open
from performance.services.recompute import recompute_year
from tests.support.goal_helpers import GOOD_INDICATORS, new_goal, state
from tests.support.import_helpers import NEW_CODE, csv_bytes, row

pytestmark = pytest.mark.django_db

HOUSEHOLDS = {
    "level1": "产出指标",
    "level2": "数量指标",
    "level3": "走访户数",
    "raw_value": "≥100个",
}
BACK_LOADED = {"kind": "quarter", "mode": "cumulative", "values": ["20", "50", "80", "100"]}
FRONT_LOADED = {"kind": "quarter", "mode": "cumulative", "values": ["60", "80", "90", "100"]}


def _households(goal) -> Indicator:
    return goal.indicators.get(level3="走访户数")


def _goal_with(filler, plan):
    row = {**HOUSEHOLDS, "period_targets": plan} if plan else HOUSEHOLDS
    return new_goal(filler, indicators=[*GOOD_INDICATORS, row])


def _june_light(goal, filler, dept_reviewer, finance_reviewer, value="45"):
    """Approve the goal, open a June round and fill ``value`` for 走访户数: its entry."""
    workflow.submit(obj=goal, actor=filler)
    workflow.approve(obj=goal, actor=dept_reviewer)
    workflow.approve(obj=goal, actor=finance_reviewer)
    round_ = monitoring_round_open(
        actor=finance_reviewer,
        year=goal.year,
        data_month=6,
        opens_on=dt.date(goal.year, 7, 1),
        deadline=dt.date(goal.year, 7, 20),
    )
    report = MonitoringReport.objects.get(round=round_, project=goal.project)
    indicator = _households(goal)
    monitoring_report_update(
        report=report,
        actor=filler,
        data={},
        entries=[{"indicator": indicator.pk, "value_raw": value}],
    )
    return MonitoringEntry.objects.select_related("indicator").get(
        report=report, indicator=indicator
    )


def test_indicator_service_stores_a_quarterly_cumulative_plan(filler):
    goal = _goal_with(filler, BACK_LOADED)
    indicator = _households(goal)
    assert (indicator.period_kind, indicator.period_mode) == ("quarter", "cumulative")
    assert [indicator.period_target_1, indicator.period_target_4] == [20, 100]


def test_period_values_are_read_against_the_indicator_unit(filler):
    goal = _goal_with(filler, {**BACK_LOADED, "values": ["20个", "50", "80个", "100"]})
    assert _households(goal).period_target_3 == 80


@pytest.mark.parametrize(
    ("plan", "field", "message"),
    [
        (
            {**BACK_LOADED, "values": ["20", "50", "80", "90"]},
            "period_target_4",
            "第4期累计目标 90 应等于全年目标值 100。",
        ),
        (
            {**BACK_LOADED, "values": ["50", "40", "80", "100"]},
            "period_target_2",
            "累计口径的分期目标应逐期不减（第2期 40 小于第1期 50）。",
        ),
        (
            {"kind": "half", "mode": "per_period", "values": ["50", "45"]},
            "period_target_2",
            "当期口径的分期目标合计 95 应等于全年目标值 100。",
        ),
    ],
)
def test_period_targets_validated_on_indicator_save(filler, plan, field, message):
    goal = _goal_with(filler, None)
    indicator = _households(goal)
    before = state(goal)
    with pytest.raises(ValidationError) as error:
        goal_services.indicator_save(
            goal=goal,
            indicator=indicator,
            actor=filler,
            data={"period_targets": plan},
            expected_version=indicator.lock_version,
        )
    assert error.value.message_dict == {field: [message]}
    assert state(goal) == before
    assert Indicator.objects.get(pk=indicator.pk).period_kind == ""


def test_qualitative_indicator_refuses_period_targets(filler):
    goal = _goal_with(filler, None)
    indicator = goal.indicators.get(level3="经办人员业务能力")
    with pytest.raises(ValidationError) as error:
        goal_services.indicator_save(
            goal=goal, indicator=indicator, actor=filler, data={"period_targets": BACK_LOADED}
        )
    assert error.value.message_dict == {"period_kind": ["定性指标不能设置分期目标。"]}


def test_changing_the_annual_target_must_keep_the_plan_in_step(filler):
    goal = _goal_with(filler, BACK_LOADED)
    indicator = _households(goal)
    with pytest.raises(ValidationError) as error:
        goal_services.indicator_save(
            goal=goal, indicator=indicator, actor=filler, data={"raw_value": "≥120个"}
        )
    assert error.value.message_dict == {
        "period_target_4": ["第4期累计目标 100 应等于全年目标值 120。"]
    }
    saved = goal_services.indicator_save(
        goal=goal,
        indicator=indicator,
        actor=filler,
        data={
            "raw_value": "≥120个",
            "period_targets": {**BACK_LOADED, "values": [20, 50, 80, 120]},
        },
    )
    assert saved.target_value == 120 and saved.period_target_4 == 120
    cleared = goal_services.indicator_save(
        goal=goal, indicator=saved, actor=filler, data={"period_targets": None}
    )
    assert (cleared.period_kind, cleared.period_target_1) == ("", None)


def test_period_fields_are_written_only_as_one_plan(filler):
    goal = _goal_with(filler, None)
    with pytest.raises(ValidationError) as error:
        goal_services.indicator_save(
            goal=goal, indicator=_households(goal), actor=filler, data={"period_target_1": 5}
        )
    assert "period_target_1" in error.value.message_dict


def test_monitoring_light_uses_period_target_of_data_month(filler, dept_reviewer, finance_reviewer):
    entry = _june_light(_goal_with(filler, BACK_LOADED), filler, dept_reviewer, finance_reviewer)
    assert (entry.light, entry.expected_value, entry.expected_basis) == (Light.GREEN, 50, "period")
    assert entry.expected_period == 2
    assert describe_entry_expectation(entry, month=6) == "第2季度累计目标 50个"


def test_front_loaded_plan_turns_45_by_june_red_against_80(filler, dept_reviewer, finance_reviewer):
    entry = _june_light(_goal_with(filler, FRONT_LOADED), filler, dept_reviewer, finance_reviewer)
    assert (entry.light, entry.expected_value, entry.expected_basis) == (Light.RED, 80, "period")


def test_without_a_plan_june_compares_with_the_prorated_annual_target(
    filler, dept_reviewer, finance_reviewer
):
    entry = _june_light(_goal_with(filler, None), filler, dept_reviewer, finance_reviewer)
    assert (entry.light, entry.expected_value, entry.expected_basis) == (
        Light.GREEN,
        Decimal(50),
        "prorated",
    )
    assert describe_entry_expectation(entry, month=6) == "全年目标 100个 × 时间进度 50% = 50个"


def test_recompute_year_writes_the_same_expectation(filler, dept_reviewer, finance_reviewer):
    entry = _june_light(_goal_with(filler, FRONT_LOADED), filler, dept_reviewer, finance_reviewer)
    MonitoringEntry.objects.filter(pk=entry.pk).update(
        light="", expected_value=None, expected_basis="", expected_period=None
    )
    recompute_year(year=entry.indicator.goal.year)
    fresh = MonitoringEntry.objects.get(pk=entry.pk)
    assert (fresh.light, fresh.expected_value, fresh.expected_basis, fresh.expected_period) == (
        Light.RED,
        80,
        "period",
        2,
    )


def test_an_adjusted_goal_keeps_the_period_plan(filler, dept_reviewer, finance_reviewer):
    goal = _goal_with(filler, FRONT_LOADED)
    workflow.submit(obj=goal, actor=filler)
    workflow.approve(obj=goal, actor=dept_reviewer)
    workflow.approve(obj=goal, actor=finance_reviewer)
    new = workflow.goal_adjust(goal=goal, actor=filler, reason="调整分期安排")
    copied = _households(new)
    assert (copied.period_kind, copied.period_target_1, copied.period_target_4) == (
        "quarter",
        60,
        100,
    )


def test_printed_monitoring_table_says_which_target_was_used(
    filler, dept_reviewer, finance_reviewer
):
    entry = _june_light(_goal_with(filler, FRONT_LOADED), filler, dept_reviewer, finance_reviewer)
    year = entry.indicator.goal.year
    result = export_table(actor=finance_reviewer, kind="monitoring", unit="027001", year=year)
    sheet = load_workbook(io.BytesIO(result.content)).worksheets[0]
    table = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert table[3][13] == "本期比较值"
    line = next(row for row in table if row[11] == "走访户数")
    assert line[12:15] == ["≥100个", "第2季度累计目标 80个", "45"]
    assert line[20] == "红灯"


def test_reimporting_an_annual_target_that_breaks_the_plan_is_a_row_error(filler):
    first = targets_import(actor=filler, file=csv_bytes([row()]), filename="t.csv")
    assert first.ok, [str(i) for i in first.errors]
    indicator = Indicator.objects.get(goal__project__code=NEW_CODE, level3="培训人次")
    goal_services.indicator_save(
        goal=indicator.goal,
        indicator=indicator,
        actor=filler,
        data={"period_targets": {"kind": "half", "mode": "cumulative", "values": [40, 100]}},
    )
    again = targets_import(
        actor=filler, file=csv_bytes([row(指标值="≥120人次")]), filename="t2.csv"
    )
    assert not again.ok
    (issue,) = again.errors
    assert (issue.row, issue.column) == (2, "指标值")
    assert "第2期累计目标 100 应等于全年目标值 120。" in issue.message
    assert Indicator.objects.get(pk=indicator.pk).raw_value == "≥100人次"
