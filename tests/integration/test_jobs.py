"""Recompute and reminders on real Redis with real worker processes (and a real beat).

What must hold however the infrastructure misbehaves: a recompute through the worker equals
the single-object services (and the published figures); beat ticking twice and a redelivered
sweep send each reminder once; a worker killed in the middle of a recompute leaves the database
correct once the task is redelivered; a transient database error is retried until it succeeds.
Faults are injected through marker files the workers watch (performance/fault_injection.py).
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import time
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from config.celery import app as celery_app
from performance.choices import JobStatus, Status, WindowKind
from performance.models import Job, Notification, ReportingWindow, SelfEvaluation
from performance.services import schedules
from performance.services.evaluation import evaluation_compute
from performance.services.jobs import jobs_mark_stalled
from performance.services.monitoring import monitoring_report_compute
from performance.services.recompute import COMMENT
from performance.services.recompute_jobs import recompute_request
from performance.tasks import reminders_sweep
from projects.choices import ProjectCategory
from projects.models import AuditEntry, Unit
from projects.services import projects as project_services
from tests.performance.services.test_recompute import _scramble, _snapshot, year_2022  # noqa: F401 - year_2022 is a fixture
from tests.performance.services.test_recompute_jobs import _published_totals

from .conftest import (
    ROOT,
    _worker_env,
    kill_worker,
    session_worker_paused,
    wait_for,
    worker_log,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

BEAT = [sys.executable, "-m", "celery", "-A", "config", "beat"]
SHORT_VISIBILITY = {"CELERY_VISIBILITY_TIMEOUT": "5"}
SWEEP_DONE = re.compile(r"performance\.reminders_sweep\[[^\]]+\] succeeded in [0-9.e-]+s: (\d+)")
CHUNK_DONE = re.compile(
    r"performance\.recompute_chunk\[[^\]]+\] succeeded in [0-9.e-]+s: (True|False)"
)


def _expected_figures() -> dict:
    """Every derived figure as the single-object services compute it."""
    from performance.models import MonitoringReport

    for evaluation in SelfEvaluation.objects.all():
        evaluation_compute(evaluation=evaluation)
    for report in MonitoringReport.objects.all():
        monitoring_report_compute(report=report)
    return _snapshot()


def _of_2022(snapshot: dict) -> dict:
    """The part of a snapshot a recompute of 2022 is responsible for."""
    from performance.models import IndicatorEvaluation

    evaluations = set(SelfEvaluation.objects.filter(year=2022).values_list("pk", flat=True))
    scores = set(
        IndicatorEvaluation.objects.filter(evaluation__year=2022).values_list("pk", flat=True)
    )
    return {
        **snapshot,
        "evaluations": {k: v for k, v in snapshot["evaluations"].items() if k in evaluations},
        "scores": {k: v for k, v in snapshot["scores"].items() if k in scores},
    }


def _job_done(job_id: int):
    def finished():
        """the recompute job finished"""
        job = Job.objects.get(pk=job_id)
        return job if job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED) else None

    return finished


def _log(name: str) -> str:
    return worker_log(name).read_text(errors="replace")


def _due_window() -> int:
    """A goal-set window open today with one unit (027001) owing a goal; returns recipients."""
    ReportingWindow.objects.update(is_active=False)  # the demo's windows are not this test's
    today = timezone.localdate()
    project_services.project_save(
        data={
            "code": f"027001{today.year + 1}901",
            "name": "演示：下年度新增项目",
            "unit": Unit.objects.get(code="027001"),
            "year": today.year + 1,
            "category": ProjectCategory.SPECIAL,
        }
    )
    ReportingWindow.objects.create(
        kind=WindowKind.GOAL_SET,
        year=today.year + 1,
        title=f"{today.year + 1}年度绩效目标申报",
        opens_on=today - dt.timedelta(days=1),
        closes_on=today + dt.timedelta(days=30),
        lead_days=3,
    )
    return 2  # filler027 and reviewer027


@pytest.mark.usefixtures("year_2022")
def test_recompute_through_the_worker_equals_the_services_and_the_published_figures(
    celery_worker, client, finance_reviewer
):
    expected = _expected_figures()
    _scramble()
    client.force_login(finance_reviewer)

    jobs = []
    for year in (2022, 2023):
        response = client.post(reverse("admin:performance_job_recompute"), {"year": str(year)})
        assert response.status_code == 302
        jobs.append(Job.objects.get(params__year=year))

    for job in jobs:
        finished = wait_for(_job_done(job.pk), timeout=60)
        assert finished.status == JobStatus.SUCCEEDED, finished.errors
        assert finished.processed == finished.total == 1
    assert _snapshot() == expected
    totals = dict(
        SelfEvaluation.objects.filter(year=2023).values_list("project__name", "total_score")
    )
    published = _published_totals()
    assert {name: totals[name] for name in published} == published


def test_two_beat_ticks_send_each_reminder_once(demo, task_hooks, spawn_worker):
    recipients = _due_window()
    schedules.beat_schedules_ensure(every_seconds=2)
    with session_worker_paused():
        spawn_worker("beatw", "--concurrency", "2")
        log = open(worker_log("beat"), "w")  # noqa: SIM115 - closed below
        beat_process = subprocess.Popen(
            [*BEAT, "--loglevel", "INFO", "--max-interval", "1"],
            cwd=ROOT,
            env=_worker_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:

            def ticked_three_times():
                """the worker ran the sweep from three beat ticks"""
                return len(SWEEP_DONE.findall(_log("beatw"))) >= 3

            wait_for(ticked_three_times, timeout=60)
        finally:
            beat_process.terminate()
            beat_process.wait(timeout=20)
            log.close()

        assert _log("beat").count(f"Sending due task {schedules.REMINDERS}") >= 3
        assert Notification.objects.count() == recipients
        assert set(Notification.objects.values_list("recipient__username", flat=True)) == {
            "filler027",
            "reviewer027",
        }

        def mailed():
            """every notification was e-mailed"""
            return not Notification.objects.filter(emailed_at__isnull=True).exists()

        wait_for(mailed)


def test_a_sweep_redelivered_after_its_worker_died_sends_nothing_twice(
    demo, task_hooks, spawn_worker
):
    recipients = _due_window()
    (task_hooks / "reminders_sweep.after.pause").touch()
    with session_worker_paused():
        celery_app.control.purge()
        first = spawn_worker("sweep1", "--concurrency", "1", env=SHORT_VISIBILITY)
        reminders_sweep.delay()
        wait_for(lambda: (task_hooks / "reminders_sweep.after.reached").exists())
        assert Notification.objects.count() == recipients  # committed, not acknowledged
        kill_worker(first)
        (task_hooks / "reminders_sweep.after.pause").unlink()

        spawn_worker("sweep2", "--concurrency", "1", env=SHORT_VISIBILITY)

        def redelivered():
            """the second worker ran the redelivered sweep"""
            return SWEEP_DONE.findall(_log("sweep2"))

        assert wait_for(redelivered, timeout=60) == ["0"]
    assert Notification.objects.count() == recipients


@pytest.mark.usefixtures("year_2022")
def test_a_worker_killed_in_the_middle_of_a_recompute_leaves_the_database_correct(
    task_hooks, finance_reviewer, spawn_worker
):
    expected = _expected_figures()
    _scramble()
    scrambled = _snapshot()
    (task_hooks / "recompute.progress.pause").touch()

    with session_worker_paused():
        celery_app.control.purge()  # the fixture's e-mails are not this test's business
        doomed = spawn_worker("doomed", "--concurrency", "1", env=SHORT_VISIBILITY)
        job = recompute_request(actor=finance_reviewer, year=2022)
        wait_for(lambda: (task_hooks / "recompute.progress.reached").exists(), timeout=60)
        # Half the unit is recomputed inside the open transaction; nothing is visible yet.
        assert _snapshot() == scrambled
        kill_worker(doomed)
        (task_hooks / "recompute.progress.pause").unlink()
        assert Job.objects.get(pk=job.pk).status == JobStatus.RUNNING

        spawn_worker("rescuer", "--concurrency", "1", env=SHORT_VISIBILITY)
        finished = wait_for(_job_done(job.pk), timeout=90)

    assert finished.status == JobStatus.SUCCEEDED, finished.errors
    assert finished.result["done"] == [0]
    assert _of_2022(_snapshot()) == _of_2022(expected)
    assert _of_2022(expected) != _of_2022(scrambled)
    counts = finished.result["counts"]
    computed = AuditEntry.objects.filter(action="compute", comment=COMMENT).count()
    assert computed == counts["evaluations_changed"] + counts["reports_changed"]


@pytest.mark.usefixtures("year_2022")
def test_a_recompute_whose_worker_died_stalls_and_is_requeued_to_completion(
    task_hooks, finance_reviewer, spawn_worker, client, settings
):
    """The worker dies mid-chunk and nothing redelivers in time (on the embedded broker nothing
    ever would): the job stalls, its page says so and stops reloading, 重新排队 sends the
    missing chunk to a second worker, and the dead worker's own delivery, restored by Redis
    later, finds the chunk done — every figure right, every change audited once."""
    settings.JOB_STALL_SECONDS = 3
    expected = _expected_figures()
    _scramble()
    (task_hooks / "recompute.progress.pause").touch()
    client.force_login(finance_reviewer)

    with session_worker_paused():
        celery_app.control.purge()
        # Redelivery after the default visibility timeout (an hour): not within this test.
        doomed = spawn_worker("stalled", "--concurrency", "1")
        job = recompute_request(actor=finance_reviewer, year=2022)
        page_url = reverse("admin:performance_job_change", args=[job.pk])
        wait_for(lambda: (task_hooks / "recompute.progress.reached").exists(), timeout=60)
        kill_worker(doomed)
        (task_hooks / "recompute.progress.pause").unlink()

        def stalled():
            """the job reads as stalled"""
            return Job.objects.get(pk=job.pk).is_stalled()

        wait_for(stalled, timeout=30)
        assert jobs_mark_stalled() == 1
        page = client.get(page_url).content.decode()
        assert 'http-equiv="refresh"' not in page and "可能是后台进程已停止" in page

        response = client.post(reverse("admin:performance_job_requeue", args=[job.pk]))
        assert response.status_code == 302
        assert Job.objects.get(pk=job.pk).status == JobStatus.RUNNING
        # The rescuer also restores the dead worker's unacknowledged delivery after 5 s.
        spawn_worker("rescuer2", "--concurrency", "1", env=SHORT_VISIBILITY)
        finished = wait_for(_job_done(job.pk), timeout=90)

        def both_deliveries_ran():
            """the rescuer ran the re-queued chunk and the restored delivery"""
            outcomes = CHUNK_DONE.findall(_log("rescuer2"))
            return sorted(outcomes) if len(outcomes) >= 2 else None

        assert wait_for(both_deliveries_ran, timeout=60) == ["False", "True"]

    assert finished.status == JobStatus.SUCCEEDED, finished.errors
    assert (finished.result["done"], finished.processed, finished.total) == ([0], 1, 1)
    assert _of_2022(_snapshot()) == _of_2022(expected)
    counts = finished.result["counts"]
    computed = AuditEntry.objects.filter(action="compute", comment=COMMENT).count()
    assert computed == counts["evaluations_changed"] + counts["reports_changed"] > 0
    assert AuditEntry.objects.filter(
        object_id=str(job.pk), comment="重新排队", actor=finance_reviewer
    ).exists()


def test_a_transient_database_error_is_retried_until_the_recompute_succeeds(
    celery_worker, demo, task_hooks, finance_reviewer
):
    (task_hooks / "recompute_chunk.fail").write_text("2")
    SelfEvaluation.objects.filter(year=2023).update(total_score=None, grade="")

    started = time.monotonic()
    job = recompute_request(actor=finance_reviewer, year=2023)
    finished = wait_for(_job_done(job.pk), timeout=60)

    assert finished.status == JobStatus.SUCCEEDED, finished.errors
    assert (task_hooks / "recompute_chunk.fail").read_text() == "0"
    assert time.monotonic() - started < 60
    assert "Retry in" in _log("itest")
    assert not SelfEvaluation.objects.filter(year=2023, total_score__isnull=True).exists()
    assert all(
        e.total_score > Decimal("0") and e.status == Status.APPROVED
        for e in SelfEvaluation.objects.filter(year=2023)
    )
