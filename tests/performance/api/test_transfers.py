"""Imports of the target template and exports of the official tables through the API."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from performance.choices import JobStatus
from performance.models import Indicator, Job
from tests.support.import_helpers import NEW_CODE, csv_bytes, rows

pytestmark = pytest.mark.django_db

URL = "/api/v1/imports/targets/"


def upload(data: bytes, name: str = "targets.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def imported() -> int:
    return Indicator.objects.filter(goal__project__code=NEW_CODE).count()


def test_a_filler_imports_targets_and_gets_the_counts(api, filler):
    response = api(filler).post(URL, {"file": upload(csv_bytes(rows(2)))}, format="multipart")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["committed"] and body["ok"]
    assert body["counts"]["indicators_created"] == 2 and body["counts"]["projects_created"] == 1
    assert imported() == 2


def test_a_dry_run_reports_without_writing(api, filler):
    response = api(filler).post(
        URL, {"file": upload(csv_bytes(rows(2))), "dry_run": True}, format="multipart"
    )
    assert response.status_code == 200
    assert response.json()["committed"] is False and response.json()["dry_run"] is True
    assert imported() == 0


def test_a_file_with_errors_is_400_with_every_row_and_writes_nothing(api, filler):
    data = csv_bytes([*rows(1), *rows(1, 年度="1990"), *rows(1, 三级指标="")])
    response = api(filler).post(URL, {"file": upload(data)}, format="multipart")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "import_errors"
    assert body["result"]["committed"] is False
    assert {issue["row"] for issue in body["result"]["errors"]} >= {3, 4}
    assert any("第3行" in text for text in body["errors"]["file"])
    assert imported() == 0


def test_a_missing_file_is_a_field_error(api, filler):
    response = api(filler).post(URL, {}, format="multipart")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["file"]


def test_rows_of_another_unit_are_refused(api, outsider):
    response = api(outsider).post(URL, {"file": upload(csv_bytes(rows(2)))}, format="multipart")
    assert response.status_code in (400, 403)
    assert imported() == 0


def test_reviewers_without_an_editing_role_cannot_import(api, dept_reviewer):
    response = api(dept_reviewer).post(
        URL, {"file": upload(csv_bytes(rows(2)))}, format="multipart"
    )
    assert response.status_code == 403
    assert imported() == 0


@override_settings(IMPORT_ASYNC_ROWS=3)
def test_a_large_upload_becomes_a_job_the_caller_can_follow(
    api, filler, django_capture_on_commit_callbacks
):
    client = api(filler)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {"file": upload(csv_bytes(rows(5)))}, format="multipart")
    assert response.status_code == 202
    job = client.get(f"/api/v1/jobs/{response.json()['id']}/").json()
    assert (job["kind"], job["status"], job["progress"]) == ("import_targets", "succeeded", 100)
    assert job["result"]["counts"]["indicators_created"] == 5
    assert Job.objects.get(pk=job["id"]).status == JobStatus.SUCCEEDED
    assert imported() == 5


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook_of(response):
    from io import BytesIO

    from openpyxl import load_workbook

    return load_workbook(BytesIO(b"".join(response.streaming_content)))


@pytest.mark.parametrize("kind", ["project_targets", "unit_targets", "targets_flat"])
def test_a_unit_exports_its_official_tables(api, filler, kind):
    response = api(filler).get(f"/api/v1/exports/{kind}/", {"unit": "027001", "year": 2022})
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"].startswith("attachment;")
    assert workbook_of(response).sheetnames


def test_a_department_exports_its_units_and_the_flat_template_reimports(api, dept_reviewer):
    response = api(dept_reviewer).get(
        "/api/v1/exports/targets_flat/", {"unit": "027", "year": 2022}
    )
    assert response.status_code == 200
    sheet = workbook_of(response).active
    codes = {row[1] for row in sheet.iter_rows(min_row=2, values_only=True) if row[1]}
    assert codes == {"027001"}


def test_exports_of_another_unit_are_404(api, outsider):
    response = api(outsider).get(
        "/api/v1/exports/project_targets/", {"unit": "027001", "year": 2022}
    )
    assert response.status_code == 404


def test_export_parameters_are_checked(api, filler):
    client = api(filler)
    unknown = client.get("/api/v1/exports/budget/", {"unit": "027001", "year": 2022})
    assert unknown.status_code == 400 and list(unknown.json()["errors"]) == ["kind"]
    missing = client.get("/api/v1/exports/project_targets/", {"unit": "027001"})
    assert missing.status_code == 400 and list(missing.json()["errors"]) == ["year"]


def test_every_import_kind_has_its_route_and_a_second_import_says_nothing_changed(api, filler):
    from django.urls import reverse

    from performance.services.imports import KINDS

    for name in KINDS:
        assert reverse(f"api:import-{name}") == f"/api/v1/imports/{name}/"
    upload = SimpleUploadedFile("t.csv", csv_bytes(rows(2)), content_type="text/csv")
    client = api(filler)
    first = client.post("/api/v1/imports/targets/", {"file": upload}, format="multipart")
    assert first.status_code == 200
    assert (first.json()["kind"], first.json()["changed"]) == ("targets", True)
    upload = SimpleUploadedFile("t.csv", csv_bytes(rows(2)), content_type="text/csv")
    again = client.post("/api/v1/imports/targets/", {"file": upload}, format="multipart")
    assert again.status_code == 200
    assert again.json()["changed"] is False
    assert "没有任何变化" in again.json()["summary"]
    assert client.post("/api/v1/imports/nonsense/", {}, format="multipart").status_code == 404


def test_api_dry_run_lists_the_projects_it_would_create(api, filler):
    response = api(filler).post(
        URL, {"file": upload(csv_bytes(rows(2))), "dry_run": True}, format="multipart"
    )
    assert response.status_code == 200, response.content
    assert response.json()["new_projects"] == [{"code": NEW_CODE, "name": "导入测试项目"}]
