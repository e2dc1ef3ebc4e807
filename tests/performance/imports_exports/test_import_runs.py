"""Import history: every run of ``import_run`` — admin, API, command, background job — leaves an
``ImportRun`` (kind, who, file name and sha256, dry run, counts, changed, errors, job), listed
read-only in the admin and at ``/api/v1/imports/runs/``, scoped like jobs."""

from __future__ import annotations

import hashlib

import pytest
from django.test import override_settings
from django.urls import reverse

from performance.choices import ImportRunStatus
from performance.models import ImportRun, Job
from performance.services.imports import import_run, import_submit

from ...support.import_helpers import csv_bytes, rows

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _only_this_tests_runs(db):
    """The demo rebuilds its units and people through the imports, so its database already
    holds those (the system's) runs; these tests look at the runs they make themselves."""
    ImportRun.objects.all().delete()


def _run(actor, data: bytes, **kwargs):
    return import_run(kind="targets", actor=actor, file=data, filename="目标.csv", **kwargs)


def test_every_run_is_recorded_with_digest_counts_and_outcome(filler):
    data = csv_bytes(rows(2))
    dry = _run(filler, data, dry_run=True)
    done = _run(filler, data)
    again = _run(filler, data)
    bad = _run(filler, csv_bytes(rows(2, 三级指标="")))

    runs = list(ImportRun.objects.order_by("pk"))
    assert [r.pk for r in runs] == [dry.run_id, done.run_id, again.run_id, bad.run_id]
    assert [(r.status, r.dry_run, r.changed) for r in runs] == [
        (ImportRunStatus.VALIDATED, True, True),
        (ImportRunStatus.COMMITTED, False, True),
        (ImportRunStatus.UNCHANGED, False, False),
        (ImportRunStatus.FAILED, False, False),
    ]
    digest = hashlib.sha256(data).hexdigest()
    assert {r.file_digest for r in runs[:3]} == {digest} and runs[3].file_digest != digest
    first = runs[1]
    assert (first.kind, first.filename, first.created_by, first.unit.code) == (
        "targets",
        "目标.csv",
        filler,
        "027001",
    )
    assert first.counts["indicators_created"] == 2 and first.finished_at is not None
    assert "没有任何变化" in runs[2].summary
    assert (runs[3].error_count, runs[3].counts["indicators_created"]) == (2, 0)


def test_an_unreadable_file_is_recorded_as_failed(filler):
    result = _run(filler, b"\x00\x01not a table")
    run = ImportRun.objects.get(pk=result.run_id)
    assert run.status == ImportRunStatus.FAILED and run.error_count == len(result.errors) > 0


@override_settings(IMPORT_ASYNC_ROWS=3)
def test_a_background_import_records_its_job(filler, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = import_submit(
            kind="targets", actor=filler, file=csv_bytes(rows(5)), filename="大.csv"
        )
    assert isinstance(job, Job)
    run = ImportRun.objects.get()
    assert (run.job, run.status, run.filename) == (job, ImportRunStatus.COMMITTED, "大.csv")


def test_the_admin_history_is_read_only_and_scoped(login, filler, outsider):
    run = ImportRun.objects.get(pk=_run(filler, csv_bytes(rows(2))).run_id)
    changelist = reverse("admin:performance_importrun_changelist")
    change = reverse("admin:performance_importrun_change", args=[run.pk])

    page = login(filler).get(changelist)
    html = page.content.decode()
    assert page.status_code == 200 and "目标.csv" in html and "已导入" in html
    detail = login(filler).get(change).content.decode()
    assert "新增指标 2" in detail and 'name="_save"' not in detail
    assert login(filler).get(reverse("admin:performance_importrun_add")).status_code == 403
    assert login(filler).post(change, {"filename": "改.csv"}).status_code == 403
    run.refresh_from_db()
    assert run.filename == "目标.csv"

    assert "目标.csv" not in login(outsider).get(changelist).content.decode()
    assert login(outsider).get(change).status_code == 404
