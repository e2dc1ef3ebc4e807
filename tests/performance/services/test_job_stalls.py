"""Jobs never hang: a job without progress for JOB_STALL_SECONDS is stalled, can be re-queued
by whoever may start it, and a new recompute request never waits for it.

The tasks of these jobs never run unless a test says so: the test's transaction never commits,
so ``transaction.on_commit`` never queues them — exactly what a worker killed on the embedded
broker (which cannot redeliver) leaves behind. Time passes through the ``clock`` fixture.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.test import override_settings
from django_celery_beat.models import PeriodicTask

from performance import tasks
from performance.choices import JobKind, JobStatus
from performance.models import Job, SelfEvaluation
from performance.services import jobs as job_services
from performance.services import recompute_jobs, schedules
from performance.services.imports import targets_import_submit
from performance.services.recompute_jobs import (
    recompute_chunk,
    recompute_dispatch,
    recompute_request,
)
from projects.models import AuditEntry, Membership, Unit
from projects.permissions import forget_cached_memberships
from tests.performance.services.test_recompute_jobs import _scramble_2023, _second_unit_in_2023
from tests.support.import_helpers import csv_bytes, rows

pytestmark = pytest.mark.django_db

EXPLANATION = "超过 15 分钟没有进展，可能是后台进程已停止；可重新排队。"


@pytest.fixture(autouse=True)
def stall_after_15_minutes(settings):
    settings.JOB_STALL_SECONDS = 15 * 60


def two_chunk_job(actor, settings) -> Job:
    """A 2023 recompute split into two chunks of one unit each, none of them run."""
    settings.RECOMPUTE_UNITS_PER_TASK = 1
    _second_unit_in_2023()
    job = recompute_request(actor=actor, year=2023)
    assert recompute_dispatch(job_id=job.pk) == [0, 1]
    return Job.objects.get(pk=job.pk)


def fresh(job: Job) -> Job:
    return Job.objects.get(pk=job.pk)


@pytest.fixture
def chunks_run(monkeypatch) -> list[tuple[int, int]]:
    """Every (job, chunk) the recompute_chunk task is asked to run."""
    calls: list[tuple[int, int]] = []
    original = recompute_jobs.recompute_chunk

    def recording(*, job_id: int, chunk: int) -> bool:
        calls.append((job_id, chunk))
        return original(job_id=job_id, chunk=chunk)

    monkeypatch.setattr(recompute_jobs, "recompute_chunk", recording)
    return calls


# --- stalled ----------------------------------------------------------------------------------


def test_a_queued_job_without_progress_is_stalled_after_the_configured_time(
    finance_reviewer, clock
):
    job = recompute_request(actor=finance_reviewer, year=2023)

    clock.advance(minutes=14)
    job = fresh(job)
    assert not job.is_stalled()
    assert (job.effective_status, job.status_explanation) == (JobStatus.PENDING, "")
    assert not Job.objects.stalled().exists()

    clock.advance(minutes=2)
    job = fresh(job)
    assert job.is_stalled()
    assert job.effective_status == JobStatus.STALLED
    assert job.get_effective_status_display() == "已停滞"
    assert job.status_explanation == EXPLANATION
    assert list(Job.objects.stalled()) == [job]


def test_the_stall_time_is_a_setting(finance_reviewer, clock, settings):
    job = recompute_request(actor=finance_reviewer, year=2023)
    settings.JOB_STALL_SECONDS = 90

    clock.advance(seconds=80)
    assert not fresh(job).is_stalled()
    clock.advance(seconds=20)
    assert fresh(job).status_explanation == (
        "超过 90 秒没有进展，可能是后台进程已停止；可重新排队。"
    )


def test_a_running_job_stalls_when_no_chunk_reports_and_each_chunk_restarts_the_clock(
    finance_reviewer, settings, clock
):
    job = two_chunk_job(finance_reviewer, settings)  # dispatched: running, chunks never sent

    clock.advance(minutes=10)
    assert recompute_chunk(job_id=job.pk, chunk=0) is True
    clock.advance(minutes=10)  # 20 minutes after the dispatch, 10 after the chunk
    job = fresh(job)
    assert (job.status, job.is_stalled(), job.processed, job.total) == (
        JobStatus.RUNNING,
        False,
        1,
        2,
    )

    clock.advance(minutes=6)
    assert fresh(job).effective_status == JobStatus.STALLED


def test_the_sweep_marks_exactly_the_jobs_the_reading_side_already_shows_stalled(
    finance_reviewer, clock
):
    stale = recompute_request(actor=finance_reviewer, year=2023)
    finished = recompute_request(actor=finance_reviewer, year=2021)
    Job.objects.filter(pk=finished.pk).update(status=JobStatus.SUCCEEDED)
    clock.advance(minutes=10)
    recent = recompute_request(actor=finance_reviewer, year=2022)
    clock.advance(minutes=6)

    def shown():
        return {job.pk: (job.effective_status, job.status_explanation) for job in Job.objects.all()}

    before = shown()
    stalled_before = set(Job.objects.with_status([JobStatus.STALLED]).values_list("pk", flat=True))
    assert before[stale.pk] == (JobStatus.STALLED, EXPLANATION)
    assert before[recent.pk] == (JobStatus.PENDING, "")
    assert before[finished.pk] == (JobStatus.SUCCEEDED, "")

    assert tasks.mark_stalled_jobs.delay().get() == 1

    assert fresh(stale).status == JobStatus.STALLED  # now written down
    assert shown() == before
    assert (
        set(Job.objects.with_status([JobStatus.STALLED]).values_list("pk", flat=True))
        == stalled_before
        == {stale.pk}
    )
    assert tasks.mark_stalled_jobs.delay().get() == 0


def test_the_sweep_runs_every_five_minutes(demo):
    schedules.beat_schedules_ensure()

    sweep = PeriodicTask.objects.get(name=schedules.STALLED_JOBS)

    assert sweep.task == "performance.mark_stalled_jobs"
    assert (sweep.crontab.minute, sweep.crontab.hour) == ("*/5", "*")


def test_a_chunk_of_a_job_marked_stalled_that_was_only_slow_brings_it_back_to_running(
    finance_reviewer, settings, clock
):
    job = two_chunk_job(finance_reviewer, settings)
    clock.advance(minutes=16)
    job_services.jobs_mark_stalled()
    assert fresh(job).status == JobStatus.STALLED

    assert recompute_chunk(job_id=job.pk, chunk=0) is True

    job = fresh(job)
    assert (job.status, job.is_stalled(), job.result["done"]) == (JobStatus.RUNNING, False, [0])


# --- de-duplication ---------------------------------------------------------------------------


def test_a_new_request_never_attaches_to_a_stalled_job_and_supersedes_it(
    finance_reviewer, dept_reviewer, clock
):
    stalled = recompute_request(actor=finance_reviewer, year=2023)
    other_scope = recompute_request(
        actor=dept_reviewer, year=2023, unit=Unit.objects.get(code="027")
    )
    clock.advance(minutes=16)

    new = recompute_request(actor=finance_reviewer, year=2023)

    assert new.pk != stalled.pk
    stalled = fresh(stalled)
    assert stalled.status == JobStatus.SUPERSEDED
    assert stalled.get_effective_status_display() == "已放弃"
    assert stalled.result["superseded_by"] == new.pk
    assert f"#{new.pk}" in stalled.status_explanation
    assert stalled.finished_at is not None
    superseded = AuditEntry.objects.get(
        object_id=str(stalled.pk), comment=f"长时间没有进展，由任务 #{new.pk} 取代"
    )
    assert superseded.actor == finance_reviewer
    assert superseded.changes["status"] == ["stalled", "superseded"]
    created = AuditEntry.objects.get(object_id=str(new.pk), comment="请求重新计算")
    assert created.changes["supersedes"] == [None, [stalled.pk]]
    # Another scope's stalled job is not this request's business.
    assert fresh(other_scope).effective_status == JobStatus.STALLED
    # The new job is live: the next identical request waits for it.
    assert recompute_request(actor=finance_reviewer, year=2023).pk == new.pk


def test_a_superseded_job_ignores_a_chunk_that_finishes_late(finance_reviewer, settings, clock):
    old = two_chunk_job(finance_reviewer, settings)
    clock.advance(minutes=16)
    recompute_request(actor=finance_reviewer, year=2023)

    assert recompute_chunk(job_id=old.pk, chunk=0) is False

    old = fresh(old)
    assert (old.status, old.result["done"], old.processed) == (JobStatus.SUPERSEDED, [], 0)


# --- re-queue ---------------------------------------------------------------------------------


def test_requeue_sends_only_the_missing_chunks_and_completes_the_job(
    finance_reviewer, settings, clock, chunks_run, django_capture_on_commit_callbacks
):
    job = two_chunk_job(finance_reviewer, settings)
    _scramble_2023()
    assert recompute_chunk(job_id=job.pk, chunk=0) is True
    clock.advance(minutes=16)
    assert fresh(job).is_stalled()

    with django_capture_on_commit_callbacks(execute=True):
        requeued = job_services.job_requeue(actor=finance_reviewer, job_id=job.pk)

    assert requeued.status == JobStatus.RUNNING
    assert chunks_run == [(job.pk, 1)]
    job = fresh(job)
    assert (job.status, job.result["done"], job.processed, job.total) == (
        JobStatus.SUCCEEDED,
        [0, 1],
        2,
        2,
    )
    assert job.result["counts"]["evaluations"] == SelfEvaluation.objects.filter(year=2023).count()
    assert job.result["counts"]["evaluations_changed"] == 5
    entry = AuditEntry.objects.get(object_id=str(job.pk), comment="重新排队")
    assert entry.actor == finance_reviewer
    assert entry.changes == {"status": ["stalled", "running"], "chunks": [None, [1]]}


def test_a_late_duplicate_of_a_requeued_chunk_does_not_double_count(
    finance_reviewer, settings, clock, django_capture_on_commit_callbacks
):
    job = two_chunk_job(finance_reviewer, settings)
    _scramble_2023()
    clock.advance(minutes=16)
    with django_capture_on_commit_callbacks(execute=True):
        job_services.job_requeue(actor=finance_reviewer, job_id=job.pk)
    done = fresh(job)
    assert done.status == JobStatus.SUCCEEDED
    audit_rows = AuditEntry.objects.count()

    # The "dead" worker was only slow: its copies of both chunks arrive now.
    assert tasks.recompute_chunk.delay(job.pk, 0).get() is False
    assert tasks.recompute_chunk.delay(job.pk, 1).get() is False

    job = fresh(job)
    assert (job.result, job.processed, job.status) == (done.result, 2, JobStatus.SUCCEEDED)
    assert AuditEntry.objects.count() == audit_rows


def test_a_twin_chunk_that_finishes_second_keeps_nothing_of_its_own(
    finance_reviewer, settings, monkeypatch
):
    """The old worker's chunk computes while the re-queued copy commits first: the old one
    must not add a second audit row for every figure, nor count its units again.

    The twin is simulated on the same connection, so its write is inside the late chunk's
    transaction and goes with it; what counts is that the late chunk keeps nothing."""
    job = two_chunk_job(finance_reviewer, settings)
    chunk = job.result["chunks"].index([Unit.objects.get(code="305004").pk])  # the evaluations
    _scramble_2023()
    scrambled = dict(SelfEvaluation.objects.values_list("pk", "total_score"))
    audit_rows = AuditEntry.objects.count()
    from performance.services import recompute

    real = recompute.recompute_year
    computed = []

    def computed_while_the_twin_committed(**kwargs):
        counts = real(**kwargs)
        computed.append(counts)
        Job.objects.filter(pk=job.pk).update(result={**job.result, "done": [chunk]}, processed=1)
        return counts

    monkeypatch.setattr(recompute, "recompute_year", computed_while_the_twin_committed)

    assert recompute_chunk(job_id=job.pk, chunk=chunk) is False

    assert computed and computed[0]["evaluations_changed"] == 5  # it did compute (and audit)
    assert AuditEntry.objects.count() == audit_rows
    assert dict(SelfEvaluation.objects.values_list("pk", "total_score")) == scrambled
    assert fresh(job).result["counts"] == {}


def test_a_job_that_still_progresses_or_has_finished_is_not_requeued(finance_reviewer, clock):
    job = recompute_request(actor=finance_reviewer, year=2023)
    clock.advance(minutes=5)

    with pytest.raises(job_services.RequeueRefused) as refused:
        job_services.job_requeue(actor=finance_reviewer, job_id=job.pk)
    assert refused.value.code == "not_stalled"
    assert "超过 15 分钟没有进展后才能重新排队" in refused.value.messages[0]

    Job.objects.filter(pk=job.pk).update(status=JobStatus.FAILED)
    clock.advance(minutes=20)
    with pytest.raises(job_services.RequeueRefused) as refused:
        job_services.job_requeue(actor=finance_reviewer, job_id=job.pk)
    assert refused.value.code == "finished"
    assert refused.value.messages[0] == "任务已结束（失败），不能重新排队；需要时请重新发起。"
    assert not AuditEntry.objects.filter(comment="重新排队").exists()


def test_only_who_may_start_the_recompute_may_requeue_it(
    finance_reviewer, dept_reviewer, filler, outsider_dept_reviewer, clock
):
    department = Unit.objects.get(code="027")
    unit_job = recompute_request(actor=dept_reviewer, year=2023, unit=department)
    whole_year = recompute_request(actor=finance_reviewer, year=2023)
    clock.advance(minutes=16)

    for person in (filler, outsider_dept_reviewer):
        with pytest.raises(PermissionDenied):
            job_services.job_requeue(actor=person, job_id=unit_job.pk)
    with pytest.raises(PermissionDenied, match="没有重新计算全部单位的权限"):
        job_services.job_requeue(actor=dept_reviewer, job_id=whole_year.pk)
    assert {fresh(unit_job).status, fresh(whole_year).status} == {JobStatus.PENDING}

    assert job_services.job_requeue(actor=finance_reviewer, job_id=unit_job.pk).pk == unit_job.pk
    assert job_services.job_requeue(actor=finance_reviewer, job_id=whole_year.pk)
    # The requester lost the role meanwhile: no re-queue either.
    Membership.objects.filter(user=dept_reviewer).delete()
    forget_cached_memberships(dept_reviewer)
    clock.advance(minutes=16)
    with pytest.raises(PermissionDenied):
        job_services.job_requeue(actor=dept_reviewer, job_id=unit_job.pk)


def test_a_requeued_job_that_never_got_dispatched_is_dispatched_again(
    finance_reviewer, clock, django_capture_on_commit_callbacks
):
    job = recompute_request(actor=finance_reviewer, year=2023)
    clock.advance(minutes=16)

    with django_capture_on_commit_callbacks(execute=True):
        requeued = job_services.job_requeue(actor=finance_reviewer, job_id=job.pk)

    assert requeued.status == JobStatus.PENDING
    job = fresh(job)
    assert (job.status, job.result["done"], job.processed) == (JobStatus.SUCCEEDED, [0], 1)


# --- imports and exports ----------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@override_settings(IMPORT_ASYNC_ROWS=3)
def test_a_stalled_import_runs_again_from_its_uploaded_file(
    media, filler, clock, django_capture_on_commit_callbacks
):
    job = targets_import_submit(actor=filler, file=csv_bytes(rows(6)), filename="targets.csv")
    assert isinstance(job, Job) and job.status == JobStatus.PENDING  # the task never ran
    clock.advance(minutes=16)
    assert fresh(job).effective_status == JobStatus.STALLED

    with django_capture_on_commit_callbacks(execute=True):
        requeued = job_services.job_requeue(actor=filler, job_id=job.pk)

    assert requeued.status == JobStatus.PENDING
    job = fresh(job)
    assert job.status == JobStatus.SUCCEEDED
    assert job.result["counts"]["indicators_created"] == 6


@override_settings(IMPORT_ASYNC_ROWS=3)
def test_a_stalled_import_whose_file_is_gone_says_so(media, filler, clock, unit_reviewer):
    job = targets_import_submit(actor=filler, file=csv_bytes(rows(6)), filename="targets.csv")
    clock.advance(minutes=16)
    default_storage.delete(job.input_file.name)

    with pytest.raises(job_services.RequeueRefused) as refused:
        job_services.job_requeue(actor=filler, job_id=job.pk)

    assert refused.value.code == "files_expired"
    assert refused.value.messages[0] == (
        "上传的文件已不存在（已按保留期限清理），无法重新排队；请重新上传导入。"
    )
    assert fresh(job).status == JobStatus.PENDING


def test_an_export_job_cannot_be_requeued(finance_reviewer, clock):
    export = Job.objects.create(
        kind=JobKind.EXPORT_TABLE, status=JobStatus.RUNNING, created_by=finance_reviewer
    )
    clock.advance(minutes=16)

    with pytest.raises(job_services.RequeueRefused) as refused:
        job_services.job_requeue(actor=finance_reviewer, job_id=export.pk)

    assert refused.value.code == "not_requeueable"
    assert refused.value.messages[0] == "“导出报表”任务不能重新排队，请重新发起。"
