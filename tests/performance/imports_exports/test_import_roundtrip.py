"""Round trips: the published CSV rebuilds the demo; an exported template re-imports unchanged;
10,000 indicators update set-based with exact counts."""

from __future__ import annotations

import csv
import io
import time
from decimal import Decimal

import pytest
from django.db.models import ProtectedError, Sum

from performance.models import Indicator, PerformanceGoal
from performance.resources import TargetTemplateResource
from performance.selectors.versions import current_goals
from performance.services.imports import targets_import
from projects.models import AuditEntry, Project

from ...support.import_helpers import DEMO_CSV, HEADER, csv_bytes, db_counts, row

pytestmark = pytest.mark.django_db

INDICATOR_FIELDS = (
    "level1",
    "level2",
    "level3",
    "raw_value",
    "category",
    "operator",
    "target_value",
    "target_unit",
    "kind",
    "direction",
    "relative_to",
    "findings",
    "order",
)


def _snapshot(unit_code="027001", year=2022) -> dict:
    projects = Project.objects.filter(unit__code=unit_code, year=year).annotate(
        total=Sum("budgets__amount")
    )
    result = {}
    for project in projects:
        goal = current_goals(PerformanceGoal.objects.filter(project=project)).get()
        result[project.code] = {
            "project": (project.name, project.category, project.unit_id, project.total),
            "indicators": [
                tuple(getattr(i, f) for f in INDICATOR_FIELDS)
                for i in goal.indicators.order_by("order", "pk")
            ],
        }
    return result


def _force_delete(queryset) -> None:
    """Delete rows and whatever protects them (monitoring reports, evaluations, versions…)."""
    for _ in range(20):
        try:
            queryset.delete()
            return
        except ProtectedError as error:
            for obj in error.protected_objects:
                _force_delete(type(obj).objects.filter(pk=obj.pk))
    raise AssertionError("could not clear the demo projects")


def test_published_csv_into_an_empty_database_yields_the_demo(filler):
    demo = _snapshot()
    assert len(demo) == 10 and sum(len(p["indicators"]) for p in demo.values()) == 72
    _force_delete(Project.objects.filter(unit__code="027001", year=2022))
    assert not Project.objects.filter(unit__code="027001", year=2022).exists()

    result = targets_import(actor=filler, file=DEMO_CSV, filename=DEMO_CSV.name)

    assert result.ok and result.committed, [str(i) for i in result.errors]
    assert (
        result.counts["projects_created"],
        result.counts["goals_created"],
        result.counts["indicators_created"],
    ) == (10, 10, 72)
    assert _snapshot() == demo
    published = list(csv.DictReader(DEMO_CSV.open(encoding="utf-8")))
    stored = set(
        Indicator.objects.filter(goal__project__unit__code="027001", goal__year=2022).values_list(
            "goal__project__code", "level3", "raw_value"
        )
    )
    assert stored == {(r["项目编码"], r["三级指标"], r["指标值"]) for r in published}


def _export_csv() -> bytes:
    dataset = TargetTemplateResource().export(
        PerformanceGoal.objects.filter(unit__code="027001", year=2022)
    )
    return dataset.export("csv").encode("utf-8")


def test_exported_template_matches_the_published_csv(filler):
    exported = list(csv.DictReader(io.StringIO(_export_csv().decode("utf-8"))))
    published = list(csv.DictReader(DEMO_CSV.open(encoding="utf-8")))
    assert len(exported) == 72
    assert sorted(tuple(r[h] for h in HEADER) for r in exported) == sorted(
        tuple(r[h] for h in HEADER) for r in published
    )


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_exported_template_reimports_without_any_change(filler, file_format):
    dataset = TargetTemplateResource().export(
        PerformanceGoal.objects.filter(unit__code="027001", year=2022)
    )
    data = dataset.export(file_format)
    data = data.encode("utf-8") if isinstance(data, str) else data
    before = db_counts()

    result = targets_import(actor=filler, file=data, filename=f"export.{file_format}")

    assert result.ok, [str(i) for i in result.errors]
    assert result.changed == 0 and result.counts["goals_created"] == 0
    assert result.counts["indicators_unchanged"] == 72
    assert db_counts() == before  # no audit row either


def _big_file(values) -> bytes:
    data = []
    for index, value in enumerate(values):
        project = index // 500
        data.append(
            row(
                年度="2023",
                项目编码=f"41039523{project:013d}",
                项目名称=f"批量项目{project}",
                三级指标=f"指标{index % 500:03d}",
                指标值=value,
            )
        )
    return csv_bytes(data, [*HEADER, "分值"])


def test_ten_thousand_indicators_update_set_based_with_exact_counts(filler):
    count = 10_000
    started = time.monotonic()
    created = targets_import(
        actor=filler, file=_big_file([f"≥{i}人" for i in range(count)]), filename="big.csv"
    )
    assert created.ok, [str(i) for i in created.errors[:5]]
    assert created.counts["indicators_created"] == count
    assert created.counts["projects_created"] == 20

    audit_before = AuditEntry.objects.count()
    values = [f"≥{i + 1}人" if i % 2 == 0 else f"≤{i}万元" for i in range(count)]
    updated = targets_import(actor=filler, file=_big_file(values), filename="big2.csv")

    assert updated.ok and updated.committed
    assert updated.counts["indicators_updated"] == count
    assert updated.counts["indicators_unchanged"] == 0
    assert updated.counts["indicators_created"] == 0
    stored = {
        (code, level3): (raw, value, lock)
        for code, level3, raw, value, lock in Indicator.objects.filter(
            goal__year=2023, goal__project__code__startswith="41039523"
        ).values_list("goal__project__code", "level3", "raw_value", "target_value", "lock_version")
    }
    assert len(stored) == count
    for index, raw in enumerate(values):
        key = (f"41039523{index // 500:013d}", f"指标{index % 500:03d}")
        number = Decimal(index + 1) if index % 2 == 0 else Decimal(index)
        assert stored[key] == (raw, number, 2), key
    assert AuditEntry.objects.count() - audit_before == count

    half = [v if i % 2 else f"≥{i + 7}人" for i, v in enumerate(values)]
    again = targets_import(actor=filler, file=_big_file(half), filename="big3.csv")
    assert (again.counts["indicators_updated"], again.counts["indicators_unchanged"]) == (
        count // 2,
        count // 2,
    )
    assert time.monotonic() - started < 240
