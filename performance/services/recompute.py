"""Set-based recomputation of a year's derived figures: execution rates, indicator scores,
totals, grades and monitoring lights.

Rows are read in batches (one SQL aggregate for the budgets and executed amounts of a batch,
one query for its indicators and scores), handed to the same row functions as
``evaluation_compute`` / ``monitoring_report_compute`` (``figures.apply_evaluation`` and
``figures.apply_report``), written back with ``bulk_update(batch_size=…)`` and audited with
``record_many`` for the rows that changed. Each batch commits on its own, so a worker killed
half-way leaves finished batches correct and a redelivered task simply redoes the rest (a
second run changes nothing). ``unit_ids`` lets the work fan out per unit across workers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import groupby
from typing import Any

from django.db import transaction

from projects import audit
from projects.models import AuditAction

from ..choices import Grade, Light
from ..models import (
    IndicatorEvaluation,
    MonitoringEntry,
    MonitoringReport,
    Notification,
    SelfEvaluation,
)
from . import figures
from .alerts import alert_recipients, notify_grade, notify_lights
from .evaluation import compute_evaluations
from .monitoring import compute_reports

COMMENT = "按年度批量重新计算"


def _chunks(items: Sequence[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _grouped(queryset, key: str) -> dict[int, list]:
    groups: dict[int, list] = {}
    for row in queryset:
        groups.setdefault(getattr(row, key), []).append(row)
    return groups


def recompute_year(
    *,
    year: int,
    unit_ids: list[int] | None = None,
    actor=None,
    batch_size: int = 1000,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Recompute every self-evaluation and monitoring report of ``year`` (of ``unit_ids`` only,
    when given). Results are identical to the single-object services. Returns counts:
    ``evaluations``, ``evaluations_changed``, ``scores_changed``, ``reports``,
    ``reports_changed``, ``entries_changed`` and ``errors`` (evaluations left unsaved)."""
    batch_size = max(1, int(batch_size))
    evaluations = SelfEvaluation.objects.filter(year=year)
    reports = MonitoringReport.objects.filter(round__year=year)
    if unit_ids is not None:
        evaluations = evaluations.filter(unit_id__in=list(unit_ids))
        reports = reports.filter(unit_id__in=list(unit_ids))
    evaluation_ids = list(evaluations.order_by("pk").values_list("pk", flat=True))
    report_ids = list(reports.order_by("round_id", "pk").values_list("round_id", "pk"))
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
        _evaluation_batch(chunk, actor=actor, batch_size=batch_size, counts=counts)
        done += len(chunk)
        if progress:
            progress(done, total)
    for _round_id, rows in groupby(report_ids, key=lambda row: row[0]):
        for chunk in _chunks([pk for _, pk in rows], batch_size):
            _report_batch(chunk, actor=actor, batch_size=batch_size, counts=counts)
            done += len(chunk)
            if progress:
                progress(done, total)
    counts.pop("_recipients", None)
    return counts


@transaction.atomic
def _evaluation_batch(ids: list[int], *, actor, batch_size: int, counts: dict) -> None:
    evaluations = list(
        SelfEvaluation.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .select_related("scheme", "unit", "project")
        .order_by("pk")
    )
    scores = _grouped(
        figures.with_indicators(IndicatorEvaluation.objects.filter(evaluation_id__in=ids)),
        "evaluation_id",
    )
    old_grades = {e.pk: e.grade for e in evaluations}
    changed, errors = compute_evaluations(evaluations, scores, batch_size=batch_size)
    audit.record_many(
        entries=changed,
        actor=actor,
        action=AuditAction.COMPUTE,
        comment=COMMENT,
        batch_size=batch_size,
    )
    counts["evaluations_changed"] += len(changed)
    counts["scores_changed"] += sum(
        len({key.split("]")[0] for key in c if key.startswith("scores[")}) for _, c in changed
    )
    counts["errors"].extend(errors)
    newly_poor = [
        e
        for e, _ in changed
        if e.grade == Grade.POOR
        and old_grades[e.pk] != Grade.POOR
        and figures.is_complete(scores.get(e.pk, []))  # notify_grade's own condition
    ]
    for evaluation in _not_yet_announced(newly_poor, "poor"):
        notify_grade(
            evaluation,
            scores.get(evaluation.pk, []),
            recipients=_recipients(evaluation.unit, counts),
        )


@transaction.atomic
def _report_batch(ids: list[int], *, actor, batch_size: int, counts: dict) -> None:
    reports = list(
        MonitoringReport.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .select_related("round", "unit", "project")
        .order_by("pk")
    )
    if not reports:
        return
    entries = _grouped(
        figures.with_indicators(MonitoringEntry.objects.filter(report_id__in=ids)), "report_id"
    )
    old_lights = {r.pk: r.light for r in reports}
    changed = compute_reports(reports[0].round, reports, entries, batch_size=batch_size)
    audit.record_many(
        entries=changed,
        actor=actor,
        action=AuditAction.COMPUTE,
        comment=COMMENT,
        batch_size=batch_size,
    )
    counts["reports_changed"] += len(changed)
    counts["entries_changed"] += sum(
        len({key.split("]")[0] for key in c if key.startswith("entries[")}) for _, c in changed
    )
    newly_red = [r for r, _ in changed if r.light == Light.RED and old_lights[r.pk] != Light.RED]
    for report in _not_yet_announced(newly_red, "red"):
        notify_lights(report, recipients=_recipients(report.unit, counts))


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


def _recipients(unit, counts: dict) -> list:
    """Alert recipients per unit, looked up once per run (kept beside the counts)."""
    cache = counts.setdefault("_recipients", {})
    if unit.pk not in cache:
        cache[unit.pk] = alert_recipients(unit)
    return cache[unit.pk]
