"""绩效公开 in the admin: the unit's file from /admin/publication/, and a department's package."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from openpyxl import load_workbook

from performance.choices import JobKind, JobStatus
from performance.models import Job
from projects.models import AuditAction, AuditEntry, Unit

pytestmark = pytest.mark.django_db
PAGE = "/admin/publication/"


@pytest.fixture
def dept305(demo):
    return get_user_model().objects.get(username="dept305")


def test_unit_downloads_its_publication_file_from_the_admin(login, dept305):
    client = login(dept305)
    assert "下载单位绩效公开文件" in client.get(PAGE).content.decode()
    unit = Unit.objects.get(code="305004")
    response = client.get(PAGE, {"unit": unit.pk, "year": 2023})
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    assert len(book.sheetnames) == 3
    assert AuditEntry.objects.filter(action=AuditAction.DOWNLOAD, actor=dept305).exists()


def test_nothing_approved_is_a_clear_message(login, dept305):
    unit = Unit.objects.get(code="305004")
    page = login(dept305).get(PAGE, {"unit": unit.pk, "year": 2031}).content.decode()
    assert "还没有已批复的绩效目标或自评" in page


def test_department_package_goes_to_its_job_page(
    login, dept305, django_capture_on_commit_callbacks, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    client = login(dept305)
    department = Unit.objects.get(code="305")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(PAGE, {"unit": department.pk, "year": 2023})
    job = Job.objects.get(kind=JobKind.PUBLICATION)
    assert response.status_code == 302 and response["Location"].endswith(f"/job/{job.pk}/change/")
    assert job.status == JobStatus.SUCCEEDED and job.output_file
    assert client.get(response["Location"]).status_code == 200


def test_foreign_unit_is_not_offered(login, filler, demo):
    foreign = Unit.objects.get(code="305004")
    page = login(filler).get(PAGE, {"unit": foreign.pk, "year": 2023})
    assert page.status_code == 200 and "attachment" not in page.get("Content-Disposition", "")
    assert not AuditEntry.objects.filter(action=AuditAction.DOWNLOAD).exists()
