"""Budgets, ceilings and forecasts in 万元 are never negative: the services answer with a
field-level Chinese message, the admin shows it on the field, and the database refuses what slips
past (check constraints). Execution records stay signed: a correction is a negative amount."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from performance.models import MonitoringReport, PerformanceGoal, SelfEvaluation
from performance.models.goals import BUDGET_FIELDS
from performance.services import evaluation as evaluation_services
from performance.services import goals as goal_services
from performance.services import monitoring as monitoring_services
from projects.choices import FundSource
from projects.models import ExecutionRecord, Project, ProjectBudget
from projects.services import projects as project_services
from tests.support.admin_forms import admin_form_data

from ...support.goal_helpers import new_goal
from ...support.import_helpers import csv_bytes, db_counts, error_codes, row

pytestmark = pytest.mark.django_db

NEGATIVE = "金额（万元）不能为负数。"
PROJECT = "410395220000000007669"


def test_the_goal_service_refuses_a_negative_budget_on_the_field(filler):
    goal = new_goal(filler)
    with pytest.raises(ValidationError) as error:
        goal_services.goal_update(
            goal=goal,
            data={"budget_total": Decimal("-100"), "overall_goal": "同时修改的文字"},
            actor=filler,
        )
    assert error.value.message_dict == {"budget_total": [NEGATIVE]}
    fresh = PerformanceGoal.objects.get(pk=goal.pk)
    assert (fresh.budget_total, fresh.lock_version) == (None, 1)


def test_a_new_goal_with_a_negative_budget_is_refused(filler):
    before = PerformanceGoal.objects.count()
    with pytest.raises(ValidationError) as error:
        new_goal(filler, budget_basic=Decimal("-0.000001"))
    assert error.value.message_dict == {"budget_basic": [NEGATIVE]}
    assert PerformanceGoal.objects.count() == before


def test_the_project_budget_service_refuses_negative_amounts_on_the_field(filler):
    project = Project.objects.get(code=PROJECT)
    for amount, adjusted, field in (("-1", "1", "amount"), ("1", "-1", "adjusted_amount")):
        with pytest.raises(ValidationError) as error:
            project_services.project_set_budget(
                project=project,
                fund_source=FundSource.CARRYOVER,
                amount=Decimal(amount),
                adjusted_amount=Decimal(adjusted),
                actor=filler,
            )
        assert error.value.message_dict == {field: [NEGATIVE]}
    assert not ProjectBudget.objects.filter(project=project, fund_source="carryover").exists()


def test_the_message_speaks_english_when_asked():
    from django.utils import translation

    from projects.models import non_negative_amount

    with translation.override("en"):
        assert str(non_negative_amount.message) == "The amount (in 10,000 yuan) cannot be negative."
    with translation.override("zh-hans"):
        assert str(non_negative_amount.message) == NEGATIVE


def test_the_goal_admin_shows_a_negative_budget_on_its_field(login, filler):
    goal = new_goal(filler)
    url = reverse("admin:performance_performancegoal_change", args=[goal.pk])
    page = login(filler).get(url)
    response = login(filler).post(url, admin_form_data(page, budget_total="-100"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["budget_total"] == [NEGATIVE]
    assert PerformanceGoal.objects.get(pk=goal.pk).budget_total is None


def test_the_project_admin_shows_a_negative_budget_on_the_row(login, filler):
    project = Project.objects.get(code=PROJECT)
    budget = project.budgets.get()
    url = reverse("admin:projects_project_change", args=[project.pk])
    page = login(filler).get(url)
    formset = page.context["inline_admin_formsets"][0].formset
    prefix = next(f.prefix for f in formset.forms if f.instance.pk == budget.pk)
    response = login(filler).post(url, admin_form_data(page, **{f"{prefix}-amount": "-14.48"}))
    assert response.status_code == 200
    row_errors = next(
        f.errors
        for f in response.context["inline_admin_formsets"][0].formset.forms
        if f.instance.pk == budget.pk
    )
    assert row_errors["amount"] == [NEGATIVE]
    assert ProjectBudget.objects.get(pk=budget.pk).amount == budget.amount


def test_the_import_refuses_a_negative_amount_with_row_and_column(filler):
    before = db_counts()
    result = targets_import_csv(filler, [row(**{"资金总额(万元)": "-10.5"})])
    assert error_codes(result) == ["negative_number"]
    assert (result.errors[0].row, result.errors[0].column) == (2, "资金总额(万元)")
    assert db_counts() == before


def targets_import_csv(actor, rows):
    from performance.services.imports import targets_import

    return targets_import(actor=actor, file=csv_bytes(rows), filename="amounts.csv")


def test_a_negative_execution_amount_is_a_correction_and_stays_allowed(filler):
    project = Project.objects.get(code=PROJECT)
    record = project_services.execution_add(
        project=project, date=dt.date(2022, 6, 1), amount=Decimal("-0.5"), actor=filler
    )
    assert ExecutionRecord.objects.get(pk=record.pk).amount == Decimal("-0.5")


# --- the database is the last line ---------------------------------------------------------------


def refused_by_the_database(queryset, **values) -> bool:
    try:
        with transaction.atomic():
            queryset.update(**values)
    except IntegrityError:
        return True
    return False


@pytest.mark.parametrize("field", BUDGET_FIELDS)
def test_the_database_refuses_a_negative_goal_budget(demo, field):
    goals = PerformanceGoal.objects.filter(unit__code="027001", scope="unit")
    assert refused_by_the_database(goals, **{field: Decimal("-1")})
    assert not refused_by_the_database(goals, **{field: None})
    assert not refused_by_the_database(goals, **{field: Decimal("0")})


def test_the_database_refuses_negative_project_budgets(demo):
    budgets = ProjectBudget.objects.filter(project__code=PROJECT)
    assert refused_by_the_database(budgets, amount=Decimal("-1"))
    assert refused_by_the_database(budgets, adjusted_amount=Decimal("-1"))


def test_the_database_refuses_negative_report_and_evaluation_amounts(filler, finance_reviewer):
    monitoring_services.monitoring_round_open(
        actor=finance_reviewer,
        year=2022,
        data_month=7,
        opens_on=dt.date(2022, 8, 1),
        deadline=dt.date(2022, 8, 31),
    )
    reports = MonitoringReport.objects.filter(project__code=PROJECT)
    assert refused_by_the_database(reports, budget=Decimal("-1"))
    assert refused_by_the_database(reports, forecast_executed=Decimal("-1"))
    assert not refused_by_the_database(reports, executed=Decimal("-1"))  # corrections
    project = Project.objects.get(code=PROJECT)
    evaluation = evaluation_services.evaluation_start(actor=filler, year=2022, project=project)
    evaluations = SelfEvaluation.objects.filter(pk=evaluation.pk)
    assert refused_by_the_database(evaluations, budget=Decimal("-1"))


def test_the_demo_satisfies_every_amount_constraint(demo):
    from django.db.models import Q

    for name in BUDGET_FIELDS:
        assert not PerformanceGoal.objects.filter(**{f"{name}__lt": 0}).exists()
    assert not ProjectBudget.objects.filter(Q(amount__lt=0) | Q(adjusted_amount__lt=0)).exists()
    assert not SelfEvaluation.objects.filter(budget__lt=0).exists()
