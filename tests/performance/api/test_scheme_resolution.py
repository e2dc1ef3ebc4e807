"""Which scoring scheme applies to a unit in a year: one answer for monitoring, self-evaluation,
the API and the dashboard — including when there is none to give.

The API and the dashboard used to fall back quietly to the national scheme where monitoring and
evaluation refused, and nothing said which year an assignment was for: a province moving to a
new scheme for next year re-scored this year's evaluations, still being filled, with it.
"""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.urls import reverse

from performance import scoring
from performance.models import SchemeAssignment, ScoringScheme
from performance.selectors.schemes import scheme_lookup
from performance.services.evaluation import evaluation_start
from performance.services.monitoring import monitoring_round_open
from performance.services.schemes import scheme_assignment_save, scheme_save
from projects.models import Project, Unit
from projects.services import projects as project_services

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]
PROJECT_CODE = "410395220000000007669"  # 027001's 社保、医保经办经费 2022: 14.48万元
DASHBOARD = reverse("performance_dashboard")
NO_SCHEME = (
    "“伊滨经开区（示范区）社会保障事务服务中心”没有适用的评分方案：本单位和上级单位都没有指定"
    "评分方案，也没有默认方案。请管理员在“评分方案”中指定一个默认方案，或在“评分方案适用单位”中"
    "为本单位或上级单位指定方案。"
)


@pytest.fixture
def spent_2022(demo):
    """12 of 14.48万元 spent by June: 82.872…%, 82.87 rounded half-up to two places."""
    project = Project.objects.get(code=PROJECT_CODE, year=2022)
    project_services.execution_add(project=project, date=dt.date(2022, 6, 30), amount=Decimal("12"))
    return project


def _open_round(actor, year: int):
    return monitoring_round_open(
        actor=actor,
        year=year,
        data_month=7,
        opens_on=dt.date(year, 8, 1),
        deadline=dt.date(year, 8, 20),
    )


def test_without_any_scheme_the_api_and_the_dashboard_refuse_as_monitoring_does(
    spent_2022, api, login, filler, finance_reviewer
):
    ScoringScheme.objects.update(is_default=False)
    SchemeAssignment.objects.filter(unit__code="410300").delete()  # the bureau's: national
    unit = Unit.objects.get(code="027001")

    with pytest.raises(ValidationError) as refused:
        _open_round(finance_reviewer, 2022)
    assert refused.value.messages == [NO_SCHEME]

    for url in (
        f"/api/v1/units/{unit.pk}/summary/?year=2022",
        f"/api/v1/projects/{spent_2022.pk}/",
    ):
        response = api(filler).get(url)
        assert response.status_code == 400, url
        assert (response.json()["code"], response.json()["detail"]) == ("no_scheme", NO_SCHEME)

    page = login(filler).get(DASHBOARD, {"year": 2022})
    assert page.status_code == 200
    text = page.content.decode()
    assert NO_SCHEME in text
    assert 'class="light light-' not in text  # no light judged by a scheme nobody chose


@pytest.fixture
def truncating_from_2023(demo):
    """主管部门 027 moves to a scheme that truncates 执行率 to whole percents, from 2023 on."""
    scheme = scheme_save(
        data={
            "code": "whole-percent",
            "name": "执行率取整",
            "execution_weight": Decimal(10),
            "weight_output": Decimal(50),
            "weight_benefit": Decimal(30),
            "weight_satisfaction": Decimal(10),
            "rate_rounding": "truncate",
            "rate_places": 0,
        }
    )
    scheme_assignment_save(
        data={"unit": Unit.objects.get(code="027"), "scheme": scheme, "from_year": 2023}
    )
    return scheme


def test_each_year_is_scored_and_read_with_the_scheme_assigned_for_it(
    truncating_from_2023, spent_2022, api, login, filler, finance_reviewer
):
    # 2022 (the national scheme, from the bureau): evaluation, monitoring, API and dashboard
    evaluation = evaluation_start(actor=filler, year=2022, project=spent_2022)
    assert evaluation.scheme.code == "national"
    assert evaluation.execution_rate == Decimal("82.87")
    (report,) = _open_round(finance_reviewer, 2022).reports.filter(project=spent_2022)
    assert report.execution_rate == Decimal("82.87")
    project = api(filler).get(f"/api/v1/projects/{spent_2022.pk}/").json()
    assert Decimal(project["execution_rate"]) == Decimal("82.87")

    # 2023 (the new scheme): the same figures, truncated to whole percents everywhere
    project_2023 = project_services.project_save(
        data={
            "code": PROJECT_CODE,
            "name": "社保、医保经办经费",
            "unit": Unit.objects.get(code="027001"),
            "year": 2023,
            "category": "operating",
        }
    )
    project_services.project_set_budget(
        project=project_2023, fund_source="general_public", amount=Decimal("14.48")
    )
    project_services.execution_add(
        project=project_2023, date=dt.date(2023, 6, 30), amount=Decimal("12")
    )
    project = api(filler).get(f"/api/v1/projects/{project_2023.pk}/").json()
    assert Decimal(project["execution_rate"]) == Decimal("82")
    unit = Unit.objects.get(code="027001")
    summary = api(filler).get(f"/api/v1/units/{unit.pk}/summary/?year=2023").json()
    assert Decimal(summary["execution_rate"]) == Decimal("82")
    page = login(filler).get(DASHBOARD, {"year": 2023, "unit": "027001"})
    assert page.context["figures"]["execution"]["total"]["rate"] == Decimal("82")
    # … while 2022 keeps the national scheme's two places
    page = login(filler).get(DASHBOARD, {"year": 2022, "unit": "027001"})
    total = page.context["figures"]["execution"]["total"]
    national = ScoringScheme.objects.get(code="national").to_engine()
    rate = scoring.execution_rate(
        budget=total["budget"], executed=total["executed"], scheme=national
    )
    assert total["rate"] == rate and rate.as_tuple().exponent == -2


def test_the_nearest_unit_with_an_assignment_covering_the_year_decides(
    demo, django_assert_max_num_queries
):
    schemes = {s.code: s for s in ScoringScheme.objects.all()}
    units = {u.code: u for u in Unit.objects.filter(code__in=["027", "027001"])}
    scheme_assignment_save(
        data={"unit": units["027"], "scheme": schemes["cost-variant"], "from_year": 2024}
    )
    scheme_assignment_save(
        data={"unit": units["027001"], "scheme": schemes["henan-2023"], "from_year": 2023}
    )
    with django_assert_max_num_queries(2):
        scheme_of = scheme_lookup([units["027001"].path])
        found = {
            (code, year): scheme_of(units[code].path, year).code
            for code in ("027", "027001")
            for year in (2022, 2023, 2024, 2025)
        }
    assert found == {
        ("027", 2022): "national",  # the bureau's, undated: every year
        ("027", 2023): "national",
        ("027", 2024): "cost-variant",
        ("027", 2025): "cost-variant",
        ("027001", 2022): "national",  # its own starts in 2023, its department's in 2024
        ("027001", 2023): "henan-2023",
        ("027001", 2024): "henan-2023",  # the nearest unit wins over a later, farther one
        ("027001", 2025): "henan-2023",
    }


def test_a_unit_has_one_undated_assignment_and_one_per_starting_year(demo):
    unit = Unit.objects.get(code="027")
    national = ScoringScheme.objects.get(code="national")
    scheme_assignment_save(data={"unit": unit, "scheme": national})
    scheme_assignment_save(data={"unit": unit, "scheme": national, "from_year": 2024})
    for from_year in (None, 2024):
        with pytest.raises(ValidationError):
            scheme_assignment_save(data={"unit": unit, "scheme": national, "from_year": from_year})
    assert SchemeAssignment.objects.filter(unit=unit).count() == 2


def test_the_migration_makes_the_national_scheme_the_default_when_there_is_none(demo):
    path = next((ROOT / "performance" / "migrations").glob("*_ensure_default_scheme.py"))
    migration = importlib.import_module(f"performance.migrations.{path.stem}")
    ScoringScheme.objects.update(is_default=False)
    migration.ensure_default_scheme(django_apps, None)
    assert list(ScoringScheme.objects.filter(is_default=True).values_list("code", flat=True)) == [
        "national"
    ]
    migration.ensure_default_scheme(django_apps, None)  # a default exists: nothing changes
    assert ScoringScheme.objects.filter(is_default=True).count() == 1
