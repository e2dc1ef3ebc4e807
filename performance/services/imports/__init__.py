"""Imports (xlsx or csv): validate everything, then write all or nothing — one framework.

Public interface
----------------
import_run / import_submit / import_job (``framework``), KINDS, get_kind, importable_kinds
    The framework every kind plugs into (``framework.ImportKind``); the admin, the API
    (``/api/v1/imports/<kind>/``) and ``manage.py import_data <kind> FILE`` call these.
    Registered kinds: ``targets`` (``kinds/targets.py``), ``units`` and ``people``
    (``kinds/units.py``, ``kinds/people.py``: master data, README "Units and people"),
    ``projects`` and ``execution`` (``kinds/projects.py``, ``kinds/execution.py``: the year's
    project library with budgets, and the treasury payment feed, streamed and set-based).
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
    become a Job run by the Celery task ``performance.run_import`` (the request answers at
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

from ...models import Job
from .framework import (
    KINDS,
    ImportKind,
    PlanContext,
    WriteContext,
    get_kind,
    import_job,
    import_refusal,
    import_run,
    import_submit,
    importable_kinds,
    register,
)
from .kinds.execution import EXECUTION
from .kinds.people import PEOPLE
from .kinds.projects import PROJECTS
from .kinds.targets import TARGETS
from .kinds.units import UNITS
from .result import ImportFileError, ImportIssue, ImportResult

__all__ = [
    "KINDS",
    "ImportFileError",
    "ImportIssue",
    "ImportKind",
    "ImportResult",
    "PlanContext",
    "WriteContext",
    "get_kind",
    "import_job",
    "import_refusal",
    "import_run",
    "import_submit",
    "importable_kinds",
    "register",
    "targets_import",
    "targets_import_job",
    "targets_import_submit",
]

register(TARGETS)
register(UNITS)
register(PEOPLE)
register(PROJECTS)  # issue 18 WP-B2
register(EXECUTION)  # issue 18 WP-B2


def targets_import(
    *, actor, file, filename: str, dry_run: bool = False, job: Job | None = None
) -> ImportResult:
    """The ``targets`` kind through :func:`import_run` (kept for its callers)."""
    return import_run(
        kind="targets", actor=actor, file=file, filename=filename, dry_run=dry_run, job=job
    )


def targets_import_submit(
    *, actor, file, filename: str, dry_run: bool = False
) -> ImportResult | Job:
    """The ``targets`` kind through :func:`import_submit` (kept for its callers)."""
    return import_submit(kind="targets", actor=actor, file=file, filename=filename, dry_run=dry_run)


def targets_import_job(*, job_id: int) -> dict:
    """A queued import of any kind (the old task name's body)."""
    return import_job(job_id=job_id)
