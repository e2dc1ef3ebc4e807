"""Import history: the :class:`~performance.models.ImportRun` row of each run.

``import_run`` calls :func:`import_run_record` once per run, whatever the path (admin, API,
command, background job) and whatever the outcome, after its own transaction has ended — a
run that wrote nothing (errors, a dry run) is history too.
"""

from __future__ import annotations

import hashlib

from django.utils import timezone

from projects.permissions import highest_unit_with_role

from ...choices import ImportRunStatus
from ...models import ImportRun, Job
from .result import ImportResult


def file_digest(data: bytes) -> str:
    """The sha256 of the uploaded bytes (the same file imported twice has the same digest)."""
    return hashlib.sha256(data).hexdigest()


def run_status(result: ImportResult) -> str:
    """失败 for any error; else 校验通过 (dry run), 已导入 (written) or 无变化."""
    if result.errors:
        return ImportRunStatus.FAILED
    if not result.changed:
        return ImportRunStatus.UNCHANGED
    return ImportRunStatus.VALIDATED if result.dry_run else ImportRunStatus.COMMITTED


def import_run_record(
    *,
    result: ImportResult,
    actor,
    roles,
    digest: str,
    options: dict | None = None,
    job: Job | None = None,
) -> ImportRun:
    """Write the history row of a finished run (the system, ``actor=None``, has no 发起人)."""
    run = ImportRun(
        kind=result.kind,
        filename=result.filename[:255],
        file_digest=digest,
        status=run_status(result),
        dry_run=result.dry_run,
        changed=result.changed,
        options=dict(options or {}),
        counts=dict(result.counts),
        error_count=len(result.errors),
        warning_count=len(result.warnings),
        summary=result.summary(),
        job=job,
        unit=highest_unit_with_role(actor, roles),
        created_by=actor if getattr(actor, "pk", None) else None,
        finished_at=timezone.now(),
    )
    run.full_clean()
    run.save()
    return run
