"""指标库 in Excel: the 101号 columns out and in, all or nothing, row-level errors, and a
re-imported export changes nothing."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from performance.choices import LibraryStatus
from performance.models import LibraryEntry
from performance.services.exports.library import library_export
from performance.services.imports.library import HEADERS, REQUIRED_HEADERS, library_import
from projects.models import AuditEntry

pytestmark = pytest.mark.django_db

GOOD = {
    "一级指标": "产出指标",
    "二级指标": "质量指标",
    "三级指标": "经办差错率（导入）",
    "指标性质": "≤",
    "指标值": "≤1%",
    "度量单位": "%",
    "权重": "10",
    "指标值设定依据及数据来源": "经办系统",
    "评(扣)分标准": "不超过目标值得满分。",
}


def _xlsx(rows: list[dict], headers=REQUIRED_HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append([row.get(h, "") for h in headers])
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


def test_export_has_the_101_columns_first_and_reimporting_it_changes_nothing(dept_reviewer):
    entries = LibraryEntry.objects.filter(unit__code="027").select_related("unit")
    data = library_export(entries=entries)
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0][: len(REQUIRED_HEADERS)]) == list(REQUIRED_HEADERS)
    assert len(rows) - 1 == entries.count()
    audit = AuditEntry.objects.count()
    result = library_import(actor=dept_reviewer, file=data, filename="指标库.xlsx")
    assert result.ok, [str(i) for i in result.errors]
    assert result.counts["unchanged"] == entries.count() and result.changed == 0
    assert AuditEntry.objects.count() == audit


def test_a_department_imports_new_entries_as_proposals(dept_reviewer):
    second = {**GOOD, "三级指标": "经办时限达标率（导入）", "指标性质": "≥", "指标值": "≥95%"}
    result = library_import(
        actor=dept_reviewer, file=_xlsx([GOOD, second]), filename="新指标.xlsx", submit=True
    )
    assert result.ok and result.committed and result.counts["created"] == 2
    entries = LibraryEntry.objects.filter(level3__endswith="（导入）")
    assert {e.status for e in entries} == {LibraryStatus.SUBMITTED}
    assert {e.unit.code for e in entries} == {"027"}


def test_any_bad_row_imports_nothing_and_every_error_names_row_and_column(dept_reviewer):
    rows = [
        GOOD,
        {**GOOD, "三级指标": "单位错误", "度量单位": "斤两钱"},
        {**GOOD, "三级指标": "性质错误", "指标性质": "大约"},
        {**GOOD, "三级指标": "参考值矛盾", "指标值": "≥1%"},
        GOOD,
    ]
    result = library_import(actor=dept_reviewer, file=_xlsx(rows), filename="坏.xlsx")
    assert not result.committed
    where = {(i.row, i.column) for i in result.errors}
    assert {(3, "度量单位"), (4, "指标性质"), (5, "指标值"), (6, "三级指标")} <= where
    assert not LibraryEntry.objects.filter(level3__in=["经办差错率（导入）", "单位错误"]).exists()


def test_a_file_without_the_101_columns_is_refused(dept_reviewer):
    headers = [h for h in REQUIRED_HEADERS if h != "评(扣)分标准"]
    result = library_import(actor=dept_reviewer, file=_xlsx([GOOD], headers), filename="x.xlsx")
    assert [i.code for i in result.errors] == ["missing_columns"]


def test_budget_unit_staff_cannot_import_entries(filler):
    result = library_import(
        actor=filler, file=_xlsx([{**GOOD, "归口单位编码": "027"}], HEADERS), filename="x.xlsx"
    )
    assert not result.committed and result.errors
    assert not LibraryEntry.objects.filter(level3=GOOD["三级指标"]).exists()


def test_a_dry_run_writes_nothing(dept_reviewer):
    result = library_import(
        actor=dept_reviewer, file=_xlsx([GOOD]), filename="x.xlsx", dry_run=True
    )
    assert result.ok and not result.committed and result.counts["created"] == 1
    assert not LibraryEntry.objects.filter(level3=GOOD["三级指标"]).exists()


def test_rows_of_two_versions_of_one_code_are_not_duplicates(dept_reviewer, finance_reviewer):
    from performance.services import library

    entry = LibraryEntry.objects.filter(unit__code="027", status=LibraryStatus.APPROVED).first()
    library.library_entry_revise(entry=entry, actor=dept_reviewer, data={}, reason="修订")
    data = library_export(entries=LibraryEntry.objects.filter(code=entry.code))
    result = library_import(actor=dept_reviewer, file=data, filename="两个版本.xlsx")
    assert result.ok and result.counts["unchanged"] == 2
