"""Set-based recomputation of a year's derived figures: execution rates, indicator scores,
totals, grades and monitoring lights.

Rows are read in batches: the evaluations (or reports) locked, one SQL aggregate for their
budgets and executed amounts, one query for all their score (or entry) rows with indicators,
read as light rows (``light_rows.py``) rather than model instances. They go through the same row
functions as ``evaluation_compute`` / ``monitoring_report_compute`` (``derived_figures.apply_evaluation``
and ``derived_figures.apply_report``), are written back in bulk (``projects.bulk_writes``: COPY + UPDATE … FROM
on PostgreSQL) and audited with ``record_many`` — one row per changed evaluation or report.
Each batch commits on its own, so a worker killed half-way leaves finished batches correct and
a redelivered task simply redoes the rest (a second run changes nothing). ``unit_ids`` lets the
work fan out per unit across workers. Schemes and alert recipients are looked up once per run.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import groupby
from typing import Any

from django.db import connection, transaction
from django.db.models import F, prefetch_related_objects

from projects import audit
from projects.models import AuditAction

from ..choices import Grade, Light, RoundStatus
from ..models import MonitoringReport, MonitoringRound, Notification, SelfEvaluation
from ..selectors import light_rows
from . import derived_figures
from .alerts import alert_recipients_for, notify_grade, notify_lights
from .evaluation import compute_evaluations
from .monitoring import compute_reports

COMMENT = "按年度批量重新计算"


def _chunks(items: Sequence[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one batch.

    A batch allocates some hundred thousand small objects (rows, Decimals, lists), which
    triggers full collections that walk every live object again and again: half of a batch's
    time. These objects form no reference cycles; whatever does is collected right after.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def recompute_year(
    *,
    year: int,
    unit_ids: list[int] | None = None,
    project_ids: list[int] | None = None,
    actor=None,
    batch_size: int = 1000,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Recompute every self-evaluation and monitoring report of ``year`` (of ``unit_ids`` only,
    when given; of ``project_ids`` only, when given). Results are identical to the single-object services. Returns counts:
    ``evaluations``, ``evaluations_changed``, ``scores_changed``, ``reports``,
    ``reports_changed``, ``entries_changed`` and ``errors`` (evaluations left unsaved)."""
    batch_size = max(1, int(batch_size))
    evaluations = SelfEvaluation.objects.filter(year=year)
    # A closed round's reports are final (its red lights may have raised 整改): left alone.
    reports = MonitoringReport.objects.filter(round__year=year).exclude(
        round__status=RoundStatus.CLOSED
    )
    if unit_ids is not None:
        evaluations = evaluations.filter(unit_id__in=list(unit_ids))
        reports = reports.filter(unit_id__in=list(unit_ids))
    if project_ids is not None:  # an execution batch's projects only
        evaluations = evaluations.filter(project_id__in=list(project_ids))
        reports = reports.filter(project_id__in=list(project_ids))
    evaluation_ids = list(evaluations.order_by("pk").values_list("pk", flat=True))
    report_ids = list(reports.order_by("round_id", "pk").values_list("round_id", "pk"))
    # Whole rounds (a few): the computation, ``str`` and the red-light notices (the deadline)
    # read them, so none is a partial instance missing a field.
    rounds = MonitoringRound.objects.in_bulk({round_id for round_id, _ in report_ids})
    total = len(evaluation_ids) + len(report_ids)
    counts: dict[str, Any] = {
        "year": year,
        "evaluations": len(evaluation_ids),
        "evaluations_changed": 0,
        "scores_changed": 0,
        "reports": len(report_ids),
        "reports_changed": 0,
        "entries_changed": 0,
        "errors": [],
    }
    done = 0
    if progress:
        progress(done, total)
    for chunk in _chunks(evaluation_ids, batch_size):
        with _gc_paused():
            _evaluation_batch(chunk, actor=actor, batch_size=batch_size, counts=counts)
        done += len(chunk)
        if progress:
            progress(done, total)
    for round_id, group in groupby(report_ids, key=lambda row: row[0]):
        group = list(group)
        round_ = rounds[round_id]
        for chunk in _chunks([row[1] for row in group], batch_size):
            with _gc_paused():
                _report_batch(
                    chunk, round_=round_, actor=actor, batch_size=batch_size, counts=counts
                )
            done += len(chunk)
            if progress:
                progress(done, total)
    for name in ("_recipients", "_engines", "_schemes"):
        counts.pop(name, None)
    return counts


def _tune_batch() -> None:
    """Settings for this batch's transaction (PostgreSQL only, this transaction only).

    - ``random_page_cost = 1.1``: a batch reads a few thousand score or entry rows and joins
      each to its indicator by primary key. With the default of 4 (spinning disks) the
      planner instead hashes the whole indicator table — 1.5 million rows in a province — for
      every batch, ten times slower. 1.1 is the usual setting for SSDs and cached data.
    - ``synchronous_commit = off``: the commit does not wait for its WAL to reach the disk.
      A crash can lose the last moments' commits — figures derived from stored inputs, which
      the job (whose record of finished chunks commits with them) simply recomputes.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # One statement for both (``set_config(…, true)`` is ``SET LOCAL``).
            cursor.execute(
                "SELECT set_config('random_page_cost', '1.1', true),"
                " set_config('synchronous_commit', 'off', true)"
            )


# What a batch needs of each parent's unit, project and goal, read as annotations of the
# locked rows: model instances of three relations per row would cost more than the rows.
CONTEXT = {
    "ctx_project_name": F("project__name"),
    "ctx_unit_name": F("unit__name"),
    "ctx_unit_path": F("unit__path"),
    **light_rows.GOAL_CONTEXT,
}


# Columns of the locked parents nobody reads here: their text and timestamps (each timestamp
# parsed by Django's Python time-zone loader) would cost more than the figures.
UNREAD = ("status", "last_comment", "submitted_at", "lock_version", "created_at", "updated_at")
UNREAD_OF = {
    SelfEvaluation: (*UNREAD, "deviation_analysis", "measures", "created_by"),
    MonitoringReport: (*UNREAD, "summary"),
}


def _locked(model, ids: list[int]) -> list:
    return list(
        model.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .defer(*UNREAD_OF[model])
        .annotate(**CONTEXT)
        .order_by("pk")
    )


@transaction.atomic
def _evaluation_batch(ids: list[int], *, actor, batch_size: int, counts: dict) -> None:
    _tune_batch()
    evaluations = _locked(SelfEvaluation, ids)
    scores = light_rows.scores_by_evaluation(ids, goals=light_rows.parent_goals(evaluations))
    old_grades = {e.pk: e.grade for e in evaluations}
    changed, errors = compute_evaluations(
        evaluations, scores, batch_size=batch_size, engines=_cache(counts, "_engines")
    )
    audit.record_many(
        entries=changed,
        actor=actor,
        action=AuditAction.COMPUTE,
        comment=COMMENT,
        batch_size=batch_size,
        reprs={
            e.pk: SelfEvaluation.describe(
                year=e.year,
                project_name=e.ctx_project_name if e.project_id else None,
                unit_name=e.ctx_unit_name,
            )
            for e, _ in changed
        },
    )
    counts["evaluations_changed"] += len(changed)
    counts["scores_changed"] += sum(_rows_changed(c, "scores[") for _, c in changed)
    counts["errors"].extend(errors)
    newly_poor = [
        e
        for e, _ in changed
        if e.grade == Grade.POOR
        and old_grades[e.pk] != Grade.POOR
        and derived_figures.is_complete(scores.get(e.pk, []))  # notify_grade's own condition
    ]
    announce, recipients = _to_announce(newly_poor, "poor", counts)
    if announce:
        for evaluation in announce:
            notify_grade(
                evaluation,
                scores.get(evaluation.pk, []),
                recipients=recipients[evaluation.unit_id],
            )


@transaction.atomic
def _report_batch(
    ids: list[int], *, round_: MonitoringRound, actor, batch_size: int, counts: dict
) -> None:
    _tune_batch()
    reports = _locked(MonitoringReport, ids)
    if not reports:
        return
    entries = light_rows.entries_by_report(ids, goals=light_rows.parent_goals(reports))
    old_lights = {r.pk: r.light for r in reports}
    changed = compute_reports(
        round_,
        reports,
        entries,
        batch_size=batch_size,
        schemes=_cache(counts, "_schemes"),
        unit_paths={r.unit_id: r.ctx_unit_path for r in reports},
    )
    round_text = str(round_)
    audit.record_many(
        entries=changed,
        actor=actor,
        action=AuditAction.COMPUTE,
        comment=COMMENT,
        batch_size=batch_size,
        reprs={
            r.pk: MonitoringReport.describe(round_text=round_text, project_name=r.ctx_project_name)
            for r, _ in changed
        },
    )
    counts["reports_changed"] += len(changed)
    counts["entries_changed"] += sum(_rows_changed(c, "entries[") for _, c in changed)
    newly_red = [r for r, _ in changed if r.light == Light.RED and old_lights[r.pk] != Light.RED]
    announce, recipients = _to_announce(newly_red, "red", counts)
    if announce:
        for report in announce:
            report.round = round_
            notify_lights(report, recipients=recipients[report.unit_id])


def _rows_changed(changes: dict, prefix: str) -> int:
    """How many rows (``scores[12].…`` keys) a nested change dict touches."""
    return len({key.split("]", 1)[0] for key in changes if key.startswith(prefix)})


def _cache(counts: dict, name: str) -> dict:
    """A per-run cache kept beside the counts (dropped before they are returned)."""
    return counts.setdefault(name, {})


def _to_announce(objects: list, prefix: str, counts: dict) -> tuple[list, dict[int, list]]:
    """The objects whose event notifies somebody for the first time, with their unit and
    project loaded, and the recipients by unit. Nobody to tell costs no further query."""
    announce = _not_yet_announced(objects, prefix)
    recipients = _recipients(announce, counts) if announce else {}
    announce = [obj for obj in announce if recipients[obj.unit_id]]
    if announce:
        prefetch_related_objects(announce, "unit", "project")
    return announce, recipients


def _not_yet_announced(objects: list, prefix: str) -> list:
    """Objects whose event (occasion ``<prefix>:<pk>``) has notified nobody yet: one query."""
    if not objects:
        return []
    keys = {f"{prefix}:{obj.pk}": obj for obj in objects}
    sent = set(
        Notification.objects.filter(occasion_key__in=list(keys))
        .order_by()
        .values_list("occasion_key", flat=True)
        .distinct()
    )
    return [obj for key, obj in keys.items() if key not in sent]


def _recipients(parents: list, counts: dict) -> dict[int, list]:
    """Alert recipients per unit, looked up once per run for all the batch's units at once
    (a unit nobody would hear about costs no further query or message)."""
    cache = _cache(counts, "_recipients")
    missing = {p.unit_id: p.ctx_unit_path for p in parents if p.unit_id not in cache}
    if missing:
        cache.update(alert_recipients_for(missing))
    return cache
