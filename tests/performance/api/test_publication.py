"""绩效公开 through /api/v1/publications/: the unit's file, the department's package job."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from openpyxl import load_workbook

from performance.choices import JobStatus
from projects.models import AuditAction, AuditEntry

pytestmark = pytest.mark.django_db
URL = "/api/v1/publications/"


@pytest.fixture
def dept305(demo):
    return get_user_model().objects.get(username="dept305")


def test_unit_downloads_its_publication_file(api, outsider):
    response = api(outsider).get(URL, {"unit": "305004", "year": 2023})
    assert response.status_code == 200, response.content[:300]
    content = b"".join(response.streaming_content)
    assert len(load_workbook(io.BytesIO(content), read_only=True).sheetnames) == 3
    assert "attachment" in response["Content-Disposition"]
    assert AuditEntry.objects.filter(action=AuditAction.DOWNLOAD, actor=outsider).count() == 1


def test_publication_of_foreign_unit_is_404(api, filler):
    assert api(filler).get(URL, {"unit": "305004", "year": 2023}).status_code == 404
    assert api(filler).post(URL, {"unit": "305", "year": 2023}, format="json").status_code == 404


def test_publication_refusals_are_400_in_chinese(api, outsider):
    nothing = api(outsider).get(URL, {"unit": "305004", "year": 2031})
    assert nothing.status_code == 400 and "还没有已批复" in nothing.json()["errors"]["year"][0]
    out_of_range = api(outsider).get(URL, {"unit": "305004", "year": 1800})
    assert out_of_range.status_code == 400 and "year" in out_of_range.json()["errors"]


def test_department_package_is_a_job_with_progress(
    api, dept305, django_capture_on_commit_callbacks, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    client = api(dept305)
    with django_capture_on_commit_callbacks(execute=True):
        queued = client.post(URL, {"unit": "305", "year": 2023}, format="json")
    assert queued.status_code == 202, queued.content[:300]
    job = client.get(f"/api/v1/jobs/{queued.json()['id']}/").json()
    assert job["status"] == JobStatus.SUCCEEDED and job["progress"] == 100
    download = client.get(f"/api/v1/jobs/{job['id']}/download/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content)[:2] == b"PK"
