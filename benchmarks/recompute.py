"""Recompute rates, scores, grades and lights at province scale.

    python -m benchmarks.recompute                              # 10,000 projects, all variants
    python -m benchmarks.recompute --projects 10000 --processes 1,2 --no-orm     # scale-out
    python -m benchmarks.recompute --projects 100000 --processes 2 --no-orm
    python -m benchmarks.recompute --projects 2000 --no-orm --profile    # where the time goes

The project's path is ``performance.services.recompute.recompute_year`` over the units that
hold the first ``--projects`` synthetic projects (``benchmarks.generate`` makes them, ten per
unit; with ``--processes 2`` two fresh processes take chunks of 100 units from a shared queue,
as two Celery workers share ``recompute_chunk`` tasks, and the floors run as two halves at
once). Baselines, on the same rows in the same run:

- the per-object ORM loop: per evaluation / report, load it and its rows with the ORM
  (``select_related`` indicator, goal, project), sum its budget and payments, compute with the
  same row function (``derived_figures.apply_evaluation`` / ``apply_report``), ``save()`` every row and
  the parent, one transaction per parent;
- the floor: one SQL read of all inputs (a query per output table, plain tuples, budgets and
  payments summed in SQL), the pure engine (``targets`` + ``scoring``) called on plain values,
  and one bulk write of all outputs (``COPY`` into a temporary table + one ``UPDATE … FROM``
  per table), in one transaction with the garbage collector paused. Measured twice:
  - "floor": the figures only;
  - "floor+audit": the same outputs as the project's path — the figures and one audit row
    per changed evaluation or report (old and new value of every changed field, its rows'
    as ``scores[<pk>].<field>``), so the read also takes the stored figures and the names
    the audit shows, and the write also ``COPY``s the audit rows. The target (≤ 2×) is
    checked against this one; the figures-only ratio is printed beside it.
  Neither has locks, batches, per-batch commits or notification checks.

Timing: ``--repeat`` rounds (default 3); each round runs every variant once, in an order
rotated from round to round (``benchmarks.measure.rounds``); before every run the computed
columns are reset (not timed) and the project's in-process caches cleared
(``measure.clear_caches``; with ``--processes`` above 1 every run has fresh processes), so no
run starts warm from another. The ORM loop takes part in the first ``--orm-repeat`` rounds
only (default 1: about 4 minutes per run at 10,000 projects). Printed: every run, then per variant
the median, the fastest and slowest run and the spread, and ratios of medians with the range
of the per-round ratios. With several ``--processes`` counts (``1,2``) the project's path and
the floors run at each, and the speed-up and per-process throughput are printed.

Checks, none of them timed:

- the first run of each variant: every stored figure (scores, notes, totals, rates, grades,
  deviation flags, values, findings and lights) is compared with the engine's, computed here
  from plain values (targets re-read from their raw text) — independent of the project's path
  and of the ORM loop, which compute with ``performance.services.derived_figures``;
- every run: PostgreSQL digests of the stored figures (and of the audit rows) must equal
  those of the project's path. So the floor, which computes with the same ``engine_outputs``
  it would be compared with above, is checked against the project's own code too;
- the audit rows of floor+audit and of the project's path, two independent implementations,
  are compared row by row (object, text shown, unit, actor, action, changes, comment); the
  figures-only floor and the ORM loop must write none.

The ratio line is printed last.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import multiprocessing
import time
from dataclasses import asdict
from decimal import Decimal

from . import setup_django
from .measure import clear_caches, describe, median, ratio_range, rounds

YEAR = 2025
ZERO = Decimal(0)
UNITS_PER_CHUNK = 100  # units per worker task with --processes (1,000 projects)


def scope_units(projects: int) -> list[int]:
    """Ids of the synthetic units holding the first ``projects`` projects (generated if absent)."""
    from projects.models import Project, Unit

    from .generate import PREFIX, PROJECTS_PER_UNIT, generate

    if Project.objects.filter(unit__path__startswith=f"/{PREFIX}/").count() < projects:
        generate(projects)
    units = Unit.objects.filter(path__startswith=f"/{PREFIX}/", kind="unit").order_by("code")
    return list(units.values_list("pk", flat=True)[: -(-projects // PROJECTS_PER_UNIT)])


def reset_outputs(unit_ids: list[int]) -> None:
    """Blank every computed column in scope and drop earlier runs' compute audit rows."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE performance_indicatorevaluation s SET actual_value = NULL,"
            " computed_score = NULL, final_score = NULL, over_achieved = FALSE, notes = '[]'"
            " FROM performance_selfevaluation e WHERE e.id = s.evaluation_id"
            " AND e.year = %s AND e.unit_id = ANY(%s)",
            [YEAR, unit_ids],
        )
        cursor.execute(
            "UPDATE performance_selfevaluation SET budget = 0, executed = 0,"
            " execution_rate = NULL, execution_score = NULL, category_rates = '{}',"
            " total_score = NULL, grade = '', has_deviation = FALSE, computed_at = NULL"
            " WHERE year = %s AND unit_id = ANY(%s)",
            [YEAR, unit_ids],
        )
        cursor.execute(
            "UPDATE performance_monitoringentry s SET value = NULL, forecast_value = NULL,"
            " light = '', findings = '[]', expected_value = NULL, expected_basis = '',"
            " expected_period = NULL FROM performance_monitoringreport r,"
            " performance_monitoringround m WHERE r.id = s.report_id AND m.id = r.round_id"
            " AND m.year = %s AND r.unit_id = ANY(%s)",
            [YEAR, unit_ids],
        )
        cursor.execute(
            "UPDATE performance_monitoringreport r SET budget = 0, executed = 0,"
            " execution_rate = NULL, time_progress = NULL, budget_light = '', light = '',"
            " computed_at = NULL FROM performance_monitoringround m WHERE m.id = r.round_id"
            " AND m.year = %s AND r.unit_id = ANY(%s)",
            [YEAR, unit_ids],
        )
        cursor.execute(
            "DELETE FROM projects_auditentry WHERE action = 'compute' AND unit_id = ANY(%s)",
            [unit_ids],
        )
        cursor.execute("DELETE FROM performance_notification WHERE unit_id = ANY(%s)", [unit_ids])
        cursor.execute("CHECKPOINT")  # each run starts with the same amount of WAL to write
        for table in (
            "performance_indicatorevaluation",
            "performance_selfevaluation",
            "performance_monitoringentry",
            "performance_monitoringreport",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")  # each run finds the same free space


# --- the engine, from plain values (the reference and the floor's compute) -----------------


def read_inputs(unit_ids: list[int]) -> dict:
    """Every input of the computation as plain tuples: one query per output table. Each row
    also carries, after the inputs, what the audit rows need: the names ``str()`` shows and
    the stored figures the new ones are compared with."""
    from django.db import connection

    queries = {
        "evaluations": """
            SELECT e.id, e.scheme_id, e.deviation_declared, e.scope,
              COALESCE((SELECT SUM(b.adjusted_amount) FROM projects_projectbudget b
                        WHERE b.project_id = e.project_id), 0),
              COALESCE((SELECT SUM(x.amount) FROM projects_executionrecord x
                        WHERE x.project_id = e.project_id AND x.date <= make_date(e.year, 12, 31)), 0),
              e.year, e.unit_id, p.name, e.budget, e.executed, e.execution_rate,
              e.execution_score, e.category_rates, e.total_score, e.grade, e.has_deviation
            FROM performance_selfevaluation e LEFT JOIN projects_project p ON p.id = e.project_id
            WHERE e.year = %s AND e.unit_id = ANY(%s)""",
        "scores": """
            SELECT s.id, s.evaluation_id, s.actual_raw, s.band, s.band_score, s.override_score,
                   s.override_reason, i.raw_value, i.level1, i.weight,
                   s.actual_value, s.computed_score, s.final_score, s.over_achieved, s.notes
            FROM performance_indicatorevaluation s
            JOIN performance_selfevaluation e ON e.id = s.evaluation_id
            JOIN performance_indicator i ON i.id = s.indicator_id
            WHERE e.year = %s AND e.unit_id = ANY(%s)""",
        "reports": """
            SELECT r.id, r.unit_id, m.data_month,
              COALESCE((SELECT SUM(b.adjusted_amount) FROM projects_projectbudget b
                        WHERE b.project_id = r.project_id), 0),
              COALESCE((SELECT SUM(x.amount) FROM projects_executionrecord x
                        WHERE x.project_id = r.project_id
                          AND x.date < make_date(m.year, m.data_month, 1) + interval '1 month'), 0),
              m.year, r.unit_id, p.name, m.title, r.budget, r.executed, r.execution_rate,
              r.time_progress, r.budget_light, r.light
            FROM performance_monitoringreport r
            JOIN performance_monitoringround m ON m.id = r.round_id
            JOIN projects_project p ON p.id = r.project_id
            WHERE m.year = %s AND r.unit_id = ANY(%s)""",
        "entries": """
            SELECT s.id, s.report_id, s.value_raw, s.forecast_raw, s.band, i.raw_value, i.level1,
                   i.period_kind, i.period_mode, i.period_target_1, i.period_target_2,
                   i.period_target_3, i.period_target_4,
                   s.value, s.forecast_value, s.light, s.findings, s.expected_value,
                   s.expected_basis, s.expected_period
            FROM performance_monitoringentry s
            JOIN performance_monitoringreport r ON r.id = s.report_id
            JOIN performance_monitoringround m ON m.id = r.round_id
            JOIN performance_indicator i ON i.id = s.indicator_id
            WHERE m.year = %s AND r.unit_id = ANY(%s)""",
    }
    result = {}
    with connection.cursor() as cursor:
        for name, sql in queries.items():
            cursor.execute(sql, [YEAR, unit_ids])
            result[name] = cursor.fetchall()
    return result


def engine_schemes(unit_ids: list[int]) -> tuple[dict, dict]:
    """(engine scheme by scheme id, engine scheme by unit id) — the product's own resolver."""
    from performance.models import ScoringScheme
    from performance.selectors.schemes import scheme_lookup
    from projects.models import Unit

    by_id = {s.pk: s.to_engine() for s in ScoringScheme.objects.all()}
    scheme_of = scheme_lookup()
    by_unit = {}
    for pk, path in Unit.objects.filter(pk__in=unit_ids).values_list("pk", "path"):
        by_unit[pk] = by_id[scheme_of(path, YEAR).pk]
    return by_id, by_unit


def engine_outputs(inputs: dict, schemes: tuple[dict, dict]) -> dict:
    """Every computed figure, straight from ``targets`` and ``scoring`` on plain values."""
    from performance import scoring, targets

    by_scheme, by_unit = schemes
    now = dt.datetime.now(dt.UTC)
    hundred = Decimal(100)
    scores_of: dict[int, list] = {}
    for row in inputs["scores"]:
        scores_of.setdefault(row[1], []).append(row[:10])
    out = {"evaluations": [], "scores": [], "reports": [], "entries": []}
    for pk, scheme_id, declared, scope, budget, executed in (r[:6] for r in inputs["evaluations"]):
        if scope != "project":
            raise NotImplementedError("the synthetic province has project evaluations only")
        scheme = by_scheme[scheme_id]
        results, short = [], False
        for row in scores_of.get(pk, ()):
            score_pk, _, actual_raw, band, band_score, override, reason, raw, level1, weight = row
            target = targets.parse_target(raw, level1=level1)
            category = targets.category_of(level1)
            actual, findings = None, ()
            if actual_raw.strip() and target.operator is not None:
                actual, findings = targets.parse_actual(actual_raw, target=target)
            result = scoring.indicator_score(
                weight=weight if weight is not None else ZERO,
                operator=target.operator,
                target=target.value,
                actual=actual,
                scheme=scheme,
                category=category,
                spent=executed,
                band=band or None,
                band_score=band_score,
                override=override,
                override_reason=reason,
            )
            probe = scoring.indicator_score(
                weight=hundred,
                operator=target.operator,
                target=target.value,
                actual=actual,
                scheme=scheme,
                band=band or None,
            )
            short = short or probe.computed < hundred
            notes = [f.message for f in findings] + list(result.notes)
            out["scores"].append(
                (score_pk, actual, result.computed, result.final, result.over_achieved, notes)
            )
            results.append((category, weight if weight is not None else ZERO, result))
        project = scoring.project_result(
            scheme=scheme, budget=budget, executed=executed, indicators=results
        )
        rates = {
            key: None if rate is None else format(rate, "f")
            for key, rate in sorted(project.category_rates.items())
        }
        out["evaluations"].append(
            (
                pk,
                budget,
                executed,
                project.execution_rate,
                project.execution_score,
                rates,
                project.total,
                project.grade.value,
                short or declared,
                now,
            )
        )
    lights_of: dict[int, list] = {}
    for pk, report_id, value_raw, forecast_raw, band, raw, level1, kind, mode, *periods in (
        r[:13] for r in inputs["entries"]
    ):
        target = targets.parse_target(raw, level1=level1)
        plan = scoring.PeriodPlan(kind, mode, tuple(periods)) if kind else None
        read = {}
        for field, text in (("value_raw", value_raw), ("forecast_raw", forecast_raw)):
            read[field] = (None, ())
            if text.strip() and target.operator is not None:
                read[field] = targets.parse_actual(text, target=target)
        lights_of.setdefault(report_id, []).append((pk, target, read, band, plan))
    for pk, unit_id, month, budget, executed in (r[:5] for r in inputs["reports"]):
        scheme = by_unit[unit_id]
        rate = scoring.execution_rate(budget=budget, executed=executed, scheme=scheme)
        budget_light = scoring.budget_light(rate=rate, month=month, scheme=scheme)
        lights = [budget_light]
        for entry_pk, target, read, band, plan in lights_of.get(pk, ()):
            value = read["value_raw"][0]
            light, expected = scoring.progress_light(
                operator=target.operator,
                target=target.value,
                unit=target.unit,
                value=value,
                month=month,
                scheme=scheme,
                band=band or None,
                plan=plan,
            )
            lights.append(light)
            findings = [{**asdict(f), "field": field} for field in read for f in read[field][1]]
            expectation = (None, "", None)
            if expected is not None:
                expectation = (
                    scoring.round_to(expected.value, 6, scoring.Rounding.HALF_UP),
                    expected.basis.value,
                    expected.period,
                )
            out["entries"].append(
                (
                    entry_pk,
                    value,
                    read["forecast_raw"][0],
                    light.value if light else "",
                    findings,
                    *expectation,
                )
            )
        worst = scoring.worst_light(lights)
        out["reports"].append(
            (
                pk,
                budget,
                executed,
                rate,
                scoring.time_progress(month),
                budget_light.value,
                worst.value if worst else "",
                now,
            )
        )
    return out


OUTPUT_FIELDS = {
    "evaluations": (
        "budget",
        "executed",
        "execution_rate",
        "execution_score",
        "category_rates",
        "total_score",
        "grade",
        "has_deviation",
        "computed_at",
    ),
    "scores": ("actual_value", "computed_score", "final_score", "over_achieved", "notes"),
    "reports": (
        "budget",
        "executed",
        "execution_rate",
        "time_progress",
        "budget_light",
        "light",
        "computed_at",
    ),
    "entries": (
        "value",
        "forecast_value",
        "light",
        "findings",
        "expected_value",
        "expected_basis",
        "expected_period",
    ),
}


def _models() -> dict:
    from performance.models import (
        IndicatorEvaluation,
        MonitoringEntry,
        MonitoringReport,
        SelfEvaluation,
    )

    return {
        "evaluations": SelfEvaluation,
        "scores": IndicatorEvaluation,
        "reports": MonitoringReport,
        "entries": MonitoringEntry,
    }


def audit_rows(inputs: dict, outputs: dict) -> list[tuple]:
    """The audit rows of what changed — one per evaluation or report, its own fields and its
    rows' as ``scores[<pk>].<field>`` — in the audit table's columns (``AUDIT_COLUMNS``)."""
    import json

    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from performance.models import MonitoringReport, SelfEvaluation
    from performance.services.recompute import COMMENT
    from projects import audit

    def changed(fields, old, new) -> dict:
        found = {}
        for name, before, after in zip(fields, old, new, strict=True):
            if isinstance(before, str) and name in ("category_rates", "notes", "findings"):
                before = json.loads(before)
            before, after = audit.to_jsonable(before), audit.to_jsonable(after)
            if before != after:
                found[name] = [before, after]
        return found

    now = timezone.now()
    rows = []
    plan = (
        ("evaluations", "scores", "scores", SelfEvaluation, 6, 10),
        ("reports", "entries", "entries", MonitoringReport, 5, 13),
    )
    for parents, children, label, model, width, child_width in plan:
        fields = [f for f in OUTPUT_FIELDS[parents] if f != "computed_at"]
        child_fields = OUTPUT_FIELDS[children]
        nested: dict[int, dict] = {}
        computed = {new[0]: new for new in outputs[children]}
        for row in inputs[children]:
            found = changed(child_fields, row[child_width:], computed[row[0]][1:])
            if found:
                merged = nested.setdefault(row[1], {})
                for name, values in found.items():
                    merged[f"{label}[{row[0]}].{name}"] = values
        content_type = ContentType.objects.get_for_model(model).pk
        computed = {new[0]: new for new in outputs[parents]}
        for row in inputs[parents]:
            new = computed[row[0]]
            names = row[width : width + (3 if parents == "evaluations" else 4)]
            old = row[width + len(names) :]
            found = {**changed(fields, old, new[1 : 1 + len(fields)]), **nested.get(row[0], {})}
            if not found:
                continue
            if parents == "evaluations":
                year, unit_id, project = names
                text = SelfEvaluation.describe(year=year, project_name=project, unit_name="")
            else:
                year, unit_id, project, title = names
                text = MonitoringReport.describe(round_text=title, project_name=project)
            key = (content_type, str(row[0]), text[:300], unit_id, None)
            rows.append((*key, "compute", "", found, COMMENT, now))
    return rows


def run_floor(unit_ids: list[int], *, with_audit: bool) -> float:
    """One read of all inputs, the engine on plain values, one bulk write of all outputs —
    the figures, and with ``with_audit`` the audit rows of what changed (the outputs the
    project's path also writes)."""
    from django.db import transaction

    from projects import audit
    from projects.bulk_writes import bulk_insert_rows, bulk_update_values
    from projects.models import AuditEntry

    schemes = engine_schemes(unit_ids)  # a handful of rows, like the engine's constants
    gc.disable()  # as the project's path does per batch: no collector walking the rows
    started = time.perf_counter()
    inputs = read_inputs(unit_ids)
    read = time.perf_counter()
    outputs = engine_outputs(inputs, schemes)
    computed = time.perf_counter()
    changes = audit_rows(inputs, outputs) if with_audit else []
    audited = time.perf_counter()
    with transaction.atomic():
        for name, model in _models().items():
            bulk_update_values(model, OUTPUT_FIELDS[name], outputs[name])
        bulk_insert_rows(AuditEntry, audit.AUDIT_COLUMNS, changes, json_encoder=audit._Encoder)
    finished = time.perf_counter()
    gc.enable()
    # Where the floor's time goes (the engine is pure Python Decimal arithmetic on one core).
    print(
        f"    {len(unit_ids)} units: read {read - started:.2f} s, engine {computed - read:.2f} s,"
        f" audit rows {audited - computed:.2f} s, write {finished - audited:.2f} s",
        flush=True,
    )
    return finished - started


# --- the per-object ORM loop ---------------------------------------------------------------


def run_orm_loop(unit_ids: list[int]) -> float:
    from django.db import transaction
    from django.db.models import Sum

    from performance.models import (
        IndicatorEvaluation,
        MonitoringEntry,
        MonitoringReport,
        SelfEvaluation,
    )
    from performance.selectors import previous_year
    from performance.selectors.schemes import scheme_for_unit
    from performance.services import derived_figures
    from projects.models import ExecutionRecord, ProjectBudget

    def sums(project_id: int, as_of: dt.date) -> tuple[Decimal, Decimal]:
        budget = ProjectBudget.objects.filter(project_id=project_id).aggregate(
            t=Sum("adjusted_amount")
        )["t"]
        executed = ExecutionRecord.objects.filter(project_id=project_id, date__lte=as_of).aggregate(
            t=Sum("amount")
        )["t"]
        return budget or ZERO, executed or ZERO

    started = time.perf_counter()
    evaluations = SelfEvaluation.objects.filter(year=YEAR, unit_id__in=unit_ids).select_related(
        "scheme"
    )
    for evaluation in evaluations.order_by("pk"):
        with transaction.atomic():
            scores = list(
                derived_figures.with_indicators(
                    IndicatorEvaluation.objects.filter(evaluation=evaluation)
                )
            )
            budget, executed = sums(evaluation.project_id, dt.date(evaluation.year, 12, 31))
            derived_figures.apply_evaluation(
                evaluation,
                scores,
                budget=budget,
                executed=executed,
                scheme=evaluation.scheme.to_engine(),
                previous_values=previous_year.previous_year_values(s.indicator for s in scores),
            )
            for score in scores:
                score.save(update_fields=derived_figures.SCORE_COMPUTED)
            evaluation.save(update_fields=[*derived_figures.EVALUATION_COMPUTED, "computed_at"])
    reports = MonitoringReport.objects.filter(round__year=YEAR, unit_id__in=unit_ids)
    for report in reports.select_related("round", "unit").order_by("pk"):
        with transaction.atomic():
            entries = list(
                derived_figures.with_indicators(MonitoringEntry.objects.filter(report=report))
            )
            month = report.round.data_month
            budget, executed = sums(report.project_id, derived_figures.month_end(YEAR, month))
            derived_figures.apply_report(
                report,
                entries,
                budget=budget,
                executed=executed,
                month=month,
                scheme=scheme_for_unit(report.unit, year=YEAR).to_engine(),
                previous_values=previous_year.previous_year_values(e.indicator for e in entries),
            )
            for entry in entries:
                entry.save(update_fields=derived_figures.ENTRY_COMPUTED)
            report.save(update_fields=[*derived_figures.REPORT_COMPUTED, "computed_at"])
    return time.perf_counter() - started


# --- the project's path --------------------------------------------------------------------


def _worker_init() -> None:
    setup_django()


def _recompute_chunk(unit_ids: list[int]) -> dict:
    from django.db import connection

    from performance.services.recompute import recompute_year

    counts = recompute_year(year=YEAR, unit_ids=unit_ids)
    connection.close()
    return counts


def _ready(_: int) -> None:
    time.sleep(0.5)  # long enough for every worker to take one


def _pool(processes: int):
    """Worker processes with Django set up, all of them started before any clock runs."""
    from django.db import connection

    connection.close()  # the workers open their own
    pool = multiprocessing.get_context("spawn").Pool(processes, initializer=_worker_init)
    pool.map(_ready, range(processes), chunksize=1)
    return pool


def _floor_part(args: tuple[list[int], bool]) -> float:
    from django.db import connection

    elapsed = run_floor(args[0], with_audit=args[1])
    connection.close()
    return elapsed


def run_floor_parallel(unit_ids: list[int], *, with_audit: bool, processes: int) -> float:
    """The floor split in ``processes`` equal parts run at once (wall time of the slowest)."""
    size = -(-len(unit_ids) // processes)
    parts = [(unit_ids[i : i + size], with_audit) for i in range(0, len(unit_ids), size)]
    with _pool(processes) as pool:
        started = time.perf_counter()
        pool.map(_floor_part, parts, chunksize=1)
        return time.perf_counter() - started


def chunk_size(units: int, processes: int) -> int:
    """Units per task: ``UNITS_PER_CHUNK``, or fewer when that would leave a process without
    work (a small province): at least four chunks per process."""
    if processes <= 1:
        return UNITS_PER_CHUNK
    return max(1, min(UNITS_PER_CHUNK, units // (4 * processes)))


def run_project_path(
    unit_ids: list[int], processes: int, *, size: int = UNITS_PER_CHUNK
) -> tuple[float, dict]:
    """``recompute_year`` over the units: in this process, or as chunks of
    ``size`` units taken from a shared queue by ``processes`` fresh processes (as
    Celery workers share ``recompute_chunk`` tasks). Wall time and the summed counts."""
    from performance.services.recompute import recompute_year

    if processes <= 1:
        started = time.perf_counter()
        totals = recompute_year(year=YEAR, unit_ids=unit_ids)
        return time.perf_counter() - started, totals
    totals: dict = {}
    chunks = [unit_ids[i : i + size] for i in range(0, len(unit_ids), size)]
    with _pool(processes) as pool:
        started = time.perf_counter()
        for counts in pool.imap_unordered(_recompute_chunk, chunks):
            for key, value in counts.items():
                if isinstance(value, int) and key != "year":
                    totals[key] = totals.get(key, 0) + value
                elif isinstance(value, list):
                    totals[key] = totals.get(key, []) + value
        elapsed = time.perf_counter() - started
    return elapsed, totals


# --- verification --------------------------------------------------------------------------

# Each output table and the rows of it in scope (parameters: year, unit ids).
SCOPES = {
    "evaluations": ("performance_selfevaluation", "year = %s AND unit_id = ANY(%s)"),
    "scores": (
        "performance_indicatorevaluation",
        "evaluation_id IN (SELECT id FROM performance_selfevaluation"
        " WHERE year = %s AND unit_id = ANY(%s))",
    ),
    "reports": (
        "performance_monitoringreport",
        "round_id IN (SELECT id FROM performance_monitoringround WHERE year = %s)"
        " AND unit_id = ANY(%s)",
    ),
    "entries": (
        "performance_monitoringentry",
        "report_id IN (SELECT r.id FROM performance_monitoringreport r"
        " JOIN performance_monitoringround m ON m.id = r.round_id"
        " WHERE m.year = %s AND r.unit_id = ANY(%s))",
    ),
}
# The audit rows of a run, without their ids and times (what two runs must agree on).
AUDIT_COLUMNS = (
    "content_type_id, object_id, object_repr, unit_id, actor_id, action, transition, changes,"
    " comment"
)
AUDIT_SCOPE = "action = 'compute' AND unit_id = ANY(%s)"


def _figure_fields(name: str) -> list[str]:
    return [f for f in OUTPUT_FIELDS[name] if f != "computed_at"]


def read_stored(unit_ids: list[int]) -> dict:
    from django.db import connection

    stored = {}
    with connection.cursor() as cursor:
        for name, (table, where) in SCOPES.items():
            cursor.execute(
                f"SELECT id, {', '.join(_figure_fields(name))} FROM {table} WHERE {where}",
                [YEAR, unit_ids],
            )
            stored[name] = {row[0]: row[1:] for row in cursor.fetchall()}
    return stored


def mismatches(unit_ids: list[int], *, chunk: int = 1000) -> tuple[int, int, list[str]]:
    """(figures compared, mismatches, first examples): stored vs the engine, chunk by chunk."""
    import json

    schemes = engine_schemes(unit_ids)
    compared, wrong, examples = 0, 0, []
    for start in range(0, len(unit_ids), chunk):
        part = unit_ids[start : start + chunk]
        expected = engine_outputs(read_inputs(part), schemes)
        stored = read_stored(part)
        for name, rows in expected.items():
            fields = _figure_fields(name)
            if len(rows) != len(stored[name]):
                wrong += 1
                examples.append(f"{name}: {len(rows)} expected, {len(stored[name])} stored")
            for row in rows:
                found = stored[name].get(row[0])
                for index, field in enumerate(fields):
                    want = row[index + 1]
                    got = None if found is None else found[index]
                    if isinstance(got, str) and isinstance(want, dict | list):
                        got = json.loads(got)
                    compared += 1
                    if got != want or (want is None) != (got is None):
                        wrong += 1
                        if len(examples) < 5:
                            examples.append(
                                f"{name} {row[0]}.{field}: stored {got!r}, engine {want!r}"
                            )
    return compared, wrong, examples


def digests(unit_ids: list[int]) -> dict[str, tuple[int, str]]:
    """(rows, md5 of the rows in id order) of every output table's stored figures and of the
    run's audit rows, computed by PostgreSQL: two runs that wrote the same figures and the
    same audit rows have the same digests (numbers keep their column's scale, JSON is
    ``jsonb``, so equal values print alike)."""
    from django.db import connection

    found = {}
    with connection.cursor() as cursor:
        for name, (table, where) in SCOPES.items():
            cursor.execute(
                f"SELECT count(*), md5(string_agg(t::text, ',' ORDER BY t.id)) FROM"
                f" (SELECT id, {', '.join(_figure_fields(name))} FROM {table} WHERE {where}) t",
                [YEAR, unit_ids],
            )
            found[name] = cursor.fetchone()
        cursor.execute(
            f"SELECT count(*), md5(string_agg(t::text, ',' ORDER BY t.content_type_id,"
            f" t.object_id)) FROM (SELECT {AUDIT_COLUMNS} FROM projects_auditentry"
            f" WHERE {AUDIT_SCOPE}) t",
            [unit_ids],
        )
        found["audit rows"] = cursor.fetchone()
    return found


def snapshot_audit(unit_ids: list[int], table: str) -> None:
    """Keep a copy of this run's audit rows (the next reset deletes them)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(
            f"CREATE UNLOGGED TABLE {table} AS SELECT {AUDIT_COLUMNS} FROM projects_auditentry"
            f" WHERE {AUDIT_SCOPE}",
            [unit_ids],
        )


def audit_differences(left: str, right: str) -> tuple[int, int, list[str]]:
    """(rows in ``left``, rows that differ or exist on one side only, first examples): two
    snapshots of audit rows compared row by row, keyed by the audited object."""
    import json

    from django.db import connection

    columns = [c.strip() for c in AUDIT_COLUMNS.split(",")]
    values = [c for c in columns if c not in ("content_type_id", "object_id")]
    differs = " OR ".join(f"a.{c} IS DISTINCT FROM b.{c}" for c in values)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {left}")
        rows = cursor.fetchone()[0]
        cursor.execute(
            f"SELECT coalesce(a.content_type_id, b.content_type_id),"
            f" coalesce(a.object_id, b.object_id), a.changes::text, b.changes::text,"
            f" a.object_repr, b.object_repr FROM {left} a FULL JOIN {right} b"
            f" ON a.content_type_id = b.content_type_id AND a.object_id = b.object_id"
            f" WHERE a.object_id IS NULL OR b.object_id IS NULL OR {differs}"
        )
        different = cursor.fetchall()
    examples = []
    for ct, pk, a, b, a_repr, b_repr in different[:3]:
        if a is None or b is None:
            examples.append(f"audit row of {ct}/{pk} only in {left if b is None else right}")
            continue
        a, b = json.loads(a), json.loads(b)
        keys = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
        shown = "; ".join(f"{k}: {a.get(k)} vs {b.get(k)}" for k in keys[:2])
        if a_repr != b_repr:
            shown = f"text {a_repr!r} vs {b_repr!r}; {shown}"
        examples.append(f"audit row of {ct}/{pk}: {shown or 'other columns differ'}")
    return rows, len(different), examples


def drop_snapshots(tables: list[str]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")


# --- main ----------------------------------------------------------------------------------


def profile_project_path(unit_ids: list[int]) -> None:
    """One extra run of the project's path under pyinstrument (not one of the timed runs)."""
    from pyinstrument import Profiler

    from performance.services.recompute import recompute_year

    reset_outputs(unit_ids)
    clear_caches()
    with Profiler(interval=0.005) as profiler:
        recompute_year(year=YEAR, unit_ids=unit_ids)
    print(profiler.output_text(unicode=True, color=False, show_all=False), flush=True)


def _process_counts(text: str) -> list[int]:
    counts = sorted({int(part) for part in text.split(",") if part.strip()})
    if not counts or counts[0] < 1:
        raise argparse.ArgumentTypeError("--processes: positive numbers, e.g. 1,2")
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument(
        "--processes",
        type=_process_counts,
        default=[1],
        help="worker processes, or several to compare (scale-out): 1,2,4",
    )
    parser.add_argument("--repeat", type=int, default=3, help="rounds of every variant (median)")
    parser.add_argument(
        "--orm-repeat",
        type=int,
        default=1,
        help="rounds the per-object ORM loop takes part in (about 4 min per run at 10,000 projects)",
    )
    parser.add_argument("--no-orm", action="store_true", help="skip the per-object ORM loop")
    parser.add_argument("--no-floor", action="store_true", help="skip the floor")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="then profile one more run of the project path with pyinstrument (one process)",
    )
    args = parser.parse_args()
    setup_django()
    from performance.models import IndicatorEvaluation, MonitoringEntry

    unit_ids = scope_units(args.projects)
    scores = IndicatorEvaluation.objects.filter(
        evaluation__year=YEAR, evaluation__unit_id__in=unit_ids
    ).count()
    entries = MonitoringEntry.objects.filter(
        report__round__year=YEAR, report__unit_id__in=unit_ids
    ).count()
    counts = args.processes
    size = chunk_size(len(unit_ids), counts[-1])  # the same tasks at every process count
    print(
        f"recompute {YEAR}: {len(unit_ids)} units, {args.projects} projects, {scores} scores,"
        f" {entries} monitoring entries; {args.repeat} rounds, variants interleaved, caches"
        f" cleared before each; process counts {', '.join(map(str, counts))}"
        + (f" (tasks of {size} units)" if counts[-1] > 1 else ""),
        flush=True,
    )

    def label(kind: str, processes: int) -> str:
        return kind if len(counts) == 1 else f"{kind} ×{processes}"

    variants: list[tuple[str, int]] = []
    for processes in counts:
        if not args.no_floor:
            variants += [("floor", processes), ("floor+audit", processes)]
        variants.append(("project", processes))
    if not args.no_orm:
        variants.append(("ORM loop", 1))

    samples: dict[str, list[float]] = {label(k, p): [] for k, p in variants}
    seen: dict[str, list[dict]] = {name: [] for name in samples}
    wrong_total = 0
    snapshots: dict[str, str] = {}

    def run(kind: str, processes: int) -> float:
        if kind == "ORM loop":
            return run_orm_loop(unit_ids)
        if kind == "project":
            elapsed, totals = run_project_path(unit_ids, processes, size=size)
            if totals.get("errors"):
                raise SystemExit(f"recompute_year reported errors: {totals['errors'][:3]}")
            return elapsed
        with_audit = kind == "floor+audit"
        if processes > 1:
            return run_floor_parallel(unit_ids, with_audit=with_audit, processes=processes)
        return run_floor(unit_ids, with_audit=with_audit)

    for index, (kind, processes) in rounds(variants, args.repeat):
        name = label(kind, processes)
        if kind == "ORM loop" and index >= args.orm_repeat:
            continue
        reset_outputs(unit_ids)
        clear_caches()  # each variant starts cold (with --processes > 1: fresh processes)
        elapsed = run(kind, processes)
        samples[name].append(elapsed)
        found = digests(unit_ids)
        seen[name].append(found)
        print(
            f"  round {index + 1}: {name:<18}{elapsed:8.2f} s  ({found['audit rows'][0]} audit rows)",
            flush=True,
        )
        if len(seen[name]) == 1:  # the first run of each variant: every figure vs the engine
            compared, wrong, examples = mismatches(unit_ids)
            wrong_total += wrong
            print(
                f"    {name}: {compared} stored figures compared with the engine,"
                f" {wrong} mismatches",
                flush=True,
            )
            for example in examples:
                print(f"      {example}")
            if kind in ("floor+audit", "project"):
                snapshots[name] = f"bench_audit_{len(snapshots)}"
                snapshot_audit(unit_ids, snapshots[name])

    # Same result: every run of every variant stored the same figures as the project's path
    # (the floor's figures are thereby checked against the project's own code, not only
    # against the engine_outputs it wrote), and the floor+audit runs the same audit rows.
    reference = label("project", counts[0])
    expected = seen[reference][0]
    print(f"same result as {reference} (figures of every run; audit rows of floor+audit):")
    for name, runs in seen.items():
        tables = list(SCOPES)
        if name.startswith(("floor+audit", "project")):
            tables.append("audit rows")  # the same outputs as the project's path
        differing = sum(1 for found in runs for t in tables if found[t] != expected[t])
        if name.startswith(("floor ", "ORM")) or name == "floor":
            # the figures-only floor and the ORM loop write no audit rows
            differing += sum(1 for found in runs if found["audit rows"][0] != 0)
        wrong_total += differing
        print(
            f"  {name:<18} {len(runs)} run(s): "
            + ("identical" if not differing else f"{differing} tables DIFFER")
        )
    for name, table in snapshots.items():
        if name == reference:
            continue
        rows, different, examples = audit_differences(snapshots[reference], table)
        wrong_total += different
        print(
            f"  audit rows of {name} vs {reference}: {rows} compared row by row, {different} differ"
        )
        for example in examples:
            print(f"    {example}")
    drop_snapshots(list(snapshots.values()))

    print("timings (interleaved rounds, each run cold):")
    for name, values in samples.items():
        print(f"  {name:<18} {describe(values)}")

    base = counts[0]
    project_of = {p: samples[label("project", p)] for p in counts}
    parts = [f"{args.projects} projects in {median(project_of[base]):.2f} s"]
    met = wrong_total == 0
    if not args.no_orm:
        orm = samples[label("ORM loop", 1)]
        speedup = median(orm) / median(project_of[base])
        parts.append(f"{speedup:.1f}× faster than the ORM loop ({len(orm)} run(s); target ≥ 20×)")
        met = met and speedup >= 20
    if not args.no_floor:
        for processes in counts:
            project = project_of[processes]
            audited = samples[label("floor+audit", processes)]
            bare = samples[label("floor", processes)]
            ratio = median(project) / median(audited)
            where = "" if len(counts) == 1 else f" on {processes} process(es)"
            parts.append(
                f"{ratio_range(project, audited)} the floor writing the same outputs{where}"
                f" (target ≤ 2×; {ratio_range(project, bare)} the figures-only floor)"
            )
            met = met and ratio <= 2
    if len(counts) > 1:
        one = median(project_of[base]) * base  # process-seconds per run at the smallest count
        print("scale-out of the project's path (same data, medians):")
        for processes in counts:
            seconds = median(project_of[processes])
            rate = args.projects / seconds
            speedup = median(project_of[base]) / seconds
            print(
                f"  {processes} process(es): {seconds:8.2f} s, {rate:8.0f} projects/s,"
                f" {rate / processes:8.0f} per process; speed-up {speedup:.2f}× over {base},"
                f" efficiency {one / (seconds * processes):.0%}"
            )
        top = counts[-1]
        parts.append(
            f"speed-up {median(project_of[base]) / median(project_of[top]):.2f}× on {top} processes"
            f" over {base}"
        )
    if args.projects >= 100_000:
        top = counts[-1]
        parts.append(f"{median(project_of[top]):.2f} s on {top} processes (target ≤ 60 s)")
        met = met and median(project_of[top]) <= 60
    parts.append(f"{wrong_total} mismatches (target 0)")
    if args.profile:
        profile_project_path(unit_ids)
    print(f"RESULT recompute: {', '.join(parts)} → {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
