"""An upload or a recompute started in the admin lands on its job page, which shows the progress
and reloads itself until the job has finished."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from performance.choices import JobStatus
from performance.models import Job
from performance.services.jobs import job_progress, job_start
from tests.support.import_helpers import csv_bytes, rows

pytestmark = pytest.mark.django_db

IMPORT = reverse("admin:performance_performancegoal_import")
RECOMPUTE = reverse("admin:performance_job_recompute")
REFRESH = '<meta http-equiv="refresh" content="3">'


def job_page(client, job: Job) -> str:
    response = client.get(reverse("admin:performance_job_change", args=[job.pk]))
    assert response.status_code == 200
    return response.content.decode()


@override_settings(IMPORT_ASYNC_ROWS=3)
def test_a_large_upload_lands_on_its_job_page_which_follows_the_progress(login, filler):
    client = login(filler)
    upload = SimpleUploadedFile("targets.csv", csv_bytes(rows(6)), content_type="text/csv")
    response = client.post(IMPORT, {"import_file": upload}, follow=True)  # the task is queued

    job = Job.objects.get(created_by=filler)
    assert response.redirect_chain == [
        (reverse("admin:performance_job_change", args=[job.pk]), 302)
    ]
    page = response.content.decode()
    assert f"文件较大，已转入后台任务 #{job.pk}导入" in page
    assert "排队中（页面自动刷新）" in page
    assert '<progress value="0" max="100"' in page and REFRESH in page

    job_start(job_id=job.pk, total=6)
    job_progress(job_id=job.pk, processed=3)
    page = job_page(client, job)
    assert "运行中（页面自动刷新）" in page
    assert '<progress value="50" max="100"' in page and "50%（3/6）" in page
    assert REFRESH in page


@override_settings(IMPORT_ASYNC_ROWS=3)
def test_a_finished_import_shows_a_full_bar_and_stops_reloading(
    login, filler, django_capture_on_commit_callbacks
):
    client = login(filler)
    upload = SimpleUploadedFile("targets.csv", csv_bytes(rows(6)), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(IMPORT, {"import_file": upload})

    job = Job.objects.get(created_by=filler)
    assert job.status == JobStatus.SUCCEEDED
    page = job_page(client, job)
    assert "已完成" in page and '<progress value="100" max="100"' in page
    assert REFRESH not in page


def test_a_recompute_lands_on_its_job_page_which_reloads_while_queued(login, dept_reviewer):
    client = login(dept_reviewer)
    department = dept_reviewer.memberships.get().unit
    response = client.post(RECOMPUTE, {"year": "2022", "unit": department.pk}, follow=True)

    job = Job.objects.get(created_by=dept_reviewer)
    assert response.redirect_chain == [
        (reverse("admin:performance_job_change", args=[job.pk]), 302)
    ]
    page = response.content.decode()
    assert f"已提交重新计算任务 #{job.pk}" in page
    assert '<progress value="0" max="100"' in page and REFRESH in page


def test_someone_elses_job_page_is_a_404(login, filler, unit_reviewer):
    client = login(filler)
    upload = SimpleUploadedFile("targets.csv", csv_bytes(rows(6)), content_type="text/csv")
    with override_settings(IMPORT_ASYNC_ROWS=3):
        client.post(IMPORT, {"import_file": upload})
    job = Job.objects.get(created_by=filler)
    other = login(unit_reviewer).get(reverse("admin:performance_job_change", args=[job.pk]))
    assert other.status_code == 404
