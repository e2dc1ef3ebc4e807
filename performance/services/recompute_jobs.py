"""Recompute requests as background jobs, fanned out so several workers share a province.

``recompute_request`` (admin button, API, nightly beat) checks the requester's role, creates a
job row and, after commit, queues ``performance.recompute_job``. That task
(``recompute_dispatch``) lists the units with data for the year, splits them into chunks and
queues one ``performance.recompute_chunk`` per chunk; each chunk calls
``recompute.recompute_year(year=…, unit_ids=[…])`` and, in the same transaction, records itself
done on the job row. A chunk that runs twice (redelivered after a worker died, or retried)
finds itself done and skips; one killed half-way rolled back and simply runs again. The job's
progress is units done / units in scope; it succeeds when every chunk has reported.

A job whose worker died shows no progress (``progress_at``) and becomes stalled after
``JOB_STALL_SECONDS`` (see ``services.jobs``). A new request of the same year and unit never
waits for a stalled job: it supersedes it (status 已放弃, pointing to the new job). Re-queueing
a stalled job (``jobs.job_requeue``) sends only its chunks not yet done (``recompute_resend``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from projects import audit
from projects.models import AuditAction, Project, Unit
from projects.permissions import RECOMPUTERS, WHOLE_YEAR_RECOMPUTERS, require_role
from projects.years import is_budget_year, year_out_of_range_message

from .. import dispatch
from ..choices import JOB_FINISHED, JobKind, JobStatus
from ..fault_injection import checkpoint
from ..models import Job, PerformanceGoal
from .jobs import job_create, job_fail, job_heartbeat

# Statuses in which a chunk still does its work: a stalled job whose worker was only slow
# takes its late chunk and runs again.
TAKES_CHUNKS = (JobStatus.RUNNING, JobStatus.STALLED)


def units_per_task() -> int:
    return max(1, int(getattr(settings, "RECOMPUTE_UNITS_PER_TASK", 10)))


def _check_year(year: Any) -> int:
    try:
        number = int(year)
    except (TypeError, ValueError):
        number = None
    if not is_budget_year(number):
        raise _refuse("year", year_out_of_range_message(year))
    return number


def _refuse(field: str, message: str, code: str = "invalid") -> ValidationError:
    error = ValidationError({field: ValidationError(message, code=code)})
    error.code = code  # readable as ``error.code`` too, like the workflow's refusals
    return error


@transaction.atomic
def recompute_request(*, actor, year: int, unit: Unit | None = None) -> Job:
    """Queue a recompute of ``year`` for ``unit`` and the units below it (``None``: all units).

    Permissions: :func:`require_recompute_permission`; ``actor=None`` is the nightly schedule.
    Returns the job: an identical job still queued or running with recent progress is
    returned instead of a new one (beat ticking twice, a double click); an identical stalled
    job never is — the new job supersedes it.
    """
    year = _check_year(year)
    require_recompute_permission(actor, unit)
    unit_id = unit.pk if unit is not None else None
    same = Job.objects.filter(
        kind=JobKind.RECOMPUTE,
        params__year=year,
        params__unit=unit_id,
        params__execution_batch__isnull=True,  # a batch's job covers its projects only
    )
    now = timezone.now()
    running = same.live(now).order_by("-created_at").first()
    if running is not None:
        return running
    job = job_create(
        kind=JobKind.RECOMPUTE, actor=actor, unit=unit, params={"year": year, "unit": unit_id}
    )
    stalled = list(same.stalled(now).exclude(pk=job.pk).select_for_update())
    changes: dict[str, Any] = {"year": [None, year], "unit": [None, unit_id]}
    if stalled:
        changes["supersedes"] = [None, [old.pk for old in stalled]]
    audit.record(
        obj=job,
        actor=actor,
        action=AuditAction.CREATE,
        changes=changes,
        comment="请求重新计算",
        unit=unit,
    )
    for old in stalled:
        _supersede(old, by=job, actor=actor, now=now)
    transaction.on_commit(lambda: _queue_recompute_job(job.pk))
    return job


def require_recompute_permission(actor, unit: Unit | None) -> None:
    """A unit needs 主管部门审核人, 财政审核人 or 管理员 on it; all units (``None``) need 财政审核人
    or 管理员 at the top of the tree (or a superuser). ``actor=None`` is the system."""
    if unit is not None:
        require_role(actor, unit, RECOMPUTERS, "重新计算")
    elif actor is not None and not actor.is_superuser:
        roots = list(Unit.objects.filter(parent__isnull=True))
        if not roots:
            raise _refuse("unit", "尚无任何单位。")
        for root in roots:
            require_role(actor, root, WHOLE_YEAR_RECOMPUTERS, "重新计算全部单位")


def _supersede(job: Job, *, by: Job, actor, now) -> None:
    """A stalled job replaced by a new request: finished as 已放弃, pointing to its successor.

    A chunk of it that still finishes late is ignored (the new job recomputes everything).
    """
    before = job.effective_status
    job.status = JobStatus.SUPERSEDED
    job.finished_at = now
    job.result = {**(job.result or {}), "superseded_by": by.pk}
    job.save(update_fields=["status", "finished_at", "result"])
    audit.record(
        obj=job,
        actor=actor,
        action=AuditAction.UPDATE,
        changes={"status": [before, job.status], "superseded_by": [None, by.pk]},
        comment=f"长时间没有进展，由任务 #{by.pk} 取代",
        unit=job.unit,
    )


def recompute_resend(job: Job) -> list[int]:
    """Re-queue a stalled recompute (the caller holds its row and saves it): its chunks not yet
    done, or the whole dispatch if it never got that far. Returns the chunks sent."""
    result = job.result or {}
    if "chunks" not in result:
        job.status = JobStatus.PENDING
        transaction.on_commit(lambda: _queue_recompute_job(job.pk))
        return []
    done = set(result.get("done") or [])
    pending = [i for i in range(len(result["chunks"])) if i not in done]
    job.status = JobStatus.RUNNING
    transaction.on_commit(lambda: _queue_chunks(job.pk, pending))
    return pending


def _queue_recompute_job(job_id: int) -> None:
    dispatch.enqueue(dispatch.RECOMPUTE_JOB, job_id)


def units_in_scope(*, year: int, unit: Unit | None) -> list[int]:
    """Ids of the units with projects or goals in ``year`` (within ``unit``'s subtree)."""
    projects = Project.objects.filter(year=year)
    goals = PerformanceGoal.objects.filter(year=year)
    if unit is not None:
        projects = projects.filter(unit__path__startswith=unit.path)
        goals = goals.filter(unit__path__startswith=unit.path)
    ids = set(projects.values_list("unit_id", flat=True))
    ids |= set(goals.values_list("unit_id", flat=True))
    return sorted(ids)


@transaction.atomic
def recompute_dispatch(*, job_id: int) -> list[int]:
    """Split the job into unit chunks (once) and queue every chunk not yet done.

    Returns the chunk numbers queued. Running it again (redelivery) re-queues only the chunks
    that have not reported, which are idempotent anyway.
    """
    job = Job.objects.select_for_update(of=("self",)).select_related("unit").get(pk=job_id)
    if job.status in JOB_FINISHED:
        return []
    result = dict(job.result or {})
    job.progress_at = timezone.now()
    if job.status == JobStatus.PENDING or "chunks" not in result:
        unit_ids = job.params.get("unit_ids") or units_in_scope(
            year=job.params["year"], unit=job.unit
        )
        size = units_per_task()
        result = {
            "chunks": [unit_ids[i : i + size] for i in range(0, len(unit_ids), size)],
            "done": [],
            "counts": {},
        }
        job.status = JobStatus.RUNNING
        job.started_at = timezone.now()
        job.total = len(unit_ids)
        job.processed = 0
        job.errors = []
    job.status = JobStatus.RUNNING  # a stalled job whose dispatch is redelivered runs again
    job.attempts += 1
    job.result = result
    if not result["chunks"]:
        job.status = JobStatus.SUCCEEDED
        job.finished_at = timezone.now()
    job.save(
        update_fields=[
            "status",
            "started_at",
            "finished_at",
            "progress_at",
            "total",
            "processed",
            "errors",
            "result",
            "attempts",
        ]
    )
    pending = [i for i in range(len(result["chunks"])) if i not in set(result["done"])]
    if pending:
        transaction.on_commit(lambda: _queue_chunks(job.pk, pending))
    return pending


def _queue_chunks(job_id: int, chunks: list[int]) -> None:
    dispatch.enqueue_group(dispatch.RECOMPUTE_CHUNK, ((job_id, chunk) for chunk in chunks))


def _progress(done: int, total: int) -> None:
    if 0 < done < total:  # between two batches: where the worker-loss test pauses
        checkpoint("recompute.progress")


def recompute_chunk(*, job_id: int, chunk: int) -> bool:
    """Recompute one chunk of the job's units and record it done, in one transaction.

    Returns ``False`` when there was nothing to do (job finished, chunk already done). Its
    start counts as progress, recorded before the transaction (which never holds the job row
    while it computes, so chunks of one job run side by side).
    """
    job_heartbeat(job_id=job_id)
    return _recompute_chunk(job_id=job_id, chunk=chunk)


@transaction.atomic
def _recompute_chunk(*, job_id: int, chunk: int) -> bool:
    from .recompute import recompute_year

    job = Job.objects.select_related("created_by").get(pk=job_id)
    if job.status not in TAKES_CHUNKS or chunk in (job.result or {}).get("done", []):
        return False
    unit_ids = job.result["chunks"][chunk]
    counts = recompute_year(
        year=job.params["year"],
        unit_ids=unit_ids,
        project_ids=job.params.get("project_ids"),
        actor=job.created_by,
        progress=_progress,
    )
    job = Job.objects.select_for_update().get(pk=job_id)
    result = dict(job.result)
    if job.status not in TAKES_CHUNKS or chunk in result["done"]:
        # A twin delivery (a re-queued chunk, or the old worker finishing late) committed the
        # same figures first, or the job was superseded: keep theirs, drop ours with the audit
        # rows that would record the same change twice.
        transaction.set_rollback(True)
        return False
    result["done"] = sorted([*result["done"], chunk])
    totals = dict(result.get("counts") or {})
    for key, value in (counts or {}).items():
        if isinstance(value, bool) or key == "year":
            continue
        if isinstance(value, int | float):
            totals[key] = totals.get(key, 0) + value
        elif isinstance(value, list):
            totals[key] = [*totals.get(key, []), *value]
    result["counts"] = totals
    job.result = result
    job.processed = sum(len(result["chunks"][i]) for i in result["done"])
    job.progress_at = timezone.now()
    job.status = JobStatus.RUNNING  # progress again, if the job was marked stalled meanwhile
    fields = ["result", "processed", "progress_at", "status"]
    if len(result["done"]) == len(result["chunks"]):
        job.status = JobStatus.SUCCEEDED
        job.finished_at = job.progress_at
        fields += ["finished_at"]
    job.save(update_fields=fields)
    return True


def recompute_for_execution_batch(*, batch, actor) -> list[int]:
    """One recompute job per year of an imported execution batch, for its projects only.

    Created inside the import's transaction (so it exists exactly when the batch does); the
    caller queues the returned job ids after commit. Never one job per row."""
    rows = (
        batch.records.values_list("project__year", "project__unit_id", "project_id")
        .distinct()
        .order_by("project__year", "project__unit_id", "project_id")
    )
    by_year: dict[int, tuple[set[int], set[int]]] = {}
    for year, unit_id, project_id in rows:
        units, projects = by_year.setdefault(year, (set(), set()))
        units.add(unit_id)
        projects.add(project_id)
    created = []
    for year, (units, projects) in sorted(by_year.items()):
        job = job_create(
            kind=JobKind.RECOMPUTE,
            actor=actor,
            params={
                "year": year,
                "unit": None,
                "execution_batch": batch.pk,
                "unit_ids": sorted(units),
                "project_ids": sorted(projects),
            },
        )
        created.append(job.pk)
    return created


def recompute_failed(*, job_id: int, chunk: int | None, error: BaseException) -> None:
    """A chunk (or the dispatch) gave up after its retries: mark the job failed, say why."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.status in JOB_FINISHED:
        return
    where = "分发" if chunk is None else f"第 {chunk + 1} 批单位"
    job_fail(
        job_id=job_id,
        errors=[*(job.errors or []), {"chunk": chunk, "message": f"{where}：{error}"}],
        result=job.result,
    )


def recompute_nightly(*, year: int | None = None) -> Job:
    """The beat schedule's entry point: recompute a whole year as the system."""
    return recompute_request(actor=None, year=year or timezone.localdate().year)
