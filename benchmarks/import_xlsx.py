"""Import 10,000 indicator rows from an xlsx file of the flat template.

    python -m benchmarks.import_xlsx [--rows 10000] [--repeat 3]

The file (built here with a fixed seed, 15 indicators per project as in ``generate``) targets
about 667 new projects of the synthetic province for year 2026, whose projects and empty draft
goals are created first (not timed), so that every run creates the same 10,000 indicators.
Measured on the same file in the same run:

- the project's path: ``performance.services.imports.targets_import`` (read, validate every
  row, plan against the database, parse every 指标值, write set-based, one audit row each);
- django-import-export's default resource: a plain ``ModelResource`` for ``Indicator`` with
  ``import_id_fields`` over the natural key (goal by project code, 一级, 二级, 三级), the
  file loaded with tablib as the admin does, then ``resource.import_data`` — it stores the raw
  text only (no 指标值 parsing, no validation beyond the model, no audit);
- a bare openpyxl read-only parse of the file (``iter_rows(values_only=True)``), the floor.

The indicators are deleted between runs (not timed). Targets (issue 8): ≥ 8× faster than the
resource, ≤ 3× the bare parse. The ratio line is printed last.
"""

from __future__ import annotations

import argparse
import io
import random
import time
from decimal import Decimal

from . import setup_django
from .measure import clear_caches, describe, median, ratio_range, rounds

YEAR = 2026
PREFIX = "BENCHIMP"
HEADERS = [
    "年度",
    "单位编码",
    "单位名称",
    "项目编码",
    "项目名称",
    "项目类型",
    "资金总额(万元)",
    "一级指标",
    "二级指标",
    "三级指标",
    "指标值",
    "指标值说明",
    "分值",
]


def build_rows(count: int, *, seed: int = 20251124) -> list[list]:
    """``count`` template rows: 15 indicators per project, projects spread over bench units."""
    from projects.models import Unit

    from .generate import PREFIX as BENCH
    from .generate import PROJECTS_PER_UNIT, TEMPLATE, _value

    rng = random.Random(seed)
    per_project = len(TEMPLATE)
    projects = -(-count // per_project)
    units = list(
        Unit.objects.filter(path__startswith=f"/{BENCH}/", kind="unit")
        .order_by("code")
        .values_list("code", "name")[: -(-projects // PROJECTS_PER_UNIT)]
    )
    rows = []
    for index in range(projects):
        unit_code, unit_name = units[index // PROJECTS_PER_UNIT]
        budget = Decimal(rng.randint(100, 5_000_000)) / 100
        for level1, level2, level3, template, weight in TEMPLATE:
            if len(rows) == count:
                break
            rows.append(
                [
                    YEAR,
                    unit_code,
                    unit_name,
                    f"{PREFIX}{index:07d}",
                    f"导入基准项目{index}",
                    "其他运转类",
                    float(budget),
                    level1,
                    level2,
                    level3,
                    _value(template, rng, budget),
                    "",
                    int(weight),
                ]
            )
    return rows


def build_file(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("项目绩效目标")
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def prepare_goals(rows: list[list]) -> list[int]:
    """The file's projects (with their budgets) and empty draft goals, created once."""
    from performance.choices import GoalScope, Status
    from performance.models import PerformanceGoal
    from projects.choices import FundSource
    from projects.models import Project, ProjectBudget, Unit

    units = {u.code: u for u in Unit.objects.filter(code__in={r[1] for r in rows})}
    wanted = {}
    for row in rows:
        wanted.setdefault(row[3], row)
    existing = set(Project.objects.filter(code__in=list(wanted)).values_list("code", flat=True))
    new = [
        Project(code=code, name=row[4], unit=units[row[1]], year=YEAR, category="operating")
        for code, row in wanted.items()
        if code not in existing
    ]
    Project.objects.bulk_create(new)
    ProjectBudget.objects.bulk_create(
        ProjectBudget(
            project=p,
            fund_source=FundSource.GENERAL_PUBLIC,
            amount=Decimal(str(wanted[p.code][6])),
            adjusted_amount=Decimal(str(wanted[p.code][6])),
        )
        for p in new
    )
    projects = Project.objects.filter(code__in=list(wanted))
    have = set(
        PerformanceGoal.objects.filter(project__in=projects).values_list("project_id", flat=True)
    )
    PerformanceGoal.objects.bulk_create(
        PerformanceGoal(
            scope=GoalScope.PROJECT,
            project=p,
            unit_id=p.unit_id,
            year=YEAR,
            status=Status.DRAFT,
            overall_goal=f"{p.name}年度总体目标",
        )
        for p in projects
        if p.pk not in have
    )
    return list(PerformanceGoal.objects.filter(project__in=projects).values_list("pk", flat=True))


def reset(goal_ids: list[int]) -> None:
    from django.db import connection

    from performance.models import Indicator, PerformanceGoal
    from projects.models import AuditEntry

    Indicator.objects.filter(goal_id__in=goal_ids).delete()
    AuditEntry.objects.filter(
        content_type__model="performancegoal", object_id__in=[str(pk) for pk in goal_ids]
    ).delete()
    PerformanceGoal.objects.filter(pk__in=goal_ids).update(lock_version=1)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE performance_indicator")


def bench_actor():
    from django.contrib.auth import get_user_model

    from projects.services import accounts

    user = get_user_model().objects.filter(username="bench_importer").first()
    return user or accounts.user_create(username="bench_importer", password=None, is_superuser=True)


def parse_only(data: bytes) -> tuple[float, int]:
    from openpyxl import load_workbook

    started = time.perf_counter()
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    cells = 0
    for row in workbook.worksheets[0].iter_rows(values_only=True):
        cells += len(row)
    workbook.close()
    return time.perf_counter() - started, cells


def expected_indicators(rows: list[list]) -> list[tuple]:
    """What either importer must store, from the file's rows: (project code, 一级, 二级, 三级,
    指标值, 指标值说明, 分值), sorted."""
    return sorted(
        (row[3], row[7], row[8], row[9], str(row[10]), row[11], Decimal(row[12])) for row in rows
    )


def stored_indicators(goal_ids: list[int]) -> list[tuple]:
    """The same columns as :func:`expected_indicators`, as stored, sorted."""
    from performance.models import Indicator

    return sorted(
        Indicator.objects.filter(goal_id__in=goal_ids).values_list(
            "goal__project__code",
            "level1",
            "level2",
            "level3",
            "raw_value",
            "explanation",
            "weight",
        )
    )


def differences(expected: list[tuple], stored: list[tuple]) -> tuple[int, list[str]]:
    """(rows missing or extra, first examples) between two sorted lists of rows."""
    from collections import Counter

    missing = Counter(expected) - Counter(stored)
    extra = Counter(stored) - Counter(expected)
    examples = [f"missing {row}" for row in list(missing)[:2]]
    examples += [f"unexpected {row}" for row in list(extra)[:2]]
    return sum(missing.values()) + sum(extra.values()), examples


def project_path(data: bytes, actor) -> tuple[float, dict]:
    from performance.services.imports import targets_import

    started = time.perf_counter()
    result = targets_import(actor=actor, file=data, filename="基准导入.xlsx")
    elapsed = time.perf_counter() - started
    if not result.committed:
        raise SystemExit(f"导入失败：{[e.message for e in result.errors[:5]]}")
    return elapsed, dict(result.counts)


def indicator_resource():
    from import_export import fields, resources, widgets

    from performance.models import Indicator, PerformanceGoal

    def text():  # an empty cell is "" (the columns are NOT NULL), as the template means
        return widgets.CharWidget(allow_blank=True)

    class IndicatorResource(resources.ModelResource):
        goal = fields.Field(
            attribute="goal",
            column_name="项目编码",
            widget=widgets.ForeignKeyWidget(PerformanceGoal, field="project__code"),
        )
        level1 = fields.Field(attribute="level1", column_name="一级指标", widget=text())
        level2 = fields.Field(attribute="level2", column_name="二级指标", widget=text())
        level3 = fields.Field(attribute="level3", column_name="三级指标", widget=text())
        raw_value = fields.Field(attribute="raw_value", column_name="指标值", widget=text())
        explanation = fields.Field(attribute="explanation", column_name="指标值说明", widget=text())
        weight = fields.Field(
            attribute="weight", column_name="分值", widget=widgets.DecimalWidget()
        )

        class Meta:
            model = Indicator
            fields = ("goal", "level1", "level2", "level3", "raw_value", "explanation", "weight")
            import_id_fields = ("goal", "level1", "level2", "level3")

    return IndicatorResource()


def resource_path(data: bytes) -> tuple[float, int]:
    import tablib

    started = time.perf_counter()
    dataset = tablib.Dataset().load(data, format="xlsx")
    result = indicator_resource().import_data(dataset, dry_run=False, raise_errors=True)
    elapsed = time.perf_counter() - started
    return elapsed, result.totals.get("new", 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="rounds of every variant (median)")
    args = parser.parse_args()
    setup_django()
    from .recompute import scope_units

    scope_units(1_000)  # the synthetic units exist
    rows = build_rows(args.rows)
    data = build_file(rows)
    goal_ids = prepare_goals(rows)
    actor = bench_actor()
    expected = expected_indicators(rows)
    print(
        f"import {len(rows)} indicator rows ({len(data) / 1e6:.1f} MB xlsx, {len(goal_ids)}"
        f" projects with draft goals); {args.repeat} rounds, variants interleaved, caches"
        " cleared before each",
        flush=True,
    )

    def run(name: str) -> float:
        if name == "parse":
            elapsed, cells = parse_only(data)
            if cells != (len(rows) + 1) * len(HEADERS):
                raise SystemExit(f"the parse read {cells} cells, not {(len(rows) + 1) * 13}")
            return elapsed
        if name == "project":
            elapsed, counts = project_path(data, actor)
            if counts["indicators_created"] != len(rows):
                raise SystemExit(f"targets_import created {counts['indicators_created']}")
            return elapsed
        elapsed, new = resource_path(data)
        if new != len(rows):
            raise SystemExit(f"the import-export resource created {new}")
        return elapsed

    labels = {
        "parse": "bare openpyxl read-only parse",
        "project": "targets_import",
        "resource": "django-import-export ModelResource",
    }
    samples: dict[str, list[float]] = {name: [] for name in labels}
    wrong = 0
    for index, name in rounds(list(labels), args.repeat):
        reset(goal_ids)
        clear_caches()
        elapsed = run(name)
        samples[name].append(elapsed)
        line = f"  round {index + 1}: {labels[name]:<36}{elapsed:8.2f} s"
        if name != "parse":  # what it wrote, against the file
            stored = stored_indicators(goal_ids)
            count, examples = differences(expected, stored)
            wrong += count
            line += f"  ({len(stored)} rows stored, {count} differ from the file)"
            line += "".join(f"\n    {example}" for example in examples)
        print(line, flush=True)
    reset(goal_ids)
    print("timings (interleaved rounds, each run cold):")
    for name, values in samples.items():
        print(f"  {labels[name]:<36}{describe(values)}")
    project, baseline, parse = (median(samples[name]) for name in ("project", "resource", "parse"))
    speedup, versus_parse = baseline / project, project / parse
    met = speedup >= 8 and versus_parse <= 3 and wrong == 0
    print(
        f"RESULT import_xlsx: {len(rows)} rows in {project:.2f} s (median of"
        f" {len(samples['project'])}), {ratio_range(samples['resource'], samples['project'])}"
        f" faster than the import-export resource (target ≥ 8×),"
        f" {ratio_range(samples['project'], samples['parse'])} the bare openpyxl parse"
        f" (target ≤ 3×), what each stored vs the file's {len(rows)} rows: {wrong} differences"
        f" (target 0) → {'met' if met else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
