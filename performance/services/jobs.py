"""Background job rows: created by the request, advanced by the task, shown by admin and API.

Every step that shows the job is alive moves ``progress_at`` (queued, a task starting, a
recompute chunk finishing, an import reporting rows, the end). A queued or running job whose
``progress_at`` is older than ``JOB_STALL_SECONDS`` is stalled: ``Job.is_stalled`` and
``Job.objects.stalled()`` say so at once, and the periodic sweep (``jobs_mark_stalled``)
writes the same verdict into ``status``. Whoever may start a job of its kind may re-queue a
stalled one (``job_requeue``): only the work not yet done is sent again.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from projects import audit
from projects.models import AuditAction

from .. import dispatch
from ..choices import JOB_ACTIVE, JOB_FINISHED, JobKind, JobStatus
from ..models import Job
from ..models.jobs import stall_cutoff, stall_period_text

logger = logging.getLogger(__name__)

REQUEUE_NOT_STALLED = _(
    "任务仍在进行（最近进展于 %(at)s），超过 %(period)s没有进展后才能重新排队。"
)
REQUEUE_FINISHED = _("任务已结束（%(status)s），不能重新排队；需要时请重新发起。")
REQUEUE_UNSUPPORTED = _("“%(kind)s”任务不能重新排队，请重新发起。")
REQUEUE_INPUT_GONE = _("上传的文件已不存在（已按保留期限清理），无法重新排队；请重新上传导入。")


class RequeueRefused(ValidationError):
    """A job that cannot be re-queued in its state (``code``: not_stalled, finished,
    not_requeueable, files_expired); the API answers 409."""


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
        progress_at=timezone.now(),
        **files,
    )


def job_start(*, job_id: int, total: int = 0) -> Job:
    now = timezone.now()
    Job.objects.filter(pk=job_id).update(
        status=JobStatus.RUNNING,
        started_at=now,
        progress_at=now,
        total=total,
        processed=0,
        errors=[],
        attempts=F("attempts") + 1,
    )
    return Job.objects.get(pk=job_id)


def job_progress(*, job_id: int, processed: int, total: int | None = None) -> None:
    fields: dict[str, Any] = {"processed": processed, "progress_at": timezone.now()}
    if total is not None:
        fields["total"] = total
    Job.objects.filter(pk=job_id).update(**fields)


def job_heartbeat(*, job_id: int) -> int:
    """A task started working on the job: restart its stall clock (a stalled job runs again).

    Call it outside the task's transaction, so the job row is not held while the task works.
    """
    return Job.objects.filter(pk=job_id, status__in=[JobStatus.RUNNING, JobStatus.STALLED]).update(
        status=JobStatus.RUNNING, progress_at=timezone.now()
    )


def job_finish(*, job_id: int, result: dict[str, Any] | None = None, **files) -> Job:
    job = Job.objects.get(pk=job_id)
    job.status = JobStatus.SUCCEEDED
    job.result = result or {}
    job.finished_at = job.progress_at = timezone.now()
    job.processed = job.total
    for name, value in files.items():
        setattr(job, name, value)
    job.save()
    return job


def job_fail(*, job_id: int, errors: list[dict[str, Any]], result: dict | None = None) -> Job:
    now = timezone.now()
    Job.objects.filter(pk=job_id).update(
        status=JobStatus.FAILED,
        errors=errors,
        result=result or {},
        finished_at=now,
        progress_at=now,
    )
    return Job.objects.get(pk=job_id)


def jobs_mark_stalled(*, now: dt.datetime | None = None) -> int:
    """Mark queued or running jobs without progress for ``JOB_STALL_SECONDS`` as stalled.

    The periodic sweep; the same rule as ``Job.is_stalled``, so what the admin and the API
    show does not change when it runs. Returns how many jobs it marked.
    """
    cutoff = stall_cutoff(now)
    marked = Job.objects.filter(status__in=JOB_ACTIVE, progress_at__lt=cutoff).update(
        status=JobStatus.STALLED
    )
    if marked:
        logger.warning("marked %d background jobs stalled (no progress since %s)", marked, cutoff)
    return marked


def _refused(message, code: str) -> RequeueRefused:
    error = RequeueRefused(message, code=code)
    error.code = code
    return error


def import_kind_of(job: Job):
    """The registered import kind a job runs (``ImportKind``), or None for another job."""
    from .imports import KINDS

    name = (job.params or {}).get("import_kind")
    if name is None and job.kind == JobKind.IMPORT_TARGETS:
        name = "targets"  # queued before the framework stored the kind
    declared = KINDS.get(name) if name else None
    return declared if declared is not None and declared.job_kind == job.kind else None


def require_requeue_permission(actor, job: Job) -> None:
    """Re-queueing needs the right to start a job of the kind (raises ``PermissionDenied``)."""
    if job.kind == JobKind.RECOMPUTE:
        from .recompute_jobs import require_recompute_permission

        require_recompute_permission(actor, job.unit)
    elif job.kind == JobKind.PUBLICATION:
        from .publication import require_publication_permission

        require_publication_permission(actor, job.unit)
    elif import_kind_of(job) is not None:
        from .imports.framework import require_importer

        require_importer(actor, import_kind_of(job))
    else:
        raise _refused(REQUEUE_UNSUPPORTED % {"kind": job.get_kind_display()}, "not_requeueable")


def requeue_refusal(actor, job: Job) -> str:
    """Why ``actor`` could not re-queue ``job`` even once stalled ('' if they could): the
    admin shows it instead of the button."""
    try:
        require_requeue_permission(actor, job)
    except PermissionDenied as denied:
        return str(denied) or "没有权限执行此操作。"
    except RequeueRefused as refused:
        return refused.messages[0]
    return ""


@transaction.atomic
def job_requeue(*, actor, job_id: int) -> Job:
    """Send a stalled job to the workers again; returns the job, queued or running again.

    Only what is not done goes out again (a recompute's missing chunks; an import, which
    writes all or nothing, runs again from its uploaded file). A task of the old attempt that
    still finishes late finds its work done and changes nothing. Audited with the actor.
    """
    job = Job.objects.select_for_update(of=("self",)).select_related("unit").get(pk=job_id)
    require_requeue_permission(actor, job)
    now = timezone.now()
    if job.status in JOB_FINISHED:
        raise _refused(REQUEUE_FINISHED % {"status": job.get_status_display()}, "finished")
    if not job.is_stalled(now):
        at = timezone.localtime(job.progress_at).strftime("%Y-%m-%d %H:%M:%S")
        raise _refused(
            REQUEUE_NOT_STALLED % {"at": at, "period": stall_period_text()}, "not_stalled"
        )
    before = job.effective_status
    changes: dict[str, Any] = {}
    if job.kind == JobKind.RECOMPUTE:
        from .recompute_jobs import recompute_resend

        changes["chunks"] = [None, recompute_resend(job)]
    elif job.kind == JobKind.PUBLICATION:  # written again from scratch
        job.status = JobStatus.PENDING
        transaction.on_commit(lambda: dispatch.enqueue(dispatch.PUBLICATION_JOB, job.pk))
    else:  # an import: one task, all or nothing, from the uploaded file
        stored = job.input_file
        if not stored or not stored.storage.exists(stored.name):
            raise _refused(REQUEUE_INPUT_GONE, "files_expired")
        job.status = JobStatus.PENDING
        transaction.on_commit(lambda: dispatch.enqueue(dispatch.RUN_IMPORT, job.pk))
    job.progress_at = now
    job.save(update_fields=["status", "progress_at"])
    audit.record(
        obj=job,
        actor=actor,
        action=AuditAction.UPDATE,
        changes={"status": [before, job.status], **changes},
        comment="重新排队",
        unit=job.unit,
    )
    return job


JOB_AUDIT_FIELDS = ("kind", "status", "params", "total", "processed", "created_by", "created_at")


@transaction.atomic
def job_delete(*, job: Job, actor=None) -> None:
    """Delete a job row and, after the commit, its uploaded and result files (system
    administrators only: the row is who started what, and how it ended)."""
    if actor is not None and not actor.is_superuser:
        raise PermissionDenied("只有系统管理员可以删除后台任务记录。")
    job = Job.objects.select_for_update(of=("self",)).get(pk=job.pk)
    audit.record(
        obj=job,
        actor=actor,
        action=AuditAction.DELETE,
        changes=audit.diff(audit.snapshot(job, JOB_AUDIT_FIELDS), {}),
        unit=job.unit,
    )
    files = [(f.storage, f.name) for f in (job.input_file, job.output_file) if f]
    job.delete()
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in files])
