"""Celery tasks: thin, idempotent, each calling one service with ids."""

from __future__ import annotations

import datetime as dt

from celery import Task, shared_task
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError

from . import dispatch
from .fault_injection import checkpoint
from .services import goals as goal_services

# Transient failures worth another try: the database went away or timed out, the broker
# refused a publish, the mail server hung up (smtplib.SMTPException is an OSError).
TRANSIENT_DB = (OperationalError, InterfaceError)
RETRY = {
    "autoretry_for": TRANSIENT_DB,
    "retry_backoff": True,  # 1 s, 2 s, 4 s … (exponential) …
    "retry_backoff_max": 300,
    "retry_jitter": True,  # … each drawn at random below that bound, so retries spread out
    "max_retries": 5,
}


@shared_task(name="performance.reparse_indicators", acks_late=True, **RETRY)
def reparse_indicators(goal_ids: list[int] | None = None) -> int:
    """Re-read 指标值 with the current parser; safe to run twice (unchanged rows are skipped)."""
    return goal_services.indicators_reparse(goal_ids=goal_ids)


@shared_task(
    name=dispatch.SEND_NOTIFICATION_EMAIL,
    acks_late=True,
    **{**RETRY, "autoretry_for": (*TRANSIENT_DB, OSError, BrokerError)},
)
def send_notification_email(notification_id: int) -> bool:
    """Mail one notification; a redelivered task finds it sent (or claimed by a live worker)
    and sends nothing, or takes over the stale claim of a worker that died mid-send."""
    from .services.notifications import deliver_email

    return deliver_email(notification_id=notification_id)


@shared_task(
    name=dispatch.SEND_NOTIFICATION_DIGEST,
    acks_late=True,
    **{**RETRY, "autoretry_for": (*TRANSIENT_DB, OSError, BrokerError)},
)
def send_notification_digest(subject: str, notification_ids: list[int]) -> int:
    """Mail each recipient of a bulk operation's notices one digest; rows already mailed (a
    redelivery) are skipped."""
    from .services.notifications import deliver_digest

    return deliver_digest(subject=subject, notification_ids=notification_ids)


class RecomputeTask(Task):
    """Marks the job failed once a recompute task has used up its retries."""

    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        from .services.recompute_jobs import recompute_failed

        job_id = kwargs.get("job_id", args[0] if args else None)
        chunk = kwargs.get("chunk", args[1] if len(args) > 1 else None)
        if job_id is not None:
            recompute_failed(job_id=job_id, chunk=chunk, error=exc)


@shared_task(
    name=dispatch.RECOMPUTE_JOB,
    base=RecomputeTask,
    acks_late=True,
    **{**RETRY, "autoretry_for": (*TRANSIENT_DB, BrokerError)},
)
def recompute_job(job_id: int) -> int:
    """Split a recompute job into unit chunks and queue them; redelivery re-queues the rest."""
    from .services.recompute_jobs import recompute_dispatch

    checkpoint("recompute_job")
    return len(recompute_dispatch(job_id=job_id))


@shared_task(name=dispatch.RECOMPUTE_CHUNK, base=RecomputeTask, acks_late=True, **RETRY)
def recompute_chunk(job_id: int, chunk: int) -> bool:
    """Recompute one chunk of units; a chunk already recorded done is skipped."""
    from .services.recompute_jobs import recompute_chunk as run_chunk

    checkpoint("recompute_chunk")
    return run_chunk(job_id=job_id, chunk=chunk)


@shared_task(name="performance.recompute_nightly", acks_late=True, **RETRY)
def recompute_nightly(year: int | None = None) -> int:
    """Beat: recompute a whole year (default: the current one); returns the job id."""
    from .services.recompute_jobs import recompute_nightly as request_nightly

    return request_nightly(year=year).pk


@shared_task(
    name="performance.reminders_sweep",
    acks_late=True,
    **{**RETRY, "autoretry_for": (*TRANSIENT_DB, BrokerError)},
)
def reminders_sweep(today: str | None = None) -> int:
    """Beat, daily: reminders for due/overdue work and event warnings, each sent once."""
    from .services.reminders import reminders_sweep as sweep

    checkpoint("reminders_sweep")
    created = sweep(today=dt.date.fromisoformat(today) if today else None)
    checkpoint("reminders_sweep.after")  # committed, not yet acknowledged
    return created


@shared_task(name="performance.housekeeping", acks_late=True, **RETRY)
def housekeeping() -> dict:
    """Beat, nightly: delete import previews whose session has expired and the files of jobs
    past their retention; returns how many of each."""
    from .services.housekeeping import discard_stale_previews, expire_job_files

    return {"previews": discard_stale_previews(), "job_files": expire_job_files()}


@shared_task(name="performance.mark_stalled_jobs", acks_late=True, **RETRY)
def mark_stalled_jobs() -> int:
    """Beat, every few minutes: mark queued or running jobs without progress for
    JOB_STALL_SECONDS as stalled; returns how many."""
    from .services.jobs import jobs_mark_stalled

    return jobs_mark_stalled()


@shared_task(name=dispatch.IMPORT_TARGETS, acks_late=True, **RETRY)
def import_targets(job_id: int) -> dict:
    """Run a target import queued under the old name (same body as ``run_import``)."""
    from .services.imports import import_job

    return import_job(job_id=job_id)


@shared_task(name=dispatch.RUN_IMPORT, acks_late=True, **RETRY)
def run_import(job_id: int) -> dict:
    """Run a queued import of any kind (all or nothing); a finished job is left unchanged."""
    from .services.imports import import_job

    return import_job(job_id=job_id)


@shared_task(name="performance.spot_checks_finalize", acks_late=True, **RETRY)
def spot_checks_finalize(today: str | None = None) -> int:
    """Beat, daily: published 财政复核 results past their objection deadline without an
    objection are confirmed (final = 复核); returns how many. A re-run confirms nothing."""
    from .services.spot_checks import spot_checks_finalize as finalize

    return finalize(today=dt.date.fromisoformat(today) if today else None)


# --- 绩效公开 (issue 17) ---------------------------------------------------------------------


@shared_task(name=dispatch.PUBLICATION_JOB, acks_late=True, **RETRY)
def publication_job(job_id: int) -> int:
    """A department's 绩效公开 package: one workbook per unit, zipped, progress per unit.
    Re-running writes the package again from scratch (same content)."""
    from .services.publication import publication_job as run

    return run(job_id=job_id).processed


@shared_task(name=dispatch.RAISE_RECTIFICATIONS, acks_late=True, **RETRY)
def raise_rectifications(
    year: int | None = None, round_id: int | None = None, today: str | None = None
) -> int:
    """Raise the automatic 整改 tasks not raised yet: of one closed round, one year, or (beat,
    daily, the safety net) the recent years; returns how many. A re-run creates nothing."""
    from .services.rectifications import rectifications_raise

    result = rectifications_raise(
        year=year,
        rounds=[round_id] if round_id is not None else None,
        today=dt.date.fromisoformat(today) if today else None,
    )
    return result.total
