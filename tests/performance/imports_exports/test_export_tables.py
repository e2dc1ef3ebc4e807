"""Official layouts as xlsx: merged headers, 万元 amounts, scoping, streaming and sheet splitting."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from performance.services.exports import EXPORT_KINDS, export_table, workbook
from performance.services.imports import targets_import

from ...support.import_helpers import DEMO_CSV, csv_bytes, db_counts, rows

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[3] / "performance" / "demo_data"


def shown(cell) -> str:
    """What a reader sees in the cell: numbers through their number format."""
    value, fmt = cell.value, cell.number_format or "General"
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if fmt.endswith("%"):
        places = len(fmt.split(".")[1]) - 1 if "." in fmt else 0
        return f"{number * 100:.{places}f}%"
    if fmt == "0.00":
        return f"{number:.2f}"
    text = format(number.normalize(), "f")
    return text


def _open(result):
    return load_workbook(io.BytesIO(result.content))


def _sheet_rows(sheet):
    return [[shown(c) for c in row] for row in sheet.iter_rows()]


def test_self_evaluation_table_shows_the_published_figures_of_305004(finance_reviewer):
    fixture = json.loads((FIXTURES / "2023_305004_self_evaluation.json").read_text("utf-8"))
    result = export_table(actor=finance_reviewer, kind="self_evaluation", unit="305004", year=2023)
    sheet = _open(result).worksheets[0]
    table = _sheet_rows(sheet)
    assert table[0][0] == "单位项目绩效自评表" and "A1:Q1" in {str(r) for r in sheet.merged_cells}
    header = table[2]
    assert header == [
        "单位编码", "单位名称", "主管部门编码", "主管部门名称", "项目名称", "项目类型",
        "资金归口处室", "全年预算数", "全年执行数", "预算执行率", "资金管理情况得分率",
        "成本指标得分率", "产出指标得分率", "效益指标得分率", "满意度指标得分率", "自评得分",
        "是否有偏差",
    ]  # fmt: skip
    data = [dict(zip(header, row, strict=True)) for row in table[3:] if any(row)]
    assert len(data) == len(fixture["projects"]) == 5
    by_name = {row["项目名称"]: row for row in data}
    for published in fixture["projects"]:
        row = by_name[published[0]]
        assert [row[column] for column in fixture["columns"]] == published, published[0]
        assert (row["单位编码"], row["单位名称"]) == (fixture["unit_code"], fixture["unit_name"])
        assert (row["主管部门编码"], row["主管部门名称"]) == (
            fixture["supervisor_code"],
            fixture["supervisor_name"],
        )
        assert row["资金归口处室"] == "社保科"
    # rates are numbers with a % format, not text
    rate = sheet.cell(row=4, column=10)
    assert isinstance(rate.value, int | float) and rate.number_format.endswith("%")


def test_project_targets_table_has_the_published_layout(filler):
    result = export_table(actor=filler, kind="project_targets", unit="027001", year=2022)
    sheet = _open(result).worksheets[0]
    table = _sheet_rows(sheet)
    merged = {str(r) for r in sheet.merged_cells}
    assert table[0][0] == "2022年部门预算项目绩效目标表"
    assert {"A3:A5", "B3:B5", "C3:F3", "G3:N3", "G4:H4", "I4:J4", "K4:L4", "M4:N4"} <= merged
    assert table[2][:3] == ["单位编码（项目编码）", "项目单位（项目名称）", "项目金额（万元）"]
    assert table[3][2:6] == ["资金总额", "政府预算资金", "财政专户管理资金", "单位资金"]
    assert table[3][6:14:2] == ["成本指标", "产出指标", "效益指标", "满意度指标"]
    assert table[4][6:8] == ["三级指标", "指标值"]
    assert table[5][1:4] == ["合计", "6656.23", "6656.23"]
    assert table[6][:3] == ["027001", "伊滨经开区（示范区）社会保障事务服务中心", "6656.23"]
    first = table.index(next(r for r in table if r[0] == "410395220000000007669"))
    assert table[first][:8] == [
        "410395220000000007669", "社保、医保经办经费", "14.48", "14.48", "", "",
        "预算资金", "≤14.48万元",
    ]  # fmt: skip
    assert table[first][8:10] == ["宣传资料", "≥1批"]
    assert table[first + 4][8:10] == ["社保信息管理系统正常运行", "运行正常"]
    assert f"A{first + 1}:A{first + 5}" in merged  # the project's cells span its five rows
    published = {r["指标值"] for r in csv.DictReader(DEMO_CSV.open(encoding="utf-8"))}
    values = {cell for row in table[7:] for cell in row[7::2] if cell}
    assert values == published


def test_unit_targets_table_has_the_published_layout(filler):
    result = export_table(actor=filler, kind="unit_targets", unit="027001", year=2022)
    sheet = _open(result).worksheets[0]
    table = _sheet_rows(sheet)
    merged = {str(r) for r in sheet.merged_cells}
    assert table[0][0] == "本级部门(单位)整体绩效目标表" and table[1][0] == "（2022年度）"
    labels = [row[0] for row in table]
    assert {"部门(单位)名称", "年度履职目标", "年度主要任务", "预算情况", "一级指标"} <= set(labels)
    budget_row = next(row for row in table if row[1] == "部门预算总额（万元）")
    assert budget_row[4] == "6824.79"
    header = labels.index("一级指标")
    assert table[header] == ["一级指标", "二级指标", "三级指标", "指标值", "指标值说明"]
    indicators = [row for row in table[header + 1 :] if row[2]]
    assert len(indicators) == 24
    first = header + 2  # sheet row of the first indicator
    unit_csv = (FIXTURES / "2022_027001_unit_targets.csv").open(encoding="utf-8")
    level1 = [row["一级指标"] for row in csv.DictReader(unit_csv)]
    runs, start = set(), 0
    for index in range(1, len(level1) + 1):
        if index == len(level1) or level1[index] != level1[start]:
            if index - start > 1:
                runs.add(f"A{first + start}:A{first + index - 1}")
            start = index
    assert runs and runs <= merged  # each 一级 spans its indicators, as published


def test_monitoring_table_lists_each_report_with_its_indicators(finance_reviewer, filler):
    import datetime as dt

    from performance.services import monitoring

    round_ = monitoring.monitoring_round_open(
        actor=finance_reviewer,
        year=2022,
        data_month=7,
        opens_on=dt.date(2022, 8, 1),
        deadline=dt.date(2022, 8, 31),
    )
    report = round_.reports.get(project__code="410395220000000007669")
    entry = report.entries.select_related("indicator").get(indicator__level3="宣传资料")
    monitoring.monitoring_report_update(
        report=report,
        actor=filler,
        data={"forecast_executed": "14.48"},
        entries=[
            {
                "indicator": entry.indicator_id,
                "value_raw": "0",
                "forecast_raw": "1",
                "deviation_cause": "经费保障",
                "likelihood": "有可能",
                "measures": "加快采购",
            }
        ],
    )
    result = export_table(actor=finance_reviewer, kind="monitoring", unit="027", year=2022)
    sheet = _open(result).worksheets[0]
    table = _sheet_rows(sheet)
    merged = {str(r) for r in sheet.merged_cells}
    assert table[0][0] == "2022年1-7月项目绩效运行监控表"
    assert {"E3:I3", "J3:U3", "A3:A4"} <= merged
    assert table[2][4] == "预算执行情况（万元）" and table[2][9] == "绩效指标完成情况"
    assert table[3][4:9] == [
        "全年预算数",
        "1-7月执行数",
        "预算执行率",
        "全年预计执行数",
        "执行进度预警",
    ]
    assert {row[2] for row in table[4:] if row[2]} == set(
        round_.reports.values_list("project__code", flat=True)
    )
    start = next(i for i, row in enumerate(table) if row[2] == report.project.code)
    count = report.entries.count()
    assert table[start][3:8] == ["社保、医保经办经费", "14.48", "0.00", "0%", "14.48"]
    assert f"C{start + 1}:C{start + count}" in merged and f"I{start + 1}:I{start + count}" in merged
    line = next(row for row in table[start : start + count] if row[11] == "宣传资料")
    # 本期比较值 (issue 16): a 批 count without period targets is pro-rated over 7 months
    assert line[12:20] == [
        "≥1批",
        "全年目标 1批 × 时间进度 58.33% = 0.58批",
        "0",
        "1",
        "经费保障",
        "",
        "有可能",
        "加快采购",
    ]
    assert table[3][13] == "本期比较值"
    assert line[20] in {"红灯", "黄灯", "绿灯", "蓝灯", ""}


def test_monitoring_without_a_round_is_a_clear_error(filler):
    with pytest.raises(ValidationError) as raised:
        export_table(actor=filler, kind="monitoring", unit="027001", year=2031)
    assert "没有绩效监控轮次" in str(raised.value)


def test_flat_template_export_reimports_unchanged(filler):
    result = export_table(actor=filler, kind="targets_flat", unit="027001", year=2022)
    before = db_counts()
    again = targets_import(actor=filler, file=result.content, filename=result.filename)
    assert again.ok and again.changed == 0 and again.counts["indicators_unchanged"] == 72
    assert db_counts() == before


def test_export_is_scoped_to_the_units_the_actor_may_see(filler, outsider, dept_reviewer):
    with pytest.raises(PermissionDenied):
        export_table(actor=outsider, kind="project_targets", unit="027001", year=2022)
    with pytest.raises(PermissionDenied):  # an unknown unit looks the same to a scoped user
        export_table(actor=outsider, kind="project_targets", unit="999999", year=2022)
    # a department reviewer exports the whole department
    result = export_table(actor=dept_reviewer, kind="targets_flat", unit="027", year=2022)
    assert result.rows == 72
    # the finance bureau's root for 027001's filler: only what the filler sees
    with pytest.raises(PermissionDenied):
        export_table(actor=filler, kind="targets_flat", unit="410300", year=2022)


def test_unknown_kind_and_unit_are_validation_errors(superuser):
    with pytest.raises(ValidationError):
        export_table(actor=superuser, kind="budget", unit="027001", year=2022)
    with pytest.raises(ValidationError):
        export_table(actor=superuser, kind="project_targets", unit="999999", year=2022)


def test_exports_write_to_a_given_stream(filler, tmp_path):
    path = tmp_path / "out.xlsx"
    with path.open("wb") as stream:
        result = export_table(
            actor=filler, kind="project_targets", unit="027001", year=2022, stream=stream
        )
    assert result.content is None
    assert load_workbook(path).worksheets[0]["A1"].value == "2022年部门预算项目绩效目标表"


def test_every_kind_exports_with_a_constant_number_of_queries(filler, superuser):
    def queries(kind):
        with CaptureQueriesContext(connection) as captured:
            export_table(actor=superuser, kind=kind, unit="027001", year=2022)
        return len(captured)

    kinds = [k for k in EXPORT_KINDS if k != "monitoring"]
    for kind in kinds:  # the actor's memberships are read once and kept on the user
        queries(kind)
    before = {kind: queries(kind) for kind in kinds}
    for index in range(3):  # more projects and indicators, same number of queries
        result = targets_import(
            actor=filler,
            file=csv_bytes(rows(4, 项目编码=f"41039522000000009{index:04d}")),
            filename="more.csv",
        )
        assert result.ok
    assert {kind: queries(kind) for kind in kinds} == before


def test_large_exports_split_into_continuation_sheets(filler, monkeypatch):
    monkeypatch.setattr(workbook, "SHEET_MAX_ROWS", 20)
    result = export_table(actor=filler, kind="project_targets", unit="027001", year=2022)
    book = _open(result)
    assert len(book.worksheets) > 1
    assert book.worksheets[1].title.endswith("（续1）")
    published = [
        (r["项目编码"], r["三级指标"], r["指标值"])
        for r in csv.DictReader(DEMO_CSV.open(encoding="utf-8"))
    ]
    codes = {code for code, _level3, _value in published}
    seen = []
    for sheet in book.worksheets:
        table = _sheet_rows(sheet)
        assert len(table) <= 20
        assert table[0][0] == "2022年部门预算项目绩效目标表" and table[4][6] == "三级指标"
        for merge in sheet.merged_cells.ranges:
            assert merge.max_row <= len(table)
        project = None  # a block starts with its project's code; its first row is on this sheet
        for row in table[5:]:
            if row[0] in codes:
                project = row[0]
            for column in (6, 8, 10, 12):  # 成本, 产出, 效益, 满意度: (三级指标, 指标值)
                if row[column]:
                    assert project is not None, (sheet.title, row)
                    seen.append((project, row[column], row[column + 1]))
    # every project's block landed whole on some sheet: each published indicator once, under
    # its own project
    assert sorted(seen) == sorted(published)

    monkeypatch.setattr(workbook, "SHEET_MAX_ROWS", 10)
    flat = export_table(actor=filler, kind="targets_flat", unit="027001", year=2022)
    sheets = _open(flat).worksheets
    assert len(sheets) == 8  # 72 rows, 9 under the repeated header per sheet
    assert all(sheet["A1"].value == "年度" for sheet in sheets)
    assert sum(sheet.max_row - 1 for sheet in sheets) == 72 == flat.rows


def test_export_table_command_writes_the_file(filler, tmp_path, capsys):
    output = tmp_path / "自评表.xlsx"
    call_command(
        "export_table", "self-evaluation", "--unit", "305004", "--year", "2023", "-o", str(output)
    )
    assert "已导出单位项目绩效自评表" in capsys.readouterr().out
    assert load_workbook(output).worksheets[0]["A1"].value == "单位项目绩效自评表"


def test_export_table_command_reports_scope_errors(filler, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="无权查看"):
        call_command(
            "export_table",
            "project_targets",
            "--unit",
            "305004",
            "--year",
            "2023",
            "-o",
            str(tmp_path / "x.xlsx"),
            "--user",
            "filler027",
        )
    assert not (tmp_path / "x.xlsx").exists()


def test_a_value_starting_with_equals_stays_text_and_round_trips(filler, login):
    from django.urls import reverse

    from ...support.import_helpers import row

    assert targets_import(actor=filler, file=csv_bytes([row(指标值="=100%")]), filename="eq.csv").ok
    exported = export_table(actor=filler, kind="targets_flat", unit="027001", year=2022)
    page = login(filler).post(reverse("admin:performance_indicator_export"), {"format": "0"})
    for data in (exported.content, page.content):
        sheet = load_workbook(io.BytesIO(data)).worksheets[0]
        cells = [r[10] for r in sheet.iter_rows(min_row=2) if r[10].value == "=100%"]
        assert len(cells) == 1 and cells[0].data_type == "s"
        before = db_counts()
        again = targets_import(actor=filler, file=data, filename="eq.xlsx")
        assert again.ok and again.changed == 0, [str(i) for i in again.errors]
        assert db_counts() == before


def test_the_admin_csv_export_cannot_start_a_formula_and_still_round_trips(filler, login):
    """CSV injection: a cell starting with = + - @ would run as a formula in Excel/WPS. The
    admin's csv export prefixes an apostrophe; the import takes it off again."""
    from django.urls import reverse

    from ...support.import_helpers import row

    values = ["=100%", "@SUM(A1)", "+1", "-5%"]
    upload = csv_bytes([row(三级指标=f"公式指标{i}", 指标值=v) for i, v in enumerate(values)])
    assert targets_import(actor=filler, file=upload, filename="f.csv").ok
    page = login(filler).post(reverse("admin:performance_indicator_export"), {"format": "1"})
    assert page.status_code == 200 and page["Content-Type"].startswith("text/csv")
    data = page.content
    cells = [r["指标值"] for r in csv.DictReader(io.StringIO(data.decode("utf-8-sig")))]
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)
    assert sorted(c for c in cells if c.startswith("'")) == sorted("'" + v for v in values)
    before = db_counts()
    again = targets_import(actor=filler, file=data, filename="again.csv")
    assert again.ok and again.changed == 0, [str(i) for i in again.errors]
    assert db_counts() == before
