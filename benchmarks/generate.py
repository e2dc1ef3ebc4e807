"""Build a synthetic province for the benchmarks, deterministically (fixed seed).

    python -m benchmarks.generate --projects 10000            # ~150k indicators
    python -m benchmarks.generate --projects 100000 --reset   # ~1.5M indicators

Layout: one finance bureau ``BENCH``, departments ``B001``…, about ten projects per unit, each
project with a budget, one to three payments, an approved goal of 15 indicators whose 指标值 are
drawn from the forms seen in real tables, a self-evaluation with actual values (scores left for
the recompute to fill) and a July monitoring report. Rows are written in chunks with
``projects.bulk_writes.bulk_create_rows`` (``COPY`` on PostgreSQL: about 3 s per 1,000 projects) so
memory stays flat; parsed target columns come from the real parser
(``performance.services.goals.apply_parsed_target``), cached per distinct text.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time
from decimal import Decimal

from . import setup_django

PREFIX = "BENCH"
PROJECTS_PER_UNIT = 10
UNITS_PER_DEPARTMENT = 20
YEAR = 2025

# (一级, 二级, 三级, value template, weight); {n} counts, {p} percent, {d} days, {b} budget.
TEMPLATE = (
    ("成本指标", "经济成本指标", "预算资金", "≤{b}万元", "5"),
    ("成本指标", "经济成本指标", "人均成本", "≤{c}元", "5"),
    ("产出指标", "数量指标", "服务对象人数", "≥{n}人", "5"),
    ("产出指标", "数量指标", "购置设备数量", "≥{k}台", "5"),
    ("产出指标", "数量指标", "培训人次", "≥{n}人次", "5"),
    ("产出指标", "质量指标", "政策覆盖率", "100%", "5"),
    ("产出指标", "质量指标", "验收合格率", "≥{p}%", "5"),
    ("产出指标", "时效指标", "资金拨付及时性", "及时", "5"),
    ("产出指标", "时效指标", "办结时限", "≤{d}天", "5"),
    ("产出指标", "数量指标", "宣传资料", "≥{k}批", "5"),
    ("效益指标", "社会效益指标", "群众负担减轻程度", "明显", "10"),
    ("效益指标", "社会效益指标", "待遇保障情况", "有效保障", "10"),
    ("效益指标", "可持续影响指标", "制度完善程度", "≥{p}%", "10"),
    ("满意度指标", "服务对象满意度指标", "服务对象满意度", "≥{s}%", "5"),
    ("满意度指标", "服务对象满意度指标", "参保人员满意度", "≥{s}%", "5"),
)


def _value(template: str, rng: random.Random, budget: Decimal) -> str:
    return template.format(
        b=format(budget.normalize(), "f"),
        c=rng.choice([600, 1200, 6280, 15000]),
        n=rng.choice([150, 530, 1100, 4000, 25000]),
        k=rng.choice([1, 3, 5, 15]),
        p=rng.choice([70, 85, 90, 95]),
        d=rng.choice([5, 10, 15, 30]),
        s=rng.choice([85, 90, 95]),
    )


def _actual(rng: random.Random, target) -> str:
    """An actual value near the target (70–130%), typed the way units type it."""
    if target.operator is None:
        return ""
    value = target.value or Decimal("0")
    factor = Decimal(rng.randint(70, 130)) / 100
    if target.unit == "%":
        actual = min(Decimal("100"), (value * factor).quantize(Decimal("0.01")))
    else:
        actual = (value * factor).quantize(Decimal("0.01"))
    return f"{format(actual.normalize(), 'f')}{target.unit}"


def reset() -> None:
    from django.db import connection

    from performance.models import (
        MonitoringRound,
        PerformanceGoal,
        SelfEvaluation,
    )
    from projects.models import AuditEntry, Project, Unit

    units = Unit.objects.filter(path__startswith=f"/{PREFIX}/")
    SelfEvaluation.objects.filter(unit__in=units).delete()
    MonitoringRound.objects.filter(title__startswith=PREFIX).delete()
    PerformanceGoal.objects.filter(unit__in=units).delete()
    Project.objects.filter(unit__in=units).delete()
    AuditEntry.objects.filter(unit__in=units).delete()
    for kind in ("unit", "department", "finance"):
        units.filter(kind=kind).delete()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def generate(projects: int, *, seed: int = 20251123, chunk: int = 2000, verbose: bool = True):
    """Create ``projects`` synthetic projects (and everything under them); returns row counts."""
    from django.db import transaction

    from performance import targets
    from performance.choices import GoalScope, Status
    from performance.models import (
        Indicator,
        IndicatorEvaluation,
        MonitoringEntry,
        MonitoringReport,
        MonitoringRound,
        PerformanceGoal,
        SchemeAssignment,
        ScoringScheme,
        SelfEvaluation,
    )
    from performance.services.goals import apply_parsed_target
    from projects.bulk_writes import bulk_create_rows
    from projects.choices import FundSource, ProjectCategory, UnitKind
    from projects.models import ExecutionRecord, Project, ProjectBudget, Unit

    started = time.perf_counter()
    scheme = ScoringScheme.objects.filter(is_default=True).first()
    if scheme is None:
        from performance.demo import load_schemes

        scheme = load_schemes()["national"]
    finance, _ = Unit.objects.get_or_create(
        code=PREFIX, defaults={"name": "基准测试财政局", "kind": UnitKind.FINANCE}
    )
    SchemeAssignment.objects.get_or_create(unit=finance, defaults={"scheme": scheme})
    n_units = max(1, -(-projects // PROJECTS_PER_UNIT))
    n_departments = max(1, -(-n_units // UNITS_PER_DEPARTMENT))
    departments = []
    for index in range(n_departments):
        code = f"B{index:04d}"
        unit = Unit.objects.filter(code=code).first() or Unit(
            code=code, name=f"基准主管部门{index}", kind=UnitKind.DEPARTMENT, parent=finance
        )
        if unit.pk is None:
            unit.save()
        departments.append(unit)
    units = []
    for index in range(n_units):
        code = f"B{index // UNITS_PER_DEPARTMENT:04d}{index % UNITS_PER_DEPARTMENT:03d}"
        unit = Unit.objects.filter(code=code).first() or Unit(
            code=code,
            name=f"基准预算单位{index}",
            kind=UnitKind.UNIT,
            parent=departments[index // UNITS_PER_DEPARTMENT],
        )
        if unit.pk is None:
            unit.save()
        units.append(unit)

    round_, _ = MonitoringRound.objects.get_or_create(
        year=YEAR,
        data_month=7,
        defaults={
            "title": f"{PREFIX} {YEAR}年1-7月绩效监控",
            "opens_on": dt.date(YEAR, 8, 1),
            "deadline": dt.date(YEAR, 8, 31),
        },
    )
    parsed_cache: dict[tuple[str, str], Indicator] = {}
    actual_cache: dict[tuple[str, str], tuple] = {}
    counts = {"projects": 0, "indicators": 0, "evaluations": 0, "entries": 0}
    approved_at = dt.datetime(YEAR - 1, 12, 31, 12, tzinfo=dt.UTC)
    existing = Project.objects.filter(unit__path__startswith=f"/{PREFIX}/").count()

    for start in range(existing, projects, chunk):
        stop = min(projects, start + chunk)
        rng = random.Random(f"{seed}:{start}")  # each chunk reproducible on its own
        with transaction.atomic():
            project_rows, budgets = [], []
            for index in range(start, stop):
                unit = units[index // PROJECTS_PER_UNIT]
                budget = Decimal(rng.randint(100, 5_000_000)) / 100
                budgets.append(budget)
                project_rows.append(
                    Project(
                        code=f"{PREFIX}{index:09d}",
                        name=f"基准项目{index}",
                        unit=unit,
                        year=YEAR,
                        category=rng.choice(list(ProjectCategory.values)),
                    )
                )
            bulk_create_rows(project_rows, batch_size=5000)
            bulk_create_rows(
                [
                    ProjectBudget(
                        project=p,
                        fund_source=FundSource.GENERAL_PUBLIC,
                        amount=b,
                        adjusted_amount=b,
                    )
                    for p, b in zip(project_rows, budgets, strict=True)
                ],
                batch_size=5000,
            )
            executions = []
            for project, budget in zip(project_rows, budgets, strict=True):
                spent = budget * Decimal(rng.randint(0, 110)) / 100
                parts = rng.randint(1, 3)
                for part in range(parts):
                    amount = (spent / parts).quantize(Decimal("0.000001"))
                    if amount:
                        executions.append(
                            ExecutionRecord(
                                project=project,
                                date=dt.date(YEAR, 3 + part * 3, 15),
                                amount=amount,
                            )
                        )
            bulk_create_rows(executions, batch_size=5000)
            goals = [
                PerformanceGoal(
                    scope=GoalScope.PROJECT,
                    project=p,
                    unit_id=p.unit_id,
                    year=YEAR,
                    status=Status.APPROVED,
                    overall_goal=f"{p.name}年度总体目标",
                    submitted_at=approved_at,
                    approved_at=approved_at,
                )
                for p in project_rows
            ]
            bulk_create_rows(goals, batch_size=5000)
            indicators = []
            for goal, budget in zip(goals, budgets, strict=True):
                for order, (level1, level2, level3, template, weight) in enumerate(TEMPLATE, 1):
                    raw = _value(template, rng, budget)
                    key = (raw, level1)
                    parsed = parsed_cache.get(key)
                    if parsed is None:
                        parsed = Indicator(
                            level1=level1, level2=level2, level3=level3, raw_value=raw
                        )
                        apply_parsed_target(parsed)
                        parsed_cache[key] = parsed
                    indicators.append(
                        Indicator(
                            goal=goal,
                            level1=level1,
                            level2=parsed.level2,
                            level3=level3,
                            raw_value=raw,
                            weight=Decimal(weight),
                            order=order,
                            category=parsed.category,
                            operator=parsed.operator,
                            target_value=parsed.target_value,
                            target_unit=parsed.target_unit,
                            kind=parsed.kind,
                            direction=parsed.direction,
                            relative_to=parsed.relative_to,
                            findings=parsed.findings,
                        )
                    )
            bulk_create_rows(indicators, batch_size=5000)
            evaluations = [
                SelfEvaluation(
                    scope=GoalScope.PROJECT,
                    project=g.project,
                    unit_id=g.unit_id,
                    year=YEAR,
                    goal=g,
                    scheme=scheme,
                    status=Status.DRAFT,
                )
                for g in goals
            ]
            bulk_create_rows(evaluations, batch_size=5000)
            reports = [
                MonitoringReport(round=round_, project=g.project, goal=g, unit_id=g.unit_id)
                for g in goals
            ]
            bulk_create_rows(reports, batch_size=5000)
            scores, entries = [], []
            per_goal = len(TEMPLATE)
            for position, indicator in enumerate(indicators):
                evaluation = evaluations[position // per_goal]
                report = reports[position // per_goal]
                target = targets.Target(
                    raw=indicator.raw_value,
                    operator=indicator.operator or None,
                    value=indicator.target_value,
                    unit=indicator.target_unit,
                    kind=indicator.kind,
                    findings=(),
                )
                if indicator.operator:
                    actual_raw = _actual(rng, target)
                    key = (actual_raw, indicator.target_unit)
                    if key not in actual_cache:
                        actual_cache[key] = targets.parse_actual(actual_raw, target=target)
                    actual_value = actual_cache[key][0]
                    band = ""
                    so_far_raw = actual_raw
                else:
                    actual_raw, actual_value, so_far_raw = "", None, ""
                    band = rng.choice(["achieved"] * 8 + ["partial", "not_achieved"])
                scores.append(
                    IndicatorEvaluation(
                        evaluation=evaluation,
                        indicator=indicator,
                        actual_raw=actual_raw,
                        actual_value=actual_value,
                        band=band,
                    )
                )
                entries.append(
                    MonitoringEntry(
                        report=report,
                        indicator=indicator,
                        value_raw=so_far_raw,
                        value=(actual_value * 7 / 12).quantize(Decimal("0.000001"))
                        if actual_value is not None
                        else None,
                        band=band,
                    )
                )
            bulk_create_rows(scores, batch_size=5000)
            bulk_create_rows(entries, batch_size=5000)
        counts["projects"] += len(project_rows)
        counts["indicators"] += len(indicators)
        counts["evaluations"] += len(evaluations)
        counts["entries"] += len(entries)
        if verbose:
            print(
                f"  {stop:>7}/{projects} projects  {time.perf_counter() - started:6.1f}s",
                flush=True,
            )
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20251123)
    parser.add_argument("--reset", action="store_true", help="删除已有的基准数据后重新生成")
    args = parser.parse_args()
    setup_django()
    if args.reset:
        reset()
    started = time.perf_counter()
    counts = generate(args.projects, seed=args.seed)
    print(f"generated {counts} in {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()
