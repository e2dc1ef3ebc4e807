"""Recompute requests as jobs: who may ask, fan-out per unit chunk, idempotent and retried tasks.

Tasks run eagerly here; tests/integration/test_jobs.py runs the same path on a real worker.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_celery_beat.models import PeriodicTask

from performance.choices import JobKind, JobStatus
from performance.models import Job, SelfEvaluation
from performance.services import schedules
from performance.services.recompute_jobs import (
    recompute_chunk,
    recompute_dispatch,
    recompute_request,
    units_in_scope,
)
from performance.tasks import recompute_chunk as recompute_chunk_task
from performance.tasks import recompute_nightly
from projects.choices import ProjectCategory
from projects.models import AuditEntry, Unit
from projects.services import projects as project_services

pytestmark = pytest.mark.django_db

PUBLISHED = Path(__file__).resolve().parents[2] / "engine" / "data"


def _published_totals() -> dict[str, Decimal]:
    """Project name → 自评得分 as published in seed 002."""
    data = json.loads((PUBLISHED / "2023_305004_self_evaluation.json").read_text("utf-8"))
    column = data["columns"].index("自评得分")
    return {row[0]: Decimal(row[column]) for row in data["projects"]}


def _scramble_2023() -> None:
    SelfEvaluation.objects.filter(year=2023).update(
        execution_rate=None, execution_score=None, total_score=None, grade=""
    )


def _second_unit_in_2023() -> None:
    """Give 027001 a 2023 project so the year spans two units."""
    project_services.project_save(
        data={
            "code": "027001202399",
            "name": "演示：2023 年新增项目",
            "unit": Unit.objects.get(code="027001"),
            "year": 2023,
            "category": ProjectCategory.SPECIAL,
        }
    )


def test_a_finance_reviewer_recomputes_a_year_and_the_job_reports_every_unit(
    finance_reviewer, django_capture_on_commit_callbacks
):
    expected = dict(SelfEvaluation.objects.filter(year=2023).values_list("pk", "total_score"))
    _scramble_2023()

    with django_capture_on_commit_callbacks(execute=True):
        job = recompute_request(actor=finance_reviewer, year=2023)

    job.refresh_from_db()
    assert (job.kind, job.status, job.created_by) == (
        JobKind.RECOMPUTE,
        JobStatus.SUCCEEDED,
        finance_reviewer,
    )
    assert (job.total, job.processed, job.progress) == (1, 1, 100)
    assert job.result["counts"]["evaluations"] == 5
    assert job.result["counts"]["evaluations_changed"] == 5
    assert dict(SelfEvaluation.objects.filter(year=2023).values_list("pk", "total_score")) == (
        expected
    )
    assert AuditEntry.objects.filter(object_id=str(job.pk), comment="请求重新计算").exists()


def test_the_recomputed_totals_are_the_published_figures(
    finance_reviewer, django_capture_on_commit_callbacks
):
    _scramble_2023()
    with django_capture_on_commit_callbacks(execute=True):
        recompute_request(actor=finance_reviewer, year=2023)

    totals = {
        e.project.name: e.total_score
        for e in SelfEvaluation.objects.filter(year=2023).select_related("project")
    }
    assert len(totals) == 5 and all(value is not None for value in totals.values())
    published = _published_totals()
    assert {name: totals[name] for name in published} == published


def test_units_are_split_into_chunks_so_several_workers_share_a_year(
    finance_reviewer, settings, django_capture_on_commit_callbacks
):
    settings.RECOMPUTE_UNITS_PER_TASK = 1
    _second_unit_in_2023()
    units = units_in_scope(year=2023, unit=None)
    assert len(units) == 2

    with django_capture_on_commit_callbacks(execute=True):
        job = recompute_request(actor=finance_reviewer, year=2023)

    job.refresh_from_db()
    assert job.result["chunks"] == [[units[0]], [units[1]]]
    assert job.result["done"] == [0, 1]
    assert (job.status, job.total, job.processed) == (JobStatus.SUCCEEDED, 2, 2)


def test_a_department_reviewer_recomputes_only_the_own_department(
    dept_reviewer, django_capture_on_commit_callbacks
):
    department = Unit.objects.get(code="027")
    with django_capture_on_commit_callbacks(execute=True):
        job = recompute_request(actor=dept_reviewer, year=2022, unit=department)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job.result["chunks"] == [[Unit.objects.get(code="027001").pk]]

    with pytest.raises(PermissionDenied):
        recompute_request(actor=dept_reviewer, year=2023, unit=Unit.objects.get(code="305004"))
    with pytest.raises(PermissionDenied):
        recompute_request(actor=dept_reviewer, year=2023)


def test_unit_staff_may_not_request_a_recompute(filler, unit_reviewer):
    for person in (filler, unit_reviewer):
        with pytest.raises(PermissionDenied):
            recompute_request(actor=person, year=2022, unit=Unit.objects.get(code="027001"))
    assert not Job.objects.exists()


@pytest.mark.parametrize("year", [1999, 2101, "二〇二三", None])
def test_an_impossible_year_is_refused_and_creates_no_job(finance_reviewer, year):
    with pytest.raises(ValidationError) as error:
        recompute_request(actor=finance_reviewer, year=year)
    assert error.value.code == "invalid"
    assert "year" in error.value.message_dict
    assert not Job.objects.exists()


def test_an_identical_request_while_the_job_is_queued_returns_that_job(finance_reviewer):
    first = recompute_request(actor=finance_reviewer, year=2023)
    again = recompute_request(actor=finance_reviewer, year=2023)
    other_year = recompute_request(actor=finance_reviewer, year=2022)

    assert again.pk == first.pk
    assert other_year.pk != first.pk
    assert Job.objects.count() == 2


def test_a_redelivered_chunk_finds_itself_done_and_changes_nothing(
    finance_reviewer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = recompute_request(actor=finance_reviewer, year=2023)
    audit_rows = AuditEntry.objects.count()

    assert recompute_chunk_task.delay(job.pk, 0).get() is False
    job.refresh_from_db()
    assert (job.status, job.result["done"]) == (JobStatus.SUCCEEDED, [0])
    assert AuditEntry.objects.count() == audit_rows


def test_a_redelivered_dispatch_requeues_only_the_chunks_not_yet_done(finance_reviewer, settings):
    settings.RECOMPUTE_UNITS_PER_TASK = 1
    _second_unit_in_2023()
    job = recompute_request(actor=finance_reviewer, year=2023)  # on_commit not run: queued only

    assert recompute_dispatch(job_id=job.pk) == [0, 1]
    assert recompute_chunk(job_id=job.pk, chunk=0) is True
    assert recompute_dispatch(job_id=job.pk) == [1]
    job.refresh_from_db()
    assert (job.status, job.processed, job.total, job.attempts) == (JobStatus.RUNNING, 1, 2, 2)

    assert recompute_chunk(job_id=job.pk, chunk=1) is True
    assert recompute_dispatch(job_id=job.pk) == []
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED


@pytest.fixture
def eager_retries():
    """Eager tasks re-run on retry only when errors do not propagate (a Celery rule)."""
    from config.celery import app

    propagates = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = propagates


def test_a_transient_database_error_is_retried_and_the_job_completes(
    finance_reviewer, settings, tmp_path, eager_retries, django_capture_on_commit_callbacks
):
    settings.TASK_HOOKS_DIR = str(tmp_path)
    (tmp_path / "recompute_chunk.fail").write_text("2")

    with django_capture_on_commit_callbacks(execute=True):
        job = recompute_request(actor=finance_reviewer, year=2023)

    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert (tmp_path / "recompute_chunk.fail").read_text() == "0"


def test_a_chunk_that_keeps_failing_marks_the_job_failed_with_the_reason(
    finance_reviewer, settings, tmp_path, eager_retries, django_capture_on_commit_callbacks
):
    settings.TASK_HOOKS_DIR = str(tmp_path)
    (tmp_path / "recompute_chunk.fail").write_text("100")

    with django_capture_on_commit_callbacks(execute=True):
        recompute_request(actor=finance_reviewer, year=2023)

    job = Job.objects.get(kind=JobKind.RECOMPUTE)
    assert job.status == JobStatus.FAILED
    assert "第 1 批单位" in job.errors[0]["message"]
    assert int((tmp_path / "recompute_chunk.fail").read_text()) == 100 - 6  # 1 try + 5 retries


def test_the_nightly_task_recomputes_the_given_year_as_the_system(
    demo, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job_id = recompute_nightly.delay(2023).get()

    job = Job.objects.get(pk=job_id)
    assert (job.status, job.created_by, job.params) == (
        JobStatus.SUCCEEDED,
        None,
        {"year": 2023, "unit": None},
    )


def test_beat_schedules_are_created_once_and_admin_edits_survive(demo):
    assert set(schedules.beat_schedules_ensure().values()) == {"created"}
    sweep = PeriodicTask.objects.get(name=schedules.REMINDERS)
    assert sweep.task == "performance.reminders_sweep"
    assert (sweep.crontab.hour, sweep.crontab.minute) == ("7", "0")
    assert (
        PeriodicTask.objects.get(name=schedules.RECOMPUTE).task == "performance.recompute_nightly"
    )
    assert PeriodicTask.objects.get(name=schedules.HOUSEKEEPING).task == "performance.housekeeping"

    PeriodicTask.objects.filter(name=schedules.REMINDERS).update(enabled=False)
    assert set(schedules.beat_schedules_ensure().values()) == {"kept"}
    assert PeriodicTask.objects.get(name=schedules.REMINDERS).enabled is False

    schedules.beat_schedules_ensure(every_seconds=5)
    sweep = PeriodicTask.objects.get(name=schedules.REMINDERS)
    assert (sweep.interval.every, sweep.crontab, sweep.enabled) == (5, None, True)
