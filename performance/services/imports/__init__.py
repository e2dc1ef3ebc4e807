"""Import of the flat target template (xlsx or csv): validate everything, then write all or nothing.

Public interface
----------------
targets_import(*, actor, file, filename, dry_run=False, job=None) -> ImportResult
    Reads the file (bytes, a path or a binary file object), validates every row and reports
    every problem at once (row number, column, Chinese reason). Only when there is none, and
    not ``dry_run``, writes everything in one transaction. Upsert by natural key (year,
    project code, 一级, 二级, 三级): projects through ``projects.services``, a new goal through
    ``goals.goal_create``, indicators set-based. A change to an approved goal is an error
    telling the user to adjust it first; rows equal to the database change nothing, so
    re-importing an exported file writes no row and no audit entry.
targets_import_submit(*, actor, file, filename, dry_run=False) -> ImportResult | Job
    What the admin and the API call for an upload: files over ``IMPORT_ASYNC_ROWS`` rows
    become a Job run by the Celery task ``performance.import_targets`` (the request answers at
    once); smaller ones are imported in the request.
targets_import_job(*, job_id) -> dict
    The task's body: runs the job's import with progress, stores the result; idempotent.

Decisions
---------
- Unknown extra columns are ignored with a warning; missing or doubled template columns are
  errors. 指标值说明 and 分值 are optional columns: when absent, those fields are left alone.
- Encodings: UTF-8 (with or without BOM) and UTF-16 with BOM are read as such; a file that is
  not UTF-8 is read as GB18030 (a superset of GBK) with a notice; anything else is an error.
- Excel formulas, error values, dates and booleans are refused in every column (a formula's
  cached value may be stale or missing); numbers shown with a % format keep that display.
- Amounts accept Excel thousands separators (1,909.20) and full-width digits; negative
  amounts, text and units in the amount cell are errors. A project code with spaces inside is
  an error (codes never contain spaces; a space usually means two codes or a broken paste).
- Merged cells over the header or data are refused (every row must be complete).
- Indicators already in the database but absent from the file are kept (noted, never deleted).
"""

from __future__ import annotations

import os

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from projects.permissions import UNIT_EDITORS, holds_any_role

from ... import dispatch
from ...choices import JOB_FINISHED, JobKind
from ...models import Job
from .. import jobs
from .planning import build_plan
from .reading import estimate_rows, limit, open_table, read_bytes
from .result import ImportFileError, ImportIssue, ImportResult
from .validation import validate_rows
from .writing import count_plan, write_plan

__all__ = [
    "ImportFileError",
    "ImportIssue",
    "ImportResult",
    "targets_import",
    "targets_import_job",
    "targets_import_submit",
]

VALIDATED_SHARE = 0.8  # progress: reading and validating fill 80 %, writing the rest


def require_importer(actor) -> None:
    """Refuse at once a user who cannot import into any unit (the rows are checked later)."""
    if actor is None or actor.is_superuser:
        return
    if not actor.is_authenticated or not actor.is_active:
        raise PermissionDenied("请先登录。")
    if not holds_any_role(actor, UNIT_EDITORS):
        raise PermissionDenied("您没有导入绩效目标的权限（需要：填报人、单位审核人或管理员）。")


def targets_import(
    *, actor, file, filename: str, dry_run: bool = False, job: Job | None = None
) -> ImportResult:
    """Validate the whole file, then (unless ``dry_run`` or any error) write it in one go."""
    require_importer(actor)
    filename = os.path.basename(filename or "upload")
    result = ImportResult(filename=filename, dry_run=dry_run, job_id=job.pk if job else None)
    progress = _progress(job)
    try:
        data = read_bytes(file, limit("IMPORT_MAX_BYTES"))
        table = open_table(data, filename)
        result.notices.extend(table.notices)
        rows, layout = validate_rows(table, result, progress=progress)
    except ImportFileError as error:
        result.errors.extend(error.issues)
        return result
    try:
        with transaction.atomic():
            plan = build_plan(
                rows,
                actor=actor,
                result=result,
                has_explanation=layout.has_explanation,
                has_weight=layout.has_weight,
                lock=not dry_run,
            )
            result.errors.sort(key=lambda issue: issue.row or 0)
            if result.errors:
                return result
            count_plan(plan, result)
            if dry_run:
                return result
            write_plan(plan, actor=actor, result=result)
            result.committed = True
    except IntegrityError:
        result.committed = False
        result.error(
            "保存时与其他用户同时进行的修改冲突（如同一项目被同时创建），本次未导入任何数据；请重新导入。",
            "conflict",
        )
    return result


def _progress(job: Job | None):
    if job is None:
        return None

    def report(rows: int) -> None:
        total = max(job.total, rows)
        job.total = total
        jobs.job_progress(job_id=job.pk, processed=int(rows * VALIDATED_SHARE), total=total)

    return report


def targets_import_submit(
    *, actor, file, filename: str, dry_run: bool = False
) -> ImportResult | Job:
    """Import a small upload now, or queue a large one as a Job (answering at once)."""
    require_importer(actor)
    filename = os.path.basename(filename or "upload")
    try:
        data = read_bytes(file, limit("IMPORT_MAX_BYTES"))
    except ImportFileError as error:
        return ImportResult(filename=filename, dry_run=dry_run, errors=list(error.issues))
    estimate = estimate_rows(data)
    if estimate <= limit("IMPORT_ASYNC_ROWS"):
        return targets_import(actor=actor, file=data, filename=filename, dry_run=dry_run)
    job = jobs.job_create(
        kind=JobKind.IMPORT_TARGETS,
        actor=actor,
        params={
            "filename": filename,
            "dry_run": dry_run,
            "estimated_rows": estimate,
            "actor_id": getattr(actor, "pk", None),
        },
        input_file=ContentFile(data, name=filename),
        total=estimate,
    )
    transaction.on_commit(lambda: dispatch.enqueue(dispatch.IMPORT_TARGETS, job.pk))
    return job


def targets_import_job(*, job_id: int) -> dict:
    """Run a queued import; a job already finished is left as it is (safe to deliver twice)."""
    job = Job.objects.select_related("created_by").get(pk=job_id)
    if job.status in JOB_FINISHED:
        return job.result
    params = job.params or {}
    if params.get("actor_id") and job.created_by_id is None:
        failed = jobs.job_fail(
            job_id=job.pk,
            errors=[ImportIssue("发起导入的用户已不存在，导入未执行。", "actor_missing").as_dict()],
        )
        return failed.result
    job = jobs.job_start(job_id=job.pk, total=job.total)
    try:
        with job.input_file.open("rb") as handle:
            data = handle.read(limit("IMPORT_MAX_BYTES") + 1)
        result = targets_import(
            actor=job.created_by,
            file=data,
            filename=params.get("filename", os.path.basename(job.input_file.name)),
            dry_run=bool(params.get("dry_run")),
            job=job,
        )
    except PermissionDenied as denied:
        failed = jobs.job_fail(
            job_id=job.pk, errors=[ImportIssue(str(denied), "permission").as_dict()]
        )
        return failed.result
    outcome = result.as_dict()
    if result.ok:
        jobs.job_finish(job_id=job.pk, result=outcome)
    else:
        jobs.job_fail(job_id=job.pk, errors=outcome["errors"], result=outcome)
    return outcome
