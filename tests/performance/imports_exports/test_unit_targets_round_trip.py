"""The 整体 tables round-trip: the published fixture → the demo's unit goal → its 整体 flat
export → the import, which changes nothing and says so (issue 18, D2 for the flat layout)."""

from __future__ import annotations

import csv
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook

from performance.services.exports import export_table
from performance.services.imports import import_run
from performance.services.imports.columns import UNIT_COLUMNS

from ...support.import_helpers import db_counts

pytestmark = pytest.mark.django_db

FIXTURE = (
    Path(__file__).resolve().parents[3]
    / "performance"
    / "demo_data"
    / "2022_027001_unit_targets.csv"
)


def _export_rows(actor) -> list[list]:
    result = export_table(actor=actor, kind="unit_targets_flat", unit="027001", year=2022)
    sheet = load_workbook(BytesIO(result.content), read_only=True).worksheets[0]
    return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]


def test_unit_targets_fixture_round_trips_through_its_flat_export(filler):
    rows = _export_rows(filler)
    with FIXTURE.open(encoding="utf-8-sig", newline="") as handle:
        published = list(csv.reader(handle))
    headers = [column.header for column in UNIT_COLUMNS]
    assert rows[0] == headers
    # the export holds the fixture's rows, in order (its 分值 column empty)
    width = len(published[0])
    assert rows[0][:width] == published[0]
    assert [row[:width] for row in rows[1:]] == published[1:]
    assert not any(cell for row in rows[1:] for cell in row[width:])  # 分值: empty

    result = export_table(actor=filler, kind="unit_targets_flat", unit="027001", year=2022)
    before = db_counts()
    again = import_run(kind="targets", actor=filler, file=result.content, filename="u.xlsx")
    assert again.ok, [str(i) for i in again.errors]
    assert again.changed is False and "没有任何变化" in again.summary()
    assert again.counts["indicators_unchanged"] == 24
    assert db_counts() == before


def test_unit_flat_export_is_scoped(outsider):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        export_table(actor=outsider, kind="unit_targets_flat", unit="027001", year=2022)
