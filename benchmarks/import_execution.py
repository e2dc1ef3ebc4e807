"""Import a 1,000,000-row execution feed (支出执行) and compare it with its baselines.

    DATABASE_URL=postgres://…/perf_<you> python -m benchmarks.import_execution \\
        [--rows 1000000] [--resource-rows 100000] [--repeat 2] [--projects 2000]

Setup (not timed): ``--projects`` projects of year 2026 under bench units (``EXE…`` codes) with
a budget large enough that no row is implausible, and one csv of ``--rows`` payment rows
(batch ``BENCH-EXE``, source ``bench``, row ids ``R0000001``…, dates spread over the year).
Variants, interleaved in rotated rounds (``measure.rounds``), caches cleared before each:

- ``first``: the project's import (``import_run(kind="execution")``: clean, stage with COPY,
  set-based checks, ``INSERT … SELECT``, one audit row per project, the recompute job row);
- ``resend``: the same rows re-encoded (CRLF, BOM, other column order) after a first send — the
  row-level path, nothing staged, nothing written (target ≤ 0.5× ``first``);
- ``floor``: the bare minimum on the same rows — csv parse, project id by a dict, ``COPY``
  straight into ``projects_executionrecord`` (no checks, no batch, no audit);
  target: ``first`` ≤ 3× this;
- django-import-export's default ``ModelResource`` for ``ExecutionRecord`` (the project by
  code through ``ForeignKeyWidget``), loaded with tablib as the admin does, on the first
  ``--resource-rows`` rows only (a 1M-row run takes hours), against our import of the same
  subset in the same round; the 1M figure for the resource is **extrapolated linearly** from
  it and labelled so. Target: ours ≥ 10× the resource.

Correctness: after each variant that writes, the stored (project code, date, amount, row id)
set equals the file's; the re-send writes 0 rows and 0 audit rows. Rows are deleted between
runs (not timed). Ratios are printed last.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import random
import time
from decimal import Decimal

from . import setup_django
from .measure import clear_caches, describe, median, ratio_range, rounds

YEAR = 2026
PREFIX = "EXE"
SOURCE = "bench"
BATCH = "BENCH-EXE"
HEADER = [
    "来源系统",
    "批次号",
    "行号",
    "年度",
    "单位编码",
    "项目编码",
    "支出日期",
    "金额(万元)",
    "摘要",
]


def prepare(projects: int) -> list[tuple[str, str]]:
    """Bench units and ``projects`` projects with large budgets; (unit code, project code)."""
    from projects.choices import FundSource, UnitKind
    from projects.models import Project, ProjectBudget, Unit

    root, _ = Unit.objects.get_or_create(
        code=PREFIX,
        defaults={"name": "执行基准财政局", "kind": UnitKind.FINANCE, "path": f"/{PREFIX}/"},
    )
    per_unit = 10
    units = []
    for index in range(-(-projects // per_unit)):
        code = f"{PREFIX}{index:05d}"
        unit, _ = Unit.objects.get_or_create(
            code=code,
            defaults={
                "name": f"执行基准单位{index}",
                "kind": UnitKind.UNIT,
                "parent": root,
                "path": f"/{PREFIX}/{code}/",
            },
        )
        units.append(unit)
    existing = set(Project.objects.filter(unit__in=units, year=YEAR).values_list("code", flat=True))
    new = [
        Project(
            code=f"{PREFIX}P{index:07d}",
            name=f"执行基准项目{index}",
            unit=units[index // per_unit],
            year=YEAR,
            category="operating",
        )
        for index in range(projects)
        if f"{PREFIX}P{index:07d}" not in existing
    ]
    Project.objects.bulk_create(new)
    ProjectBudget.objects.bulk_create(
        ProjectBudget(
            project=p,
            fund_source=FundSource.GENERAL_PUBLIC,
            amount=Decimal("100000"),
            adjusted_amount=Decimal("100000"),
        )
        for p in new
    )
    return [
        (u, c)
        for u, c in Project.objects.filter(unit__in=units, year=YEAR)
        .order_by("code")
        .values_list("unit__code", "code")
    ]


def build_rows(count: int, projects: list[tuple[str, str]], *, seed: int = 20261204) -> list:
    rng = random.Random(seed)
    start = dt.date(YEAR, 1, 1)
    rows = []
    for index in range(count):
        unit, code = projects[index % len(projects)]
        day = start + dt.timedelta(days=rng.randrange(365))
        amount = Decimal(rng.randint(1, 5_000_000)) / 10000
        rows.append(
            [
                SOURCE,
                BATCH,
                f"R{index:07d}",
                YEAR,
                unit,
                code,
                day.isoformat(),
                str(amount),
                "国库支付",
            ]
        )
    return rows


def csv_bytes(rows: list, *, reencoded: bool = False) -> bytes:
    buffer = io.StringIO()
    if reencoded:  # other column order, CRLF, BOM: the same rows in another form
        order = [2, 0, 1, 3, 4, 5, 6, 7, 8]
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow([HEADER[i] for i in order])
        writer.writerows([row[i] for i in order] for row in rows)
        return "\ufeff".encode() + buffer.getvalue().encode("utf-8")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def reset(project_ids: list[int]) -> None:
    from django.db import connection

    from performance.choices import JobKind
    from performance.models import Job
    from projects.models import AuditEntry, ExecutionBatch, ExecutionRecord

    batches = list(ExecutionBatch.objects.filter(source=SOURCE).values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM projects_executionrecord WHERE project_id = ANY(%s)", [project_ids]
        )
    ExecutionBatch.objects.filter(pk__in=batches).delete()
    AuditEntry.objects.filter(comment__startswith=f"支出执行导入 批次 {BATCH}").delete()
    Job.objects.filter(kind=JobKind.RECOMPUTE, params__execution_batch__in=batches).delete()
    assert not ExecutionRecord.objects.filter(project_id__in=project_ids).exists()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE projects_executionrecord")


def stored(project_ids: list[int]) -> list[tuple]:
    from projects.models import ExecutionRecord

    return sorted(
        (code, day.isoformat(), amount.normalize(), row_id)
        for code, day, amount, row_id in ExecutionRecord.objects.filter(
            project_id__in=project_ids
        ).values_list("project__code", "date", "amount", "source_row_id")
    )


def expected(rows: list, *, with_ids: bool = True) -> list[tuple]:
    return sorted(
        (row[5], row[6], Decimal(row[7]).normalize(), row[2] if with_ids else "") for row in rows
    )


def ours(data: bytes) -> tuple[float, dict]:
    from performance.services.imports import import_run

    started = time.perf_counter()
    result = import_run(kind="execution", actor=None, file=data, filename="基准执行.csv")
    elapsed = time.perf_counter() - started
    if not result.ok:
        raise SystemExit(f"导入失败：{[str(e) for e in result.errors[:5]]}")
    return elapsed, dict(result.counts, changed=result.changed)


def floor(data: bytes) -> float:
    """csv → (project id, date, amount, row id) → COPY into the table: the least any import
    of these rows can do."""
    from django.db import connection, transaction
    from django.utils import timezone

    from projects.models import Project

    started = time.perf_counter()
    ids = {
        (u, c): pk
        for pk, u, c in Project.objects.filter(year=YEAR, code__startswith=PREFIX).values_list(
            "pk", "unit__code", "code"
        )
    }
    now = timezone.now()
    reader = csv.reader(io.StringIO(data.decode("utf-8")))
    next(reader)
    with (
        transaction.atomic(),
        connection.cursor() as cursor,
        cursor.cursor.copy(
            "COPY projects_executionrecord (project_id, date, amount, fund_source, note, "
            "created_at, source, source_row_id) FROM STDIN"
        ) as copy,
    ):
        for source, _batch, row_id, _year, unit, code, day, amount, note in reader:
            copy.write_row((ids[(unit, code)], day, amount, "", note, now, source, row_id))
    return time.perf_counter() - started


def resource_import(data: bytes) -> float:
    """django-import-export's default ModelResource: one instance saved per row."""
    import tablib
    from import_export import fields, resources, widgets

    from projects.models import ExecutionRecord, Project

    class ExecutionResource(resources.ModelResource):
        project = fields.Field(
            attribute="project",
            column_name="项目编码",
            widget=widgets.ForeignKeyWidget(Project, field="code"),
        )
        date = fields.Field(attribute="date", column_name="支出日期", widget=widgets.DateWidget())
        amount = fields.Field(
            attribute="amount", column_name="金额(万元)", widget=widgets.DecimalWidget()
        )
        note = fields.Field(attribute="note", column_name="摘要")
        source = fields.Field(attribute="source", column_name="来源系统")
        source_row_id = fields.Field(attribute="source_row_id", column_name="行号")

        class Meta:
            model = ExecutionRecord
            fields = ("project", "date", "amount", "note", "source", "source_row_id")
            import_id_fields = ("source_row_id",)  # the row id: the feed has no database id

    started = time.perf_counter()
    dataset = tablib.Dataset().load(data.decode("utf-8"), format="csv")
    result = ExecutionResource().import_data(dataset, raise_errors=True)
    elapsed = time.perf_counter() - started
    if result.has_errors() or result.has_validation_errors():
        raise SystemExit("ModelResource 导入失败")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--resource-rows", type=int, default=100_000)
    parser.add_argument("--projects", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    setup_django()
    from django.conf import settings
    from django.db import connection

    from projects.models import Project

    if connection.vendor != "postgresql":
        raise SystemExit("Run on PostgreSQL (export DATABASE_URL).")
    settings.IMPORT_MAX_ROWS = max(settings.IMPORT_MAX_ROWS, args.rows)
    settings.IMPORT_MAX_BYTES = max(settings.IMPORT_MAX_BYTES, 300 * 1024 * 1024)

    projects = prepare(args.projects)
    project_ids = list(
        Project.objects.filter(year=YEAR, code__startswith=PREFIX).values_list("pk", flat=True)
    )
    rows = build_rows(args.rows, projects)
    data, again = csv_bytes(rows), csv_bytes(rows, reencoded=True)
    subset = rows[: args.resource_rows]
    subset_data = csv_bytes(subset)
    print(f"{args.rows} rows ({len(data) / 2**20:.1f} MB csv), {len(projects)} projects")
    reset(project_ids)
    want, want_subset = expected(rows), expected(subset)
    times: dict[str, list[float]] = {k: [] for k in ("first", "resend", "floor", "sub", "res")}
    variants = ["first", "floor", "resource"] if args.resource_rows else ["first", "floor"]
    for index, variant in rounds(variants, args.repeat):
        clear_caches()
        if variant == "first":
            elapsed, counts = ours(data)
            times["first"].append(elapsed)
            assert counts["records_created"] == args.rows, counts
            assert stored(project_ids) == want, "first send: stored rows differ from the file"
            from projects.models import AuditEntry

            audits = AuditEntry.objects.count()
            clear_caches()
            elapsed, counts = ours(again)
            times["resend"].append(elapsed)
            assert not counts["changed"] and AuditEntry.objects.count() == audits, counts
            print(f"  round {index + 1}: first {times['first'][-1]:.1f} s, resend {elapsed:.1f} s")
        elif variant == "floor":
            times["floor"].append(floor(data))
            assert stored(project_ids) == want, "floor: stored rows differ from the file"
            print(f"  round {index + 1}: COPY floor {times['floor'][-1]:.1f} s")
        else:
            elapsed, counts = ours(subset_data)
            times["sub"].append(elapsed)
            assert stored(project_ids) == want_subset
            reset(project_ids)
            times["res"].append(resource_import(subset_data))
            assert stored(project_ids) == want_subset, "ModelResource: stored rows differ"
            print(
                f"  round {index + 1}: {len(subset)} rows: ours {elapsed:.1f} s, "
                f"ModelResource {times['res'][-1]:.1f} s"
            )
        reset(project_ids)
    if not args.resource_rows:  # --resource-rows 0: first send, re-send and floor only
        times["sub"] = times["res"] = [float("nan")]
    scale = args.rows / max(1, len(subset))
    print(f"first send ({args.rows} rows):   {describe(times['first'])}")
    print(f"re-send, re-encoded:           {describe(times['resend'])}")
    print(f"COPY floor:                    {describe(times['floor'])}")
    print(f"ours on {len(subset)} rows:        {describe(times['sub'])}")
    print(f"ModelResource on {len(subset)} rows: {describe(times['res'])}")
    print(
        f"ModelResource at {args.rows} rows (EXTRAPOLATED ×{scale:g} from {len(subset)}): "
        f"{median(times['res']) * scale:.0f} s"
    )
    print(f"re-send / first send:          {ratio_range(times['resend'], times['first'])}")
    print(f"first send / COPY floor:       {ratio_range(times['first'], times['floor'])}")
    print(
        f"ModelResource / ours, {len(subset)} rows (measured): {ratio_range(times['res'], times['sub'])}"
    )
    print(
        f"ModelResource (extrapolated) / ours, {args.rows} rows: "
        f"{median(times['res']) * scale / median(times['first']):.1f}×"
    )
    # Every writing run's stored rows were checked above (the script stops on a difference).
    floor_ratio = median(times["first"]) / median(times["floor"])
    resend_ratio = median(times["resend"]) / median(times["first"])
    parts = [
        f"first send {median(times['first']):.2f} s ="
        f" {ratio_range(times['first'], times['floor'])} the COPY floor (target ≤ 3×)",
        f"re-send {ratio_range(times['resend'], times['first'])} the first send (target ≤ 0.5×)",
    ]
    met = floor_ratio <= 3 and resend_ratio <= 0.5
    if args.resource_rows:
        parts.append(
            f"ModelResource {ratio_range(times['res'], times['sub'])} slower on {len(subset)}"
            f" rows (measured; target ≥ 10×)"
        )
        met = met and median(times["res"]) / median(times["sub"]) >= 10
    print(
        f"RESULT import_execution: {args.rows} rows, {'; '.join(parts)}; every run stored the"
        f" file's rows, the re-send none: yes → {'met' if met else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
