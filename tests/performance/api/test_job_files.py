"""Background jobs' files are kept ``JOB_FILE_RETENTION_DAYS`` after the job finished, then the
nightly housekeeping deletes them; the job stays, and a late download is told why (410)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from performance.choices import JobKind, JobStatus
from performance.models import Job
from performance.services import schedules
from performance.tasks import housekeeping
from projects.models import Unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.JOB_FILE_RETENTION_DAYS = 30
    return tmp_path


def job(user, *, status=JobStatus.SUCCEEDED, finished_days_ago=None, files=("in", "out")):
    row = Job.objects.create(
        kind=JobKind.EXPORT_TABLE,
        status=status,
        created_by=user,
        unit=Unit.objects.get(code="027001"),
        finished_at=None
        if finished_days_ago is None
        else timezone.now() - dt.timedelta(days=finished_days_ago),
    )
    if "in" in files:
        row.input_file.save("upload.xlsx", ContentFile(b"PK\x03\x04 in"), save=False)
    if "out" in files:
        row.output_file.save("result.xlsx", ContentFile(b"PK\x03\x04 out"), save=False)
    row.save()
    return row


def test_housekeeping_deletes_the_files_of_jobs_past_their_retention(media, finance_reviewer):
    old = job(finance_reviewer, finished_days_ago=31)
    old_failed = job(finance_reviewer, status=JobStatus.FAILED, finished_days_ago=90, files=("in",))
    recent = job(finance_reviewer, finished_days_ago=29)
    running = job(finance_reviewer, status=JobStatus.RUNNING, finished_days_ago=None)
    stale_running = job(finance_reviewer, status=JobStatus.RUNNING, finished_days_ago=60)
    old_paths = [old.input_file.name, old.output_file.name, old_failed.input_file.name]
    kept_paths = [
        f.name for j in (recent, running, stale_running) for f in (j.input_file, j.output_file)
    ]
    default_storage.delete(old_failed.input_file.name)  # already gone: still counts as done

    assert housekeeping.delay().get() == {"previews": 0, "job_files": 2}

    assert not any(default_storage.exists(path) for path in old_paths)
    assert all(default_storage.exists(path) for path in kept_paths)
    for row in (old, old_failed):
        row.refresh_from_db()
        assert not row.input_file and not row.output_file
        assert row.files_expired_at is not None
        assert row.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)  # the job itself stays
    for row in (recent, running, stale_running):
        row.refresh_from_db()
        assert row.output_file and row.files_expired_at is None
    assert housekeeping.delay().get() == {"previews": 0, "job_files": 0}


def test_a_download_after_the_files_expired_says_so(media, api, finance_reviewer):
    old = job(finance_reviewer, finished_days_ago=45)
    client = api(finance_reviewer)
    assert client.get(f"/api/v1/jobs/{old.pk}/download/").status_code == 200
    housekeeping.delay().get()

    response = client.get(f"/api/v1/jobs/{old.pk}/download/")
    assert response.status_code == 410
    body = response.json()
    today = timezone.localdate().isoformat()
    assert body["code"] == "files_expired"
    assert body["detail"] == (
        f"该任务的文件已于 {today} 按保留期限（任务结束后 30 天）清理，请重新发起导出或导入。"
    )
    shown = client.get(f"/api/v1/jobs/{old.pk}/").json()
    assert shown["download_url"] is None and shown["files_expired_at"]

    english = api(finance_reviewer, HTTP_ACCEPT_LANGUAGE="en").get(
        f"/api/v1/jobs/{old.pk}/download/"
    )
    assert english.status_code == 410
    assert english.json()["detail"].startswith(f"This job's files were deleted on {today}, 30 days")

    never = job(finance_reviewer, finished_days_ago=1, files=())
    assert client.get(f"/api/v1/jobs/{never.pk}/download/").status_code == 404


def test_the_schedule_under_its_earlier_name_is_renamed_keeping_its_time(db):
    crontab = CrontabSchedule.objects.create(minute="30", hour="4")
    PeriodicTask.objects.filter(name=schedules.HOUSEKEEPING).delete()
    PeriodicTask.objects.create(
        name="夜间清理（过期的导入预览文件）", task="performance.housekeeping", crontab=crontab
    )

    schedules.beat_schedules_ensure()

    task = PeriodicTask.objects.get(task="performance.housekeeping")  # exactly one
    assert task.name == schedules.HOUSEKEEPING and task.crontab == crontab
    assert "JOB_FILE_RETENTION_DAYS" in task.description


def test_a_job_of_an_unknown_kind_is_refused(db):
    from performance.services.jobs import job_create

    with pytest.raises(ValueError, match="unknown job kind 'exprot_table'"):
        job_create(kind="exprot_table")
    assert not Job.objects.filter(kind="exprot_table").exists()
