"""Background job rows: created by the request, advanced by the task, shown by admin and API."""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.utils import timezone

from ..choices import JobKind, JobStatus
from ..models import Job


def job_create(
    *, kind: str, actor=None, unit=None, params: dict[str, Any] | None = None, **files
) -> Job:
    if kind not in JobKind.values:  # callers pass kinds from code: a typo is a bug, not input
        raise ValueError(f"unknown job kind {kind!r}; one of {JobKind.values}")
    return Job.objects.create(
        kind=kind,
        created_by=actor if getattr(actor, "pk", None) else None,
        unit=unit,
        params=params or {},
        **files,
    )


def job_start(*, job_id: int, total: int = 0) -> Job:
    Job.objects.filter(pk=job_id).update(
        status=JobStatus.RUNNING,
        started_at=timezone.now(),
        total=total,
        processed=0,
        errors=[],
        attempts=F("attempts") + 1,
    )
    return Job.objects.get(pk=job_id)


def job_progress(*, job_id: int, processed: int, total: int | None = None) -> None:
    fields: dict[str, Any] = {"processed": processed}
    if total is not None:
        fields["total"] = total
    Job.objects.filter(pk=job_id).update(**fields)


def job_finish(*, job_id: int, result: dict[str, Any] | None = None, **files) -> Job:
    job = Job.objects.get(pk=job_id)
    job.status = JobStatus.SUCCEEDED
    job.result = result or {}
    job.finished_at = timezone.now()
    job.processed = job.total
    for name, value in files.items():
        setattr(job, name, value)
    job.save()
    return job


def job_fail(*, job_id: int, errors: list[dict[str, Any]], result: dict | None = None) -> Job:
    Job.objects.filter(pk=job_id).update(
        status=JobStatus.FAILED,
        errors=errors,
        result=result or {},
        finished_at=timezone.now(),
    )
    return Job.objects.get(pk=job_id)
