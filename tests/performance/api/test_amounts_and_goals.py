"""Amounts in 万元 are never negative through the API, an indicator never changes goal, and the
admin can no longer overwrite an API change from a page posted without its version."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from performance.models import Indicator, MonitoringReport, PerformanceGoal
from performance.services import monitoring as monitoring_services
from performance.services import workflow
from tests.support.admin_forms import admin_form_data

pytestmark = pytest.mark.django_db

CLEAN_PROJECT = "410395220000000007669"


@pytest.fixture
def draft(filler):
    approved = PerformanceGoal.objects.get(project__code=CLEAN_PROJECT, version=1)
    return workflow.goal_adjust(goal=approved, actor=filler, reason="预算调整")


@pytest.mark.parametrize(
    "field", ["budget_total", "budget_government", "budget_basic", "budget_project"]
)
def test_a_negative_budget_is_a_field_error_and_changes_nothing(api, filler, draft, field):
    response = api(filler).patch(
        f"/api/v1/goals/{draft.pk}/", {"lock_version": draft.lock_version, field: "-100"}
    )
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == [field]
    fresh = PerformanceGoal.objects.get(pk=draft.pk)
    assert (getattr(fresh, field), fresh.lock_version) == (getattr(draft, field), 1)


def test_a_zero_or_positive_budget_is_accepted(api, filler, draft):
    response = api(filler).patch(
        f"/api/v1/goals/{draft.pk}/", {"lock_version": 1, "budget_total": "0", "budget_basic": "1"}
    )
    assert response.status_code == 200, response.content
    fresh = PerformanceGoal.objects.get(pk=draft.pk)
    assert (fresh.budget_total, fresh.budget_basic) == (Decimal("0"), Decimal("1"))


def test_a_new_goal_with_a_negative_budget_is_refused(api, filler):
    unit = filler.memberships.get().unit
    before = PerformanceGoal.objects.count()
    response = api(filler).post(
        "/api/v1/goals/",
        {"scope": "unit", "year": 2023, "unit": unit.pk, "budget_total": "-0.01"},
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["budget_total"]
    assert PerformanceGoal.objects.count() == before


def test_a_negative_forecast_is_refused_on_a_monitoring_report(api, filler, finance_reviewer):
    monitoring_services.monitoring_round_open(
        actor=finance_reviewer,
        year=2022,
        data_month=7,
        opens_on=dt.date(2022, 8, 1),
        deadline=dt.date(2022, 8, 31),
    )
    report = MonitoringReport.objects.get(project__code=CLEAN_PROJECT)
    response = api(filler).patch(
        f"/api/v1/monitoring-reports/{report.pk}/",
        {"lock_version": report.lock_version, "forecast_executed": "-5"},
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["forecast_executed"]
    assert MonitoringReport.objects.get(pk=report.pk).forecast_executed is None


# --- an indicator stays under its goal ----------------------------------------------------------


def test_an_indicator_cannot_be_moved_to_another_goal_and_any_id_answers_alike(api, filler, draft):
    indicator = draft.indicators.order_by("pk").first()
    own_other = PerformanceGoal.objects.filter(unit__code="027001").exclude(pk=draft.pk).first()
    foreign = PerformanceGoal.objects.filter(unit__code="305004").first()
    missing = PerformanceGoal.objects.order_by("-pk").first().pk + 1000
    url = f"/api/v1/indicators/{indicator.pk}/"
    bodies = []
    for goal_id in (own_other.pk, foreign.pk, missing):
        response = api(filler).patch(url, {"lock_version": 1, "goal": goal_id, "raw_value": "≥1%"})
        assert response.status_code == 400
        bodies.append(response.json())
    assert bodies[0] == bodies[1] == bodies[2]
    assert list(bodies[0]["errors"]) == ["goal"]
    fresh = Indicator.objects.get(pk=indicator.pk)
    assert (fresh.goal_id, fresh.raw_value, fresh.lock_version) == (
        draft.pk,
        indicator.raw_value,
        1,
    )


def test_an_indicator_sent_back_with_its_own_goal_is_saved(api, filler, draft):
    indicator = draft.indicators.order_by("pk").first()
    response = api(filler).patch(
        f"/api/v1/indicators/{indicator.pk}/",
        {"lock_version": 1, "goal": draft.pk, "raw_value": "≥1人次"},
    )
    assert response.status_code == 200, response.content
    assert Indicator.objects.get(pk=indicator.pk).raw_value == "≥1人次"


# --- the admin cannot overwrite an API change with a page posted without its version -----------


def test_a_filler_page_without_its_version_cannot_overwrite_a_reviewers_api_change(
    api, client, filler, unit_reviewer, draft
):
    url = reverse("admin:performance_performancegoal_change", args=[draft.pk])
    client.force_login(filler)
    page = client.get(url)
    response = api(unit_reviewer).patch(
        f"/api/v1/goals/{draft.pk}/", {"lock_version": 1, "overall_goal": "审核人通过接口修改"}
    )
    assert response.status_code == 200
    data = {
        k: v
        for k, v in admin_form_data(page, overall_goal="填报人的旧页面").items()
        if not k.endswith("expected_version")
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "页面缺少版本号" in response.content.decode()
    fresh = PerformanceGoal.objects.get(pk=draft.pk)
    assert (fresh.overall_goal, fresh.lock_version) == ("审核人通过接口修改", 2)
