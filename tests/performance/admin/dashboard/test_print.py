"""打印报表: the official tables as HTML, cell for cell and merge for merge the xlsx export."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from performance.services.exports import PRINTABLE_KINDS, export_html, export_table
from performance.services.exports.html import HtmlBook, format_value
from performance.services.exports.workbook import AMOUNT_FORMAT
from tests.performance.imports_exports.test_export_tables import shown
from tests.performance.services.test_recompute import year_2022  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db

PRINT = reverse("performance_print")
CASES = [
    ("project_targets", "027001", 2022),
    ("unit_targets", "027001", 2022),
    ("monitoring", "027", 2022),
    ("self_evaluation", "305", 2023),
]


def expand(table) -> tuple[list[list[str]], set[tuple[int, int, int, int]]]:
    """The HTML table's rows (head then body) as a full matrix, and its spans as ranges."""
    rows = table.head + table.body
    matrix = [[None] * table.width for _ in rows]
    spans = set()
    for r, row in enumerate(rows):
        c = 0
        for cell in row:
            while matrix[r][c] is not None:
                c += 1
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    matrix[r + dr][c + dc] = ""
            matrix[r][c] = cell.text
            if cell.rowspan > 1 or cell.colspan > 1:
                spans.add((r, c, r + cell.rowspan - 1, c + cell.colspan - 1))
            c += cell.colspan
    return matrix, spans


def xlsx_grid(sheet, skip: int) -> tuple[list[list[str]], set[tuple[int, int, int, int]]]:
    rows = [[shown(c) for c in row] for row in sheet.iter_rows()][skip:]
    merges = {
        (m.min_row - 1 - skip, m.min_col - 1, m.max_row - 1 - skip, m.max_col - 1)
        for m in sheet.merged_cells.ranges
        if m.min_row > skip
    }
    return rows, merges


@pytest.mark.parametrize(("kind", "unit", "year"), CASES)
def test_the_printable_table_is_the_xlsx_cell_for_cell(year_2022, superuser, kind, unit, year):  # noqa: F811
    html = export_html(actor=superuser, kind=kind, unit=unit, year=year)
    xlsx = load_workbook(
        io.BytesIO(export_table(actor=superuser, kind=kind, unit=unit, year=year).content)
    )
    assert len(html.tables) == len(xlsx.worksheets)
    assert html.rows > 0
    for table, sheet in zip(html.tables, xlsx.worksheets, strict=True):
        captions = len(table.titles) + len(table.notes)
        matrix, spans = expand(table)
        rows, merges = xlsx_grid(sheet, captions)
        width = table.width
        assert [row + [""] * (width - len(row)) for row in rows] == matrix
        assert spans == merges


def test_the_project_table_has_the_published_merged_header(superuser):
    export = export_html(actor=superuser, kind="project_targets", unit="027001", year=2022)
    (table,) = export.tables
    assert table.titles == ["2022年部门预算项目绩效目标表"]
    assert table.notes == ["单位：万元"]
    top = [(c.text, c.rowspan, c.colspan) for c in table.head[0]]
    assert top == [
        ("单位编码（项目编码）", 3, 1),
        ("项目单位（项目名称）", 3, 1),
        ("项目金额（万元）", 1, 4),
        ("绩效目标", 1, 8),
    ]
    assert [c.text for c in table.head[2]] == ["三级指标", "指标值"] * 4
    total = table.body[0]
    assert [c.text for c in total[:3]] == ["", "合计", "6656.23"]
    assert total[2].align == "num"


def test_amounts_and_rates_read_as_in_the_workbook():
    from decimal import Decimal

    assert format_value(Decimal("14.48"), AMOUNT_FORMAT) == "14.48"
    assert format_value(Decimal("0"), AMOUNT_FORMAT) == "0.00"
    assert format_value(Decimal("0.9346"), "0.00%") == "93.46%"
    assert format_value(Decimal("0.357"), "0.0%") == "35.7%"
    assert format_value(Decimal("1"), "0%") == "100%"
    assert format_value(Decimal("28.000000")) == "28"
    assert format_value("=100%") == "=100%"
    assert format_value(None) == ""


@pytest.mark.parametrize(("kind", "unit", "year"), CASES)
def test_html_reads_with_the_same_queries_as_the_xlsx(year_2022, superuser, kind, unit, year):  # noqa: F811
    with CaptureQueriesContext(connection) as xlsx:
        export_table(actor=superuser, kind=kind, unit=unit, year=year)
    with CaptureQueriesContext(connection) as html:
        export_html(actor=superuser, kind=kind, unit=unit, year=year)
    assert len(html.captured_queries) == len(xlsx.captured_queries)


def test_the_print_page_is_an_a4_landscape_table(login, filler):
    response = login(filler).get(
        PRINT, {"kind": "self_evaluation", "unit": "027001", "year": "2022"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "@page { size: A4 landscape;" in page
    assert "<thead>" in page and 'class="official"' in page
    assert 'id="print-button"' in page and "performance/print.js" in page
    for kind, title in PRINTABLE_KINDS.items():  # switch to the other tables
        assert f"?kind={kind}&amp;unit=027001&amp;year=2022" in page and title in page


def test_the_published_305004_figures_print(login, outsider):
    page = (
        login(outsider)
        .get(PRINT, {"kind": "self_evaluation", "unit": "305004", "year": "2023"})
        .content.decode()
    )
    for figure in ("93.46%", "99.35", "96.91", "93.57", ">80<", "35.7%"):
        assert figure in page


def test_the_unit_table_merges_its_label_column(login, filler):
    page = (
        login(filler)
        .get(PRINT, {"kind": "unit_targets", "unit": "027001", "year": "2022"})
        .content.decode()
    )
    assert '<th rowspan="5" class="center">年度主要任务</th>' in page
    assert "本级部门(单位)整体绩效目标表" in page


def test_without_a_unit_and_year_the_form_is_shown_prefilled(login, filler):
    response = login(filler).get(PRINT, {"kind": "project_targets", "year": "2022"})
    assert response.status_code == 200
    form = response.context["form"]
    assert not form.is_bound
    assert form.initial == {"kind": "project_targets", "year": "2022", "unit": "027001"}
    assert "生成打印页" in response.content.decode()


def test_another_units_table_is_a_404(login, outsider):
    response = login(outsider).get(
        PRINT, {"kind": "project_targets", "unit": "027001", "year": "2022"}
    )
    assert response.status_code == 404


def test_a_monitoring_table_without_a_round_explains_why(login, filler):
    response = login(filler).get(PRINT, {"kind": "monitoring", "unit": "027001", "year": "2022"})
    assert response.status_code == 200
    assert "2022 年没有绩效监控轮次。" in response.content.decode()


def test_the_flat_template_is_not_a_printable_table(login, filler):
    response = login(filler).get(PRINT, {"kind": "targets_flat", "unit": "027001", "year": "2022"})
    assert response.status_code == 200
    assert response.context["form"].errors["kind"]


@pytest.mark.parametrize(
    ("changelist", "kind"),
    [
        ("admin:performance_performancegoal_changelist", "project_targets"),
        ("admin:performance_monitoringreport_changelist", "monitoring"),
        ("admin:performance_selfevaluation_changelist", "self_evaluation"),
    ],
)
def test_changelists_offer_a_print_button(login, filler, changelist, kind):
    page = login(filler).get(reverse(changelist)).content.decode()
    assert f'href="{PRINT}?kind={kind}' in page
    assert "打印报表" in page


def test_the_indicator_changelist_keeps_its_buttons_without_print(login, filler):
    page = login(filler).get(reverse("admin:performance_indicator_changelist")).content.decode()
    assert "导出报表" in page and 'id="print-link"' not in page


def test_an_html_book_collects_one_table_per_sheet():
    book = HtmlBook()
    sheet = book.open_sheet("表", header=[("title", ["标题", None])], widths=[1, 3])
    sheet.row(["a", 1])
    sheet.close()
    (table,) = book.tables()
    assert table.titles == ["标题"] and table.head == []
    assert [(c.text, c.align) for c in table.body[0]] == [("a", ""), ("1", "num")]
    assert [str(w) for w in table.column_widths] == ["25.0", "75.0"]
