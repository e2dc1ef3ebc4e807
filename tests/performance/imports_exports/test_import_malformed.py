"""Malformed files: each one gets a clear Chinese error and the database is left untouched."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import time
import zipfile
from dataclasses import dataclass, field

import pytest
from django.test import override_settings

from performance.services.imports import targets_import
from performance.services.imports.reading import OLE2_MAGIC
from projects.models import Project

from ...support.import_helpers import (
    HEADER,
    NEW_CODE,
    csv_bytes,
    db_counts,
    error_codes,
    rewrite_zip,
    row,
    rows,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db


@dataclass
class Case:
    build: object  # () -> (bytes, filename)
    code: str
    settings: dict = field(default_factory=dict)
    column: str | None = None
    row: int | None = None


def _csv(data, header=HEADER, **kwargs):
    return lambda: (csv_bytes(data, header, **kwargs), "targets.csv")


def _xlsx(data, header=HEADER, edit=None):
    return lambda: (xlsx_bytes(data, header, edit=edit), "targets.xlsx")


def _set(cell, value):
    def edit(sheet):
        sheet[cell] = value

    return edit


def _merged(sheet):
    sheet.merge_cells("B2:B3")


def _zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _bomb():
    members = {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}
    members["xl/worksheets/sheet1.xml"] = b" " * (3 * 1024 * 1024)
    return _zip_of(members), "bomb.xlsx"


def _truncated():
    data = xlsx_bytes(rows(2))
    return data[: len(data) // 2], "truncated.xlsx"


def _garbage_sheet():
    data = xlsx_bytes(rows(2))
    return rewrite_zip(
        data, {"xl/worksheets/sheet1.xml": lambda _: b"<worksheet><sheetData><row"}
    ), ("broken.xlsx")


def _empty_sheet():
    return xlsx_bytes([], header=[]), "empty.xlsx"


AMOUNT, CODE, LEVEL1, LEVEL3 = "资金总额(万元)", "项目编码", "一级指标", "三级指标"

CASES = {
    "wrong_headers": Case(
        _csv([{}], header=["year", "unit", "project", "indicator", "value"]), "wrong_headers"
    ),
    "missing_project_code_column": Case(
        _csv(rows(1), header=[h for h in HEADER if h != CODE]), "missing_columns"
    ),
    "duplicate_column": Case(_csv(rows(1), header=[*HEADER, LEVEL3]), "duplicate_column"),
    "merged_cells": Case(_xlsx(rows(2), edit=_merged), "merged_cells", column="单位编码"),
    "empty_sheet": Case(_empty_sheet, "empty_file"),
    "empty_csv": Case(lambda: (b"", "empty.csv"), "empty_file"),
    "only_headers": Case(_csv([]), "no_rows"),
    "formula_as_amount": Case(
        _xlsx(rows(1), edit=_set("G2", "=SUM(5,5.5)")), "formula", column=AMOUNT
    ),
    "date_as_amount": Case(
        _xlsx([row(**{AMOUNT: dt.datetime(2022, 10, 5)})]), "date_cell", column=AMOUNT
    ),
    "negative_amount": Case(_csv([row(**{AMOUNT: "-3"})]), "negative_number", column=AMOUNT),
    "text_amount": Case(_csv([row(**{AMOUNT: "十万五千"})]), "invalid_number", column=AMOUNT),
    "amount_with_unit": Case(_csv([row(**{AMOUNT: "10.5万元"})]), "invalid_number", column=AMOUNT),
    "amount_too_many_places": Case(
        _csv([row(**{AMOUNT: "1.1234567"})]), "too_many_places", column=AMOUNT
    ),
    "boolean_amount": Case(_xlsx([row(**{AMOUNT: True})]), "bool_cell", column=AMOUNT),
    "error_value_cell": Case(
        _xlsx(rows(1), edit=_set("G2", "#DIV/0!")), "cell_error", column=AMOUNT
    ),
    "undecodable_csv": Case(lambda: (b"\x80\x80abc,\x80\xff\n" * 3, "targets.csv"), "bad_encoding"),
    "binary_csv": Case(lambda: (os.urandom(64) + b"\x00" * 16, "targets.csv"), "binary_file"),
    "unknown_unit": Case(_csv([row(单位编码="999999")]), "unknown_unit", column="单位编码"),
    "unit_code_lost_zero": Case(_xlsx([row(单位编码=27001)]), "unknown_unit", column="单位编码"),
    "year_out_of_range": Case(_csv([row(年度="1999")]), "year_out_of_range", column="年度"),
    "year_not_a_number": Case(_csv([row(年度="二〇二二")]), "invalid_year", column="年度"),
    "random_bytes_as_xlsx": Case(lambda: (os.urandom(4096), "targets.xlsx"), "not_xlsx"),
    "zip_without_workbook": Case(
        lambda: (_zip_of({"readme.txt": b"hello"}), "targets.xlsx"), "not_xlsx"
    ),
    "zip_bomb": Case(_bomb, "zip_too_large", settings={"IMPORT_MAX_UNCOMPRESSED_BYTES": 1 << 20}),
    "password_protected": Case(
        lambda: (OLE2_MAGIC + os.urandom(2048), "targets.xlsx"), "encrypted_or_xls"
    ),
    "legacy_xls": Case(lambda: (OLE2_MAGIC + os.urandom(512), "targets.xls"), "encrypted_or_xls"),
    "truncated_xlsx": Case(_truncated, "not_xlsx"),
    "corrupt_sheet_xml": Case(_garbage_sheet, "corrupt_xlsx"),
    "too_many_rows": Case(_csv(rows(6)), "too_many_rows", settings={"IMPORT_MAX_ROWS": 5}),
    "file_too_large": Case(_csv(rows(50)), "too_large", settings={"IMPORT_MAX_BYTES": 1024}),
    "blank_level3": Case(_csv([row(三级指标="  ")]), "required", column=LEVEL3),
    "blank_level1": Case(_csv([row(一级指标="")]), "required", column=LEVEL1),
    "blank_value": Case(_csv([row(指标值="")]), "required", column="指标值"),
    "project_code_with_spaces": Case(
        _csv([row(项目编码="4103952200 0000000990 01")]), "code_with_spaces", column=CODE
    ),
    "project_code_as_number": Case(
        _xlsx([row(项目编码=4.10395220000000e20)]), "code_as_number", column=CODE
    ),
    "project_code_bad_characters": Case(
        _csv([row(项目编码="4103/9522")]), "invalid_code", column=CODE
    ),
    "unknown_project_type": Case(
        _csv([row(项目类型="可执行项目")]), "invalid_type", column="项目类型"
    ),
    "project_described_twice": Case(
        _csv([row(), row(三级指标="另一指标", 项目名称="别的名称")]), "project_conflict", row=3
    ),
    "level3_too_long": Case(_csv([row(三级指标="长" * 301)]), "too_long", column=LEVEL3),
    "weight_negative": Case(
        _csv([row(分值="-1")], header=[*HEADER, "分值"]), "negative_number", column="分值"
    ),
    "text_as_xlsx_extension": Case(lambda: (csv_bytes(rows(1)), "targets.xlsx"), "not_xlsx"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_malformed_file_is_refused_with_a_clear_error_and_writes_nothing(name, filler):
    case = CASES[name]
    data, filename = case.build()
    before = db_counts()
    with override_settings(**case.settings):
        result = targets_import(actor=filler, file=data, filename=filename)
    assert not result.ok and not result.committed
    assert case.code in error_codes(result), [str(i) for i in result.errors]
    issue = next(i for i in result.errors if i.code == case.code)
    assert issue.message and any("\u4e00" <= ch <= "\u9fff" for ch in issue.message)
    if case.column:
        assert issue.column == case.column
    if case.row:
        assert issue.row == case.row
    assert db_counts() == before


def test_there_are_at_least_thirty_malformed_cases():
    assert len(CASES) >= 30


def test_every_error_of_a_file_is_reported_at_once(filler):
    data = csv_bytes(
        [
            row(三级指标="a", **{"资金总额(万元)": "x"}),
            row(三级指标="b", **{"资金总额(万元)": "-1"}),
            row(三级指标="c", 年度="1990"),
            row(三级指标="", 一级指标=""),
            row(三级指标="e", 单位编码="999999"),
        ]
    )
    before = db_counts()
    result = targets_import(actor=filler, file=data, filename="many.csv")
    where = {(i.row, i.column, i.code) for i in result.errors}
    assert {
        (3, "资金总额(万元)", "negative_number"),
        (4, "年度", "year_out_of_range"),
        (5, "一级指标", "required"),
        (5, "三级指标", "required"),
        (6, "单位编码", "unknown_unit"),
    } <= where
    assert db_counts() == before


def test_another_units_codes_are_refused_for_a_scoped_user(filler):
    data = csv_bytes([row(单位编码="305004", 项目编码="305004202300999")])
    before = db_counts()
    result = targets_import(actor=filler, file=data, filename="other.csv")
    assert error_codes(result) == ["unit_out_of_scope"]
    assert "不在您可以维护的单位范围内" in result.errors[0].message
    assert db_counts() == before


def test_a_project_code_of_another_unit_is_refused(superuser):
    code = "305004" + "2023" + "001"  # a 305004 demo project
    data = csv_bytes([row(年度="2023", 项目编码=code)])
    before = db_counts()
    result = targets_import(actor=superuser, file=data, filename="steal.csv")
    assert error_codes(result) == ["project_of_other_unit"]
    assert db_counts() == before


def test_a_project_code_of_another_unit_is_refused_naming_the_unit_it_belongs_to(superuser):
    code = "3050042023001"
    data = csv_bytes([row(年度="2023", 项目编码=code)])
    result = targets_import(actor=superuser, file=data, filename="typo.csv", dry_run=True)
    assert "已属于单位「洛阳市西工区社会保险中心」" in result.errors[0].message


def _answer(result, code: str) -> dict:
    """What an importer is told, with the code itself taken out."""
    answer = result.as_dict()
    answer.pop("filename", None)
    answer.pop("run_id", None)  # each run has its own history row: not about the code
    return {k: str(v).replace(code, "<code>") for k, v in answer.items()}


def test_a_code_only_a_unit_the_importer_cannot_see_uses_looks_like_a_new_code(filler):
    """A filler of 027001 learns nothing of 305004's codes: a code 305004 uses imports exactly as
    one nobody uses (the database keeps codes unique per unit), and 305004's project is left
    alone."""
    taken, free = "3050042023001", "3050042023999"
    theirs = Project.objects.get(unit__code="305004", year=2023, code=taken)
    theirs_before = (theirs.name, theirs.lock_version, list(theirs.budgets.values_list("amount")))
    answers = {}
    for code in (taken, free):
        data = csv_bytes(rows(2, 年度="2023", 项目编码=code))
        result = targets_import(actor=filler, file=data, filename="codes.csv", dry_run=True)
        assert result.ok, [str(i) for i in result.errors]
        answers[code] = _answer(result, code)
    assert answers[taken] == answers[free]
    assert "其他单位" not in str(answers[taken])

    data = csv_bytes(rows(2, 年度="2023", 项目编码=taken))
    result = targets_import(actor=filler, file=data, filename="codes.csv")
    assert result.committed and result.counts["projects_created"] == 1
    mine = Project.objects.get(unit__code="027001", year=2023, code=taken)
    assert mine.goals.get().indicators.count() == 2
    theirs = Project.objects.get(pk=theirs.pk)
    assert (theirs.name, theirs.lock_version, list(theirs.budgets.values_list("amount"))) == (
        theirs_before
    )


def test_changing_an_approved_goal_asks_for_an_adjustment_first(filler):
    text = (
        "2022,027001,x,410395220000000007669,社保、医保经办经费,其他运转类,14.48,"
        "产出指标,,宣传资料,≥2批\n"
    )
    data = (",".join(HEADER) + "\n" + text).encode()
    before = db_counts()
    result = targets_import(actor=filler, file=data, filename="approved.csv")
    assert error_codes(result) == ["goal_approved"]
    assert "调整" in result.errors[0].message
    assert db_counts() == before


def test_a_new_indicator_for_an_approved_goal_is_refused_too(filler):
    data = csv_bytes(
        [
            row(
                项目编码="410395220000000007669",
                项目名称="社保、医保经办经费",
                项目类型="其他运转类",
                **{"资金总额(万元)": "14.48", "三级指标": "新增的指标"},
            )
        ]
    )
    result = targets_import(actor=filler, file=data, filename="approved.csv")
    assert error_codes(result) == ["goal_approved"]


def test_a_department_reviewer_cannot_import(dept_reviewer):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        targets_import(actor=dept_reviewer, file=csv_bytes([row()]), filename="x.csv")


def test_a_sheet_claiming_a_million_rows_is_read_by_its_real_rows(filler):
    data = xlsx_bytes([row(项目编码=NEW_CODE)])
    data = rewrite_zip(
        data,
        {
            "xl/worksheets/sheet1.xml": lambda xml: re.sub(
                rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', xml
            ).replace(b"</sheetData>", b'<row r="1048576" ht="30" customHeight="1"/></sheetData>')
        },
    )
    assert b'ref="A1:XFD1048576"' in zipfile.ZipFile(io.BytesIO(data)).read(
        "xl/worksheets/sheet1.xml"
    )
    started = time.monotonic()
    result = targets_import(actor=filler, file=data, filename="huge.xlsx", dry_run=True)
    assert time.monotonic() - started < 5
    assert result.ok, [str(i) for i in result.errors]
    assert result.counts["rows"] == 1
