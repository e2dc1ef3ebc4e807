"""Interim (period) targets through the API: ``period_targets`` on indicators (validated against
the annual 指标值) and the monitoring entry's comparison basis (design issue 16, P1–P3)."""

from __future__ import annotations

import datetime as dt

import pytest

from performance.models import Indicator, MonitoringReport, PerformanceGoal
from performance.services import monitoring as monitoring_services
from performance.services import workflow
from tests.support.goal_helpers import GOOD_INDICATORS, new_project

pytestmark = pytest.mark.django_db

HOUSEHOLDS = {
    "level1": "产出指标",
    "level2": "数量指标",
    "level3": "走访户数",
    "raw_value": "≥100个",
}


def _create(api, filler, plan) -> PerformanceGoal:
    project = new_project(filler)
    response = api(filler).post(
        "/api/v1/goals/",
        {
            "scope": "project",
            "year": project.year,
            "project": project.pk,
            "overall_goal": "完成全年走访。",
            "indicators": [*GOOD_INDICATORS, {**HOUSEHOLDS, "period_targets": plan}],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    return PerformanceGoal.objects.get(pk=response.json()["id"])


def _june_entry(api, goal, filler, dept_reviewer, finance_reviewer) -> dict:
    workflow.submit(obj=goal, actor=filler)
    workflow.approve(obj=goal, actor=dept_reviewer)
    workflow.approve(obj=goal, actor=finance_reviewer)
    monitoring_services.monitoring_round_open(
        actor=finance_reviewer,
        year=goal.year,
        data_month=6,
        opens_on=dt.date(goal.year, 7, 1),
        deadline=dt.date(goal.year, 7, 20),
    )
    report = MonitoringReport.objects.get(project=goal.project, round__data_month=6)
    indicator = goal.indicators.get(level3="走访户数")
    response = api(filler).patch(
        f"/api/v1/monitoring-reports/{report.pk}/",
        {
            "lock_version": report.lock_version,
            "entries": [{"indicator": indicator.pk, "value_raw": "45"}],
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    response = api(filler).get(f"/api/v1/monitoring-reports/{report.pk}/")
    (entry,) = [e for e in response.json()["entries"] if e["indicator"]["id"] == indicator.pk]
    return entry


@pytest.mark.parametrize(
    ("values", "light", "expected"),
    [(["20", "50", "80", "100"], "green", "50"), (["60", "80", "90", "100"], "red", "80")],
)
def test_quarterly_plan_lights_45_by_june_against_the_period_target(
    api, filler, dept_reviewer, finance_reviewer, values, light, expected
):
    plan = {"kind": "quarter", "mode": "cumulative", "values": values}
    goal = _create(api, filler, plan)
    indicator = goal.indicators.get(level3="走访户数")
    shown = api(filler).get(f"/api/v1/indicators/{indicator.pk}/").json()["period_targets"]
    assert (shown["kind"], shown["mode"]) == ("quarter", "cumulative")
    assert [float(v) for v in shown["values"]] == [float(v) for v in values]
    entry = _june_entry(api, goal, filler, dept_reviewer, finance_reviewer)
    assert entry["light"] == light
    assert float(entry["expected_value"]) == float(expected)
    assert entry["expected_basis"] == "period"
    assert entry["expected_period"] == 2


def test_without_a_plan_the_entry_says_the_annual_target_was_prorated(
    api, filler, dept_reviewer, finance_reviewer
):
    goal = _create(api, filler, None)
    indicator = goal.indicators.get(level3="走访户数")
    assert api(filler).get(f"/api/v1/indicators/{indicator.pk}/").json()["period_targets"] is None
    entry = _june_entry(api, goal, filler, dept_reviewer, finance_reviewer)
    assert (entry["light"], entry["expected_basis"], entry["expected_period"]) == (
        "green",
        "prorated",
        None,
    )


def test_a_plan_that_misses_the_annual_target_is_a_field_error_and_changes_nothing(api, filler):
    goal = _create(api, filler, None)
    indicator = goal.indicators.get(level3="走访户数")
    response = api(filler).patch(
        f"/api/v1/indicators/{indicator.pk}/",
        {
            "lock_version": indicator.lock_version,
            "period_targets": {"kind": "quarter", "mode": "cumulative", "values": [20, 50, 80, 90]},
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "period_target_4": ["第4期累计目标 90 应等于全年目标值 100。"]
    }
    fresh = Indicator.objects.get(pk=indicator.pk)
    assert (fresh.period_kind, fresh.lock_version) == ("", indicator.lock_version)


def test_an_unknown_period_kind_is_refused_by_the_schema(api, filler):
    goal = _create(api, filler, None)
    indicator = goal.indicators.get(level3="走访户数")
    response = api(filler).patch(
        f"/api/v1/indicators/{indicator.pk}/",
        {
            "lock_version": indicator.lock_version,
            "period_targets": {"kind": "month", "mode": "cumulative", "values": ["100"]},
        },
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["period_targets.kind"]


def test_a_plan_can_be_set_and_cleared_with_patch(api, filler):
    goal = _create(api, filler, None)
    indicator = goal.indicators.get(level3="走访户数")
    plan = {"kind": "half", "mode": "per_period", "values": ["40个", "60"]}
    response = api(filler).patch(
        f"/api/v1/indicators/{indicator.pk}/",
        {"lock_version": indicator.lock_version, "period_targets": plan},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert [float(v) for v in response.json()["period_targets"]["values"]] == [40, 60]
    response = api(filler).patch(
        f"/api/v1/indicators/{indicator.pk}/",
        {"lock_version": response.json()["lock_version"], "period_targets": None},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["period_targets"] is None
