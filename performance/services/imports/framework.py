"""The import framework: one pipeline, and each kind of import a small declaration on it.

A kind (:class:`ImportKind`) declares its columns, who may import it, and three steps:
``validate`` (the table → cleaned rows, pure), ``plan`` (rows → every write decided in memory,
scope/role/state problems as row errors), ``write`` (the plan → services and bulk writes, with
audit). :func:`import_run` runs them the same way for every kind: read (hostile-file caps) →
validate → in one transaction plan → count → (dry run: stop) → write → ``after_commit``; any
error anywhere means nothing is written, and every problem is reported at once with row,
column and a Chinese reason. :func:`import_submit` turns an upload above the kind's row
threshold into a background Job (progress: reading and validating 0–80 %, writing 80–100 %);
:func:`import_job` is the Celery task's body and is safe to deliver twice.

Idempotence is each kind's planner's duty (rows equal to the database plan no write); the
framework *says so*: a run whose counts of changes are all zero reports ``changed: false`` and
the summary "没有任何变化".

The admin's 导入 page, ``POST /api/v1/imports/<kind>/`` (one route per registered kind) and
``manage.py import_data <kind> FILE`` all call :func:`import_submit` / :func:`import_run`.
Adding a kind: write its module under ``imports/`` and call :func:`register` from
``imports/__init__.py``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from projects.permissions import holds_any_role

from ... import dispatch
from ...choices import JOB_FINISHED
from ...models import Job
from .. import jobs
from .columns import Column
from .reading import Table, estimate_rows, limit, open_table, read_bytes
from .result import ImportFileError, ImportIssue, ImportResult
from .runs import file_digest, import_run_record

VALIDATED_SHARE = 0.8  # progress: reading and validating fill 80 %, writing the rest
EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "import_examples"

Progress = Callable[[int], None]


@dataclass(frozen=True)
class PlanContext:
    """What a planner gets besides the rows: who imports, into which result, and whether to
    lock the rows it will change (not on a dry run)."""

    actor: Any
    result: ImportResult
    layout: Any
    lock: bool
    options: dict = field(default_factory=dict)


@dataclass(frozen=True)
class WriteContext:
    actor: Any
    result: ImportResult
    options: dict = field(default_factory=dict)


def _nothing_after_commit(plan: Any, context: WriteContext) -> None:
    return None


@dataclass(frozen=True)
class ImportKind:
    """The declaration of one kind of import (``targets``, ``units``, ``people`` …).

    ``validate(table, result, progress) -> (rows, layout)`` cleans every row (no database),
    recording bad cells in ``result`` and raising ``ImportFileError`` for a file that is not
    the kind's table. ``plan(rows, context) -> plan`` reads (and, unless a dry run, locks) what
    it needs and records row errors; ``count(plan, result)`` fills ``result.counts``;
    ``write(plan, context)`` carries the plan out through the services inside the
    transaction; ``after_commit(plan, context)`` queues follow-up work (by task name).
    ``counts`` are (key, Chinese label) pairs; ``change_counts`` the keys that mean a write.
    ``open(data, filename, columns) -> Table`` reads the file (``reading.open_table`` unless
    the kind has a layout of its own to detect, as the printed 整体 form of ``targets``).
    """

    name: str
    title: str
    job_kind: str
    roles: frozenset[str]
    columns: tuple[Column, ...]
    example: str  # file name in performance/import_examples/
    counts: tuple[tuple[str, str], ...]
    change_counts: tuple[str, ...]
    validate: Callable[[Table, ImportResult, Progress | None], tuple[list, Any]]
    plan: Callable[[list, PlanContext], Any]
    count: Callable[[Any, ImportResult], None]
    write: Callable[[Any, WriteContext], None]
    after_commit: Callable[[Any, WriteContext], None] = _nothing_after_commit
    refusal_message: str = "您没有导入该类数据的权限。"
    summarize: Callable[[ImportResult], str] | None = None
    async_rows_setting: str = "IMPORT_ASYNC_ROWS"
    # reads the file into a Table (a kind with a form layout reads it here); default open_table
    open: Callable[[bytes, str, tuple[Column, ...]], Table] = open_table

    @property
    def example_path(self) -> Path:
        return EXAMPLES_DIR / self.example


KINDS: dict[str, ImportKind] = {}


def register(kind: ImportKind) -> ImportKind:
    """Add a kind to the registry (the API, the admin page and the command list it)."""
    if kind.name in KINDS and KINDS[kind.name] is not kind:
        raise ValueError(f"import kind {kind.name!r} registered twice")
    KINDS[kind.name] = kind
    return kind


def get_kind(name: str) -> ImportKind:
    """The registered kind ``name``; an unknown name is a ``LookupError`` naming the known ones."""
    try:
        return KINDS[name]
    except KeyError:
        raise LookupError(
            f"未知的导入类型「{name}」（可用：{'、'.join(sorted(KINDS))}）。"
        ) from None


def import_refusal(actor, kind: ImportKind) -> str | None:
    """Why ``actor`` may not import ``kind`` at all (before the file is read), or None.

    The system (``actor=None``) and superusers are never refused; everybody else must hold one
    of the kind's roles somewhere — the rows are checked against each unit later."""
    if actor is None or actor.is_superuser:
        return None
    if not actor.is_authenticated or not actor.is_active:
        return "请先登录。"
    if not holds_any_role(actor, kind.roles):
        return kind.refusal_message
    return None


def importable_kinds(actor) -> list[ImportKind]:
    """The registered kinds ``actor`` may import (the admin's 数据导入 lists these)."""
    return [kind for kind in KINDS.values() if import_refusal(actor, kind) is None]


def require_importer(actor, kind: ImportKind) -> None:
    refusal = import_refusal(actor, kind)
    if refusal:
        raise PermissionDenied(refusal)


def new_result(kind: ImportKind, filename: str, dry_run: bool, job: Job | None) -> ImportResult:
    return ImportResult(
        filename=filename,
        dry_run=dry_run,
        job_id=job.pk if job else None,
        kind=kind.name,
        counts=dict.fromkeys((key for key, _ in kind.counts), 0),
        count_labels=dict(kind.counts),
        change_keys=kind.change_counts,
        summarize=kind.summarize,
    )


def import_run(
    *,
    kind: str,
    actor,
    file,
    filename: str,
    dry_run: bool = False,
    job: Job | None = None,
    options: dict | None = None,
) -> ImportResult:
    """Validate the whole file, then (unless ``dry_run`` or any error) write it in one go.

    ``file`` is bytes, a path or a binary file object. Raises ``PermissionDenied`` for an
    actor who may not import the kind at all; every other problem is in the result."""
    declared = get_kind(kind)
    require_importer(actor, declared)
    options = dict(options or {})
    filename = os.path.basename(filename or "upload")
    result = new_result(declared, filename, dry_run, job)
    digest = ""
    try:
        data = read_bytes(file, limit("IMPORT_MAX_BYTES"))
        digest = file_digest(data)
        _run(declared, data, result, actor=actor, dry_run=dry_run, job=job, options=options)
    except ImportFileError as error:
        result.errors.extend(error.issues)
    run = import_run_record(
        result=result, actor=actor, roles=declared.roles, digest=digest, options=options, job=job
    )
    result.run_id = run.pk
    return result


def _run(
    declared: ImportKind,
    data: bytes,
    result: ImportResult,
    *,
    actor,
    dry_run: bool,
    job: Job | None,
    options: dict,
) -> None:
    """The pipeline of :func:`import_run` on the file's bytes; everything lands in ``result``."""
    filename = result.filename
    progress = _progress(job)
    try:
        table = declared.open(data, filename, declared.columns)
        result.notices.extend(table.notices)
        rows, layout = declared.validate(table, result, progress)
    except ImportFileError as error:
        result.errors.extend(error.issues)
        return
    plan = None
    try:
        with transaction.atomic():
            plan = declared.plan(
                rows,
                PlanContext(
                    actor=actor, result=result, layout=layout, lock=not dry_run, options=options
                ),
            )
            result.errors.sort(key=lambda issue: issue.row or 0)
            if result.errors:
                return
            declared.count(plan, result)
            if dry_run:
                return
            if job is not None:
                jobs.job_progress(
                    job_id=job.pk, processed=int(job.total * VALIDATED_SHARE), total=job.total
                )
            context = WriteContext(actor=actor, result=result, options=options)
            declared.write(plan, context)
            result.committed = True
            transaction.on_commit(lambda: declared.after_commit(plan, context))
    except IntegrityError:
        result.committed = False
        result.error(
            "保存时与其他用户同时进行的修改冲突（如同一项目被同时创建），本次未导入任何数据；请重新导入。",
            "conflict",
        )


def _progress(job: Job | None) -> Progress | None:
    if job is None:
        return None

    def report(rows: int) -> None:
        total = max(job.total, rows)
        job.total = total
        jobs.job_progress(job_id=job.pk, processed=int(rows * VALIDATED_SHARE), total=total)

    return report


def import_submit(
    *, kind: str, actor, file, filename: str, dry_run: bool = False, options: dict | None = None
) -> ImportResult | Job:
    """Import a small upload now, or queue one above the kind's row threshold as a Job."""
    declared = get_kind(kind)
    require_importer(actor, declared)
    filename = os.path.basename(filename or "upload")
    try:
        data = read_bytes(file, limit("IMPORT_MAX_BYTES"))
    except ImportFileError as error:
        result = new_result(declared, filename, dry_run, None)
        result.errors.extend(error.issues)
        return result
    estimate = estimate_rows(data)
    if estimate <= limit(declared.async_rows_setting):
        return import_run(
            kind=kind, actor=actor, file=data, filename=filename, dry_run=dry_run, options=options
        )
    job = jobs.job_create(
        kind=declared.job_kind,
        actor=actor,
        params={
            "import_kind": declared.name,
            "filename": filename,
            "dry_run": dry_run,
            "options": dict(options or {}),
            "estimated_rows": estimate,
            "actor_id": getattr(actor, "pk", None),
        },
        input_file=ContentFile(data, name=filename),
        total=estimate,
    )
    transaction.on_commit(lambda: dispatch.enqueue(dispatch.RUN_IMPORT, job.pk))
    return job


def import_job(*, job_id: int) -> dict:
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
        result = import_run(
            kind=params.get("import_kind", "targets"),
            actor=job.created_by,
            file=data,
            filename=params.get("filename", os.path.basename(job.input_file.name)),
            dry_run=bool(params.get("dry_run")),
            job=job,
            options=params.get("options") or {},
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
