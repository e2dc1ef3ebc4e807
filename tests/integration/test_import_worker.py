"""A large target upload answers at once and a real worker imports it (PostgreSQL, Redis)."""

from __future__ import annotations

import pytest
from django.test import override_settings

from performance.choices import JobStatus
from performance.models import Indicator, Job
from performance.services.imports import targets_import_submit
from tests.support.import_helpers import NEW_CODE, csv_bytes, db_counts, rows

from .conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _finished(job: Job):
    def done():
        """the import job finished"""
        job.refresh_from_db()
        return job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)

    return done


@override_settings(IMPORT_ASYNC_ROWS=10)
def test_worker_imports_a_large_upload_with_progress(celery_worker, filler):
    job = targets_import_submit(actor=filler, file=csv_bytes(rows(60)), filename="big.csv")

    assert isinstance(job, Job) and job.status == JobStatus.PENDING
    wait_for(_finished(job), timeout=60)
    assert job.status == JobStatus.SUCCEEDED, job.errors
    assert (job.progress, job.processed, job.total) == (100, job.total, job.total)
    assert job.result["counts"]["indicators_created"] == 60
    assert Indicator.objects.filter(goal__project__code=NEW_CODE).count() == 60


@override_settings(IMPORT_ASYNC_ROWS=10)
def test_worker_refuses_a_bad_upload_and_writes_nothing(celery_worker, filler):
    before = db_counts()
    data = csv_bytes(rows(30) + rows(1, 年度="1990"))
    job = targets_import_submit(actor=filler, file=data, filename="bad.csv")

    wait_for(_finished(job), timeout=60)
    assert job.status == JobStatus.FAILED
    assert [(e["row"], e["column"], e["code"]) for e in job.errors] == [
        (32, "年度", "year_out_of_range")
    ]
    assert db_counts() == before
