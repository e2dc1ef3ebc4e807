"""从上年目标开始 through the API, and ``last_year`` per indicator in a goal's detail."""

from __future__ import annotations

import datetime as dt

import pytest

from performance.choices import GoalScope, Status
from performance.models import PerformanceGoal
from projects.choices import Continuity
from projects.models import Project

pytestmark = pytest.mark.django_db

GOALS = "/api/v1/goals"


def _next_year(code: str, *, continuity: str = Continuity.CONTINUING) -> Project:
    last = Project.objects.get(code=code, year__lt=2024)
    return Project.objects.create(
        code=last.code,
        name=last.name,
        unit=last.unit,
        year=last.year + 1,
        category=last.category,
        continuity=continuity,
    )


def _approved(unit_code: str, year: int) -> PerformanceGoal:
    return (
        PerformanceGoal.objects.filter(
            unit__code=unit_code, year=year, scope=GoalScope.PROJECT, status=Status.APPROVED
        )
        .order_by("project__code")
        .first()
    )


def test_start_from_last_year_answers_the_draft_with_last_year_beside(api, outsider):
    source = _approved("305004", 2023)
    project = _next_year(source.project.code)

    response = api(outsider).post(
        f"{GOALS}/start-from-last-year/", {"project": project.pk}, format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["year"], body["project"]["id"]) == ("draft", 2024, project.pk)
    before = {i.level3: i for i in source.indicators.all()}
    assert [i["level3"] for i in body["indicators"]] == list(before)
    for row in body["indicators"]:
        last = row["last_year"]
        assert last["year"] == 2023
        assert last["target_raw"] == before[row["level3"]].raw_value
        assert last["matched_by"] in ("library", "name")
    evaluated = [i["last_year"] for i in body["indicators"] if i["last_year"]["actual_raw"]]
    assert evaluated and all(row["actual_source"] == "evaluation" for row in evaluated)
    detail = api(outsider).get(f"{GOALS}/{body['id']}/").json()
    assert [i["last_year"] for i in detail["indicators"]] == [
        i["last_year"] for i in body["indicators"]
    ]


def test_start_from_last_year_refuses_a_new_project_in_chinese(api, outsider):
    project = _next_year(_approved("305004", 2023).project.code, continuity=Continuity.NEW)

    response = api(outsider).post(
        f"{GOALS}/start-from-last-year/", {"project": project.pk}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"project": ["新增项目没有上年目标，请从指标库选取指标。"]}
    assert not PerformanceGoal.objects.filter(project=project).exists()


def test_start_from_last_year_of_a_foreign_project_looks_missing(api, filler):
    project = _next_year(_approved("305004", 2023).project.code)

    response = api(filler).post(
        f"{GOALS}/start-from-last-year/", {"project": project.pk}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["project"]
    assert not PerformanceGoal.objects.filter(project=project).exists()


def test_start_from_last_year_without_project_or_unit_is_refused_in_english(api, filler):
    response = api(filler, HTTP_ACCEPT_LANGUAGE="en").post(
        f"{GOALS}/start-from-last-year/", {}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "project": ["Choose a project, or a unit and a year (for a unit-overall goal)."]
    }


def test_goal_detail_of_a_new_project_has_no_last_year(api, filler):
    goal = PerformanceGoal.objects.filter(unit__code="027001", year=2022).first()
    Project.objects.filter(pk=goal.project_id).update(continuity=Continuity.NEW)

    body = api(filler).get(f"{GOALS}/{goal.pk}/").json()

    assert body["indicators"] and all(i["last_year"] is None for i in body["indicators"])


def _started_and_approved(api, user, unit_code: str, year: int) -> PerformanceGoal:
    source = _approved(unit_code, year)
    project = _next_year(source.project.code)
    body = (
        api(user)
        .post(f"{GOALS}/start-from-last-year/", {"project": project.pk}, format="json")
        .json()
    )
    PerformanceGoal.objects.filter(pk=body["id"]).update(status=Status.APPROVED)
    return source, PerformanceGoal.objects.get(pk=body["id"])


def test_evaluation_detail_carries_last_year_per_score_row(api, filler):
    source, goal = _started_and_approved(api, filler, "027001", 2022)
    created = api(filler).post(
        "/api/v1/evaluations/", {"year": 2023, "project": goal.project_id}, format="json"
    )
    assert created.status_code == 201, created.json()

    body = api(filler).get(f"/api/v1/evaluations/{created.json()['id']}/").json()

    before = {i.level3: i.raw_value for i in source.indicators.all()}
    assert body["scores"]
    for row in body["scores"]:
        last = row["last_year"]
        assert (last["year"], last["target_raw"]) == (2022, before[row["indicator"]["level3"]])
        assert last["actual_source"] == ""  # 2022 is neither evaluated nor monitored


def test_monitoring_detail_carries_last_year_per_entry(api, outsider, finance_reviewer):
    from performance.models import IndicatorEvaluation, MonitoringReport
    from performance.services.monitoring import monitoring_round_open

    source, goal = _started_and_approved(api, outsider, "305004", 2023)
    monitoring_round_open(
        actor=finance_reviewer,
        year=2024,
        data_month=6,
        opens_on=dt.date(2024, 7, 1),
        deadline=dt.date(2024, 7, 20),
    )
    report = MonitoringReport.objects.get(goal=goal)
    actuals = dict(
        IndicatorEvaluation.objects.filter(indicator__goal=source).values_list(
            "indicator__level3", "actual_raw"
        )
    )

    body = api(outsider).get(f"/api/v1/monitoring-reports/{report.pk}/").json()

    assert body["entries"]
    for entry in body["entries"]:
        last = entry["last_year"]
        assert last["year"] == 2023
        assert last["actual_raw"] == actuals[entry["indicator"]["level3"]]
