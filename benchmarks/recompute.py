"""Recompute rates, scores, grades and lights at province scale.

    python -m benchmarks.recompute                              # 10,000 projects, both baselines
    python -m benchmarks.recompute --projects 100000 --processes 2 --no-orm
    python -m benchmarks.recompute --projects 2000 --no-orm --profile    # where the time goes

The project's path is ``performance.services.recompute.recompute_year`` over the units that
hold the first ``--projects`` synthetic projects (``benchmarks.generate`` makes them, ten per
unit; with ``--processes 2`` two processes take chunks of 100 units from a shared queue, as two
Celery workers share ``recompute_chunk`` tasks, and the floors run as two halves at once). Baselines, on the same rows in the same run:

- the per-object ORM loop: per evaluation / report, load it and its rows with the ORM
  (``select_related`` indicator, goal, project), sum its budget and payments, compute with the
  same row function (``figures.apply_evaluation`` / ``apply_report``), ``save()`` every row and
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

Between runs every computed column is reset (not timed), so no run skips a row as unchanged.
Every stored figure of every run is then compared with the engine's, computed independently
here from plain values (targets re-read from their raw text): scores, notes, totals, rates,
grades, deviation flags, values, findings and lights. The ratio line is printed last.
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
            " light = '', findings = '[]' FROM performance_monitoringreport r,"
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
                   s.value, s.forecast_value, s.light, s.findings
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
    """(engine scheme by scheme id, engine scheme by unit id) — assignments up the unit path."""
    from performance.models import SchemeAssignment, ScoringScheme
    from projects.models import Unit

    by_id = {s.pk: s.to_engine() for s in ScoringScheme.objects.all()}
    assigned = dict(SchemeAssignment.objects.values_list("unit__code", "scheme_id"))
    default = ScoringScheme.objects.filter(is_default=True).values_list("pk", flat=True).first()
    by_unit = {}
    for pk, path in Unit.objects.filter(pk__in=unit_ids).values_list("pk", "path"):
        codes = [c for c in path.split("/") if c]
        scheme_id = next((assigned[c] for c in reversed(codes) if c in assigned), default)
        by_unit[pk] = by_id[scheme_id]
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
    for pk, report_id, value_raw, forecast_raw, band, raw, level1 in (
        r[:7] for r in inputs["entries"]
    ):
        target = targets.parse_target(raw, level1=level1)
        read = {}
        for field, text in (("value_raw", value_raw), ("forecast_raw", forecast_raw)):
            read[field] = (None, ())
            if text.strip() and target.operator is not None:
                read[field] = targets.parse_actual(text, target=target)
        lights_of.setdefault(report_id, []).append((pk, target, read, band))
    for pk, unit_id, month, budget, executed in (r[:5] for r in inputs["reports"]):
        scheme = by_unit[unit_id]
        rate = scoring.execution_rate(budget=budget, executed=executed, scheme=scheme)
        budget_light = scoring.budget_light(rate=rate, month=month, scheme=scheme)
        lights = [budget_light]
        for entry_pk, target, read, band in lights_of.get(pk, ()):
            value = read["value_raw"][0]
            light = scoring.indicator_light(
                operator=target.operator,
                target=target.value,
                value=value,
                month=month,
                scheme=scheme,
                band=band or None,
                pro_rate=target.unit != "%",
            )
            lights.append(light)
            findings = [{**asdict(f), "field": field} for field in read for f in read[field][1]]
            out["entries"].append(
                (entry_pk, value, read["forecast_raw"][0], light.value if light else "", findings)
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
    "entries": ("value", "forecast_value", "light", "findings"),
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
        ("reports", "entries", "entries", MonitoringReport, 5, 7),
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
    from projects.bulk import bulk_insert_rows, bulk_update_values
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
    from performance.services import figures
    from performance.services.schemes import scheme_for_unit
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
                figures.with_indicators(IndicatorEvaluation.objects.filter(evaluation=evaluation))
            )
            budget, executed = sums(evaluation.project_id, dt.date(evaluation.year, 12, 31))
            figures.apply_evaluation(
                evaluation,
                scores,
                budget=budget,
                executed=executed,
                scheme=evaluation.scheme.to_engine(),
                previous_values=figures.previous_year_values(s.indicator for s in scores),
            )
            for score in scores:
                score.save(update_fields=figures.SCORE_COMPUTED)
            evaluation.save(update_fields=[*figures.EVALUATION_COMPUTED, "computed_at"])
    reports = MonitoringReport.objects.filter(round__year=YEAR, unit_id__in=unit_ids)
    for report in reports.select_related("round", "unit").order_by("pk"):
        with transaction.atomic():
            entries = list(figures.with_indicators(MonitoringEntry.objects.filter(report=report)))
            month = report.round.data_month
            budget, executed = sums(report.project_id, figures.month_end(YEAR, month))
            figures.apply_report(
                report,
                entries,
                budget=budget,
                executed=executed,
                month=month,
                scheme=scheme_for_unit(report.unit).to_engine(),
                previous_values=figures.previous_year_values(e.indicator for e in entries),
            )
            for entry in entries:
                entry.save(update_fields=figures.ENTRY_COMPUTED)
            report.save(update_fields=[*figures.REPORT_COMPUTED, "computed_at"])
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


def run_project_path(
    unit_ids: list[int], processes: int, *, profile: bool = False
) -> tuple[float, dict]:
    from performance.services.recompute import recompute_year

    totals: dict = {}
    if processes <= 1:
        started = time.perf_counter()
        if profile:
            from pyinstrument import Profiler

            with Profiler(interval=0.005) as profiler:
                totals = recompute_year(year=YEAR, unit_ids=unit_ids)
            elapsed = time.perf_counter() - started
            print(profiler.output_text(unicode=True, color=False, show_all=False), flush=True)
            return elapsed, totals
        totals = recompute_year(year=YEAR, unit_ids=unit_ids)
        return time.perf_counter() - started, totals
    chunks = [unit_ids[i : i + UNITS_PER_CHUNK] for i in range(0, len(unit_ids), UNITS_PER_CHUNK)]
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


def read_stored(unit_ids: list[int]) -> dict:
    from django.db import connection

    tables = {
        "evaluations": (
            "performance_selfevaluation",
            "year = %s AND unit_id = ANY(%s)",
        ),
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
    stored = {}
    with connection.cursor() as cursor:
        for name, (table, where) in tables.items():
            fields = [f for f in OUTPUT_FIELDS[name] if f != "computed_at"]
            cursor.execute(
                f"SELECT id, {', '.join(fields)} FROM {table} WHERE {where}", [YEAR, unit_ids]
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
            fields = [f for f in OUTPUT_FIELDS[name] if f != "computed_at"]
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


# --- main ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--no-orm", action="store_true", help="skip the per-object ORM loop")
    parser.add_argument("--no-floor", action="store_true", help="skip the floor")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile the project path with pyinstrument (one process; slower while profiled)",
    )
    args = parser.parse_args()
    setup_django()
    from performance.models import IndicatorEvaluation, MonitoringEntry
    from projects.models import AuditEntry

    unit_ids = scope_units(args.projects)
    scores = IndicatorEvaluation.objects.filter(
        evaluation__year=YEAR, evaluation__unit_id__in=unit_ids
    ).count()
    entries = MonitoringEntry.objects.filter(
        report__round__year=YEAR, report__unit_id__in=unit_ids
    ).count()
    print(
        f"recompute {YEAR}: {len(unit_ids)} units, {args.projects} projects, {scores} scores,"
        f" {entries} monitoring entries; project path with {args.processes} process(es)",
        flush=True,
    )
    timings: dict[str, float] = {}
    wrong_total = 0

    def check(label: str) -> None:
        nonlocal wrong_total
        compared, wrong, examples = mismatches(unit_ids)
        wrong_total += wrong
        audited = AuditEntry.objects.filter(action="compute", unit_id__in=unit_ids).count()
        print(
            f"  {label}: {compared} stored figures compared with the engine, {wrong} mismatches;"
            f" {audited} audit rows"
        )
        for example in examples:
            print(f"    {example}")

    if not args.no_floor:
        for label, with_audit in (("floor", False), ("floor+audit", True)):
            reset_outputs(unit_ids)
            if args.processes > 1:
                timings[label] = run_floor_parallel(
                    unit_ids, with_audit=with_audit, processes=args.processes
                )
            else:
                timings[label] = run_floor(unit_ids, with_audit=with_audit)
            what = "figures and their audit rows" if with_audit else "figures only"
            print(
                f"{label + ' (1 read + engine + 1 write, ' + what + ')':<48}"
                f"{timings[label]:8.2f} s",
                flush=True,
            )
            check(label)
    reset_outputs(unit_ids)
    timings["project"], counts = run_project_path(
        unit_ids, args.processes, profile=args.profile and args.processes <= 1
    )
    print(
        f"{'project path recompute_year':<48}{timings['project']:8.2f} s  "
        f"({counts.get('evaluations_changed')} evaluations, {counts.get('scores_changed')} scores,"
        f" {counts.get('reports_changed')} reports, {counts.get('entries_changed')} entries written;"
        f" {len(counts.get('errors') or [])} errors)",
        flush=True,
    )
    check("project path")
    if not args.no_orm:
        reset_outputs(unit_ids)
        timings["orm"] = run_orm_loop(unit_ids)
        print(f"{'per-object ORM loop (save() per row)':<48}{timings['orm']:8.2f} s", flush=True)
        check("ORM loop")
    parts = [f"{args.projects} projects in {timings['project']:.2f} s"]
    met = wrong_total == 0
    if "orm" in timings:
        speedup = timings["orm"] / timings["project"]
        parts.append(f"{speedup:.1f}× faster than the ORM loop (target ≥ 20×)")
        met = met and speedup >= 20
    if "floor" in timings:
        ratio = timings["project"] / timings["floor+audit"]
        bare = timings["project"] / timings["floor"]
        parts.append(
            f"{ratio:.2f}× the floor writing the same outputs (target ≤ 2×;"
            f" {bare:.2f}× the figures-only floor)"
        )
        met = met and ratio <= 2
    if args.projects >= 100_000:
        parts.append(f"on {args.processes} processes (target ≤ 60 s)")
        met = met and timings["project"] <= 60
    parts.append(f"{wrong_total} mismatches (target 0)")
    print(f"RESULT recompute: {', '.join(parts)} → {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
