"""No endpoint lets a user of another unit read or change 027001's data.

The object endpoints are taken from the schema itself, so an endpoint added later is covered
without editing this test: every ``{id}`` operation is called with 027001's object by users
of another unit (another department, and a sibling unit of the same department), and must
answer 404 (403 at most) while the database stays exactly as it was.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile

from performance.choices import AttachmentKind
from performance.models import MonitoringReport, PerformanceGoal
from performance.services import attachments as attachment_services
from performance.services import evaluation as evaluation_services
from performance.services import library as library_services
from performance.services import monitoring as monitoring_services
from performance.services import workflow
from performance.services.recompute_jobs import recompute_request
from projects.choices import Role, UnitKind
from projects.models import Project, Unit
from projects.services import accounts
from projects.services import units as unit_services
from tests.support.evidence_files import pdf_bytes, upload
from tests.support.spot_checks import spot_check_of

from .scoping import database_state, object_operations, resource_of

pytestmark = pytest.mark.django_db

CLEAN_PROJECT = "410395220000000007669"
BODY = {
    "lock_version": 1,
    "comment": "越权操作",
    "reason": "越权调整",
    "overall_goal": "被篡改",
    "raw_value": "≥1%",
    "summary": "被篡改",
    "deviation_analysis": "被篡改",
    "quality_grade": "excellent",
}


@pytest.fixture
def sibling(demo):
    """The 填报人 of 027002: same department as 027001, another unit."""
    from django.contrib.auth import get_user_model

    department = Unit.objects.get(code="027")
    unit = unit_services.unit_upsert(
        code="027002", name="同部门另一单位", kind=UnitKind.UNIT, parent=department
    )
    user = get_user_model().objects.create_user("filler027002", password="x-not-used-1234")
    accounts.membership_add(user=user, unit=unit, role=Role.FILLER)
    return user


@pytest.fixture
def targets(filler, finance_reviewer, evidence_storage):
    """027001's objects of every kind the API exposes."""
    project = Project.objects.get(code=CLEAN_PROJECT)
    approved = PerformanceGoal.objects.get(project=project, version=1)
    draft = workflow.goal_adjust(goal=approved, actor=filler, reason="预算调整")
    monitoring_services.monitoring_round_open(
        actor=finance_reviewer,
        year=2022,
        data_month=7,
        opens_on=dt.date(2022, 8, 1),
        deadline=dt.date(2022, 8, 31),
    )
    evaluation = evaluation_services.evaluation_start(actor=filler, year=2022, project=project)
    job = recompute_request(actor=finance_reviewer, year=2022, unit=project.unit)
    job.output_file.save("result.xlsx", ContentFile(b"PK\x03\x04"), save=True)
    [attachment] = attachment_services.attachment_add(
        actor=filler,
        anchor=attachment_services.Anchor(kind=AttachmentKind.EVALUATION, obj=evaluation),
        files=[upload("佐证.pdf", pdf_bytes())],
    )
    spot_check = spot_check_of(evaluation, note="越权检查", published=True)  # 027001's to read
    library = library_services.library_entry_create(
        actor=None,
        owner=Unit.objects.get(code="027"),
        data={
            "level1": "产出指标",
            "level2": "数量指标",
            "level3": "越权检查指标",
            "nature": ">=",
            "measure_unit": "人",
            "reference_value": "≥10人",
        },
    )
    from performance.models import ImportRun
    from performance.services.imports import import_run
    from performance.services.rectifications import rectification_raise
    from tests.support.import_helpers import csv_bytes, rows

    checked = import_run(
        kind="targets", actor=filler, file=csv_bytes(rows(1)), filename="越权.csv", dry_run=True
    )
    task = rectification_raise(
        actor=None,
        unit=project.unit,
        year=2022,
        problem="越权检查：整改问题",
        deadline=dt.date.today() + dt.timedelta(days=30),
    )
    return {
        "imports": ImportRun.objects.get(pk=checked.run_id),  # /imports/runs/{id}/
        "rectifications": task,
        "library": library,
        "spot-checks": spot_check,
        "attachments": attachment,
        "units": project.unit,
        "projects": project,
        "goals": draft,
        "indicators": draft.indicators.first(),
        "monitoring-reports": MonitoringReport.objects.get(project=project),
        "evaluations": evaluation,
        "jobs": job,
    }


@pytest.mark.parametrize("who", ["outsider", "outsider_dept_reviewer", "sibling"])
def test_another_units_objects_are_404_for_every_operation_and_nothing_changes(
    who, request, api, targets
):
    client = api(request.getfixturevalue(who))
    operations = object_operations()
    shared = {"monitoring-rounds", "schemes"}  # rules and rounds hold no unit's data
    covered = {resource_of(t) for t, _ in operations} - shared
    assert covered <= set(targets), f"no target object for {covered - set(targets)}"
    before = database_state()
    for template, method in operations:
        resource = resource_of(template)
        if resource in shared:
            continue
        url = template.replace("{id}", str(targets[resource].pk))
        response = getattr(client, method)(url, BODY if method in {"post", "patch"} else None)
        assert response.status_code in (403, 404), f"{method.upper()} {url}: {response.status_code}"
        if method == "get":
            assert response.status_code == 404, f"GET {url} must look like a missing object"
    assert database_state() == before


def test_foreign_objects_cannot_be_named_in_requests(api, outsider, targets):
    client = api(outsider)
    before = database_state()
    project, goal, unit = targets["projects"], targets["goals"], targets["units"]
    refused = [
        client.post("/api/v1/goals/", {"scope": "project", "year": 2022, "project": project.pk}),
        client.post("/api/v1/goals/", {"scope": "unit", "year": 2030, "unit": unit.pk}),
        client.post(
            "/api/v1/indicators/", {"goal": goal.pk, "level1": "产出指标", "level3": "越权"}
        ),
        client.post("/api/v1/evaluations/", {"year": 2022, "project": project.pk}),
        client.post("/api/v1/recompute/", {"year": 2022, "unit": unit.pk}),
    ]
    for response in refused:
        assert response.status_code == 400, response.content
        assert response.json()["code"] == "invalid"
    assert database_state() == before


def test_lists_and_summaries_hold_no_foreign_rows(api, outsider, targets):
    client = api(outsider)
    for url in (
        "/api/v1/goals/",
        "/api/v1/indicators/",
        "/api/v1/monitoring-reports/",
        "/api/v1/evaluations/",
        "/api/v1/projects/",
        "/api/v1/units/",
        "/api/v1/jobs/",
        "/api/v1/attachments/",
    ):
        rows = client.get(url, {"page_size": 200}).json()["results"]
        ids = {row["id"] for row in rows}
        resource = url.split("/")[3]
        assert targets[resource].pk not in ids, url
        for row in rows:
            unit = row.get("unit") or {}
            code = unit.get("code") if isinstance(unit, dict) else row.get("code")
            assert code not in {"027001", "027"}, url
    for params in ({"unit": "027001"}, {"department": "027"}):
        assert client.get("/api/v1/goals/", params).json()["results"] == []
        assert client.get("/api/v1/summaries/", params).json() == []
