"""The printed 部门(单位)整体绩效目标表 (the form the export writes and units publish) imports into
the unit's 整体 goal, and the exported table re-imports unchanged (issue 18, T1/T2/D2)."""

from __future__ import annotations

import csv
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook

from performance.choices import GoalScope
from performance.models import PerformanceGoal
from performance.services.exports import export_table
from performance.services.imports import import_run

from ...support.import_helpers import db_counts

pytestmark = pytest.mark.django_db

FIXTURE = (
    Path(__file__).resolve().parents[3]
    / "performance"
    / "demo_data"
    / ("2022_027001_unit_targets.csv")
)


def _form(actor) -> bytes:
    return export_table(actor=actor, kind="unit_targets", unit="027001", year=2022).content


def _edited(data: bytes, edit) -> bytes:
    workbook = load_workbook(BytesIO(data))
    edit(workbook.worksheets[0])
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def _fixture_indicators() -> list[tuple[str, str, str, str, str]]:
    with FIXTURE.open(encoding="utf-8-sig", newline="") as handle:
        return [
            (r["一级指标"], r["二级指标"], r["三级指标"], r["指标值"], r["指标值说明"])
            for r in csv.DictReader(handle)
        ]


def test_the_exported_printed_unit_table_reimports_unchanged(filler):
    before = db_counts()
    result = import_run(kind="targets", actor=filler, file=_form(filler), filename="整体.xlsx")
    assert result.ok, [str(i) for i in result.errors]
    assert result.changed is False and "没有任何变化" in result.summary()
    assert result.counts["indicators_unchanged"] == 24
    assert any("整体绩效目标表" in notice for notice in result.notices)
    assert db_counts() == before


def test_the_printed_table_creates_the_units_goal_in_file_order(filler):
    """The demo's 2022 table (the shared fixture's rows, 一级/二级 merged) relabelled 2024:
    a new 整体 goal whose indicators are the fixture's, in order."""

    def relabel(sheet):
        sheet["A2"] = "（2024年度）"

    data = _edited(_form(filler), relabel)
    result = import_run(kind="targets", actor=filler, file=data, filename="2024整体.xlsx")
    assert result.ok, [str(i) for i in result.errors]
    assert (result.counts["goals_created"], result.counts["indicators_created"]) == (1, 24)
    goal = PerformanceGoal.objects.get(scope=GoalScope.UNIT, unit__code="027001", year=2024)
    indicators = goal.indicators.order_by("order", "pk")
    assert [
        (i.level1, i.level2, i.level3, i.raw_value, i.explanation) for i in indicators
    ] == _fixture_indicators()

    again = import_run(kind="targets", actor=filler, file=data, filename="2024整体.xlsx")
    assert again.changed is False


def test_an_empty_third_level_in_the_printed_table_is_an_error_at_its_row(filler):
    data = _form(filler)
    sheet = load_workbook(BytesIO(data)).worksheets[0]
    header_row = next(row[0].row for row in sheet.iter_rows() if row[0].value == "一级指标")
    target = header_row + 3

    def blank(sheet):
        sheet.cell(row=target, column=3).value = None

    before = db_counts()
    result = import_run(kind="targets", actor=filler, file=_edited(data, blank), filename="x.xlsx")
    assert [(i.row, i.column, i.code) for i in result.errors] == [
        (target, "三级指标", "level3_required")
    ]
    assert db_counts() == before


def test_a_printed_table_of_another_unit_is_refused(outsider, filler):
    result = import_run(kind="targets", actor=outsider, file=_form(filler), filename="x.xlsx")
    assert result.errors and {i.code for i in result.errors} == {"unit_out_of_scope"}
