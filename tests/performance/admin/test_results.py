"""结果应用 in the admin (/admin/results/) and as the 结果应用表 export: the same selector as
``/api/v1/results/``, scoped to the caller's units."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook
from rest_framework.test import APIClient

from performance.services import rectifications
from performance.services.exports import export_table
from projects.models import Unit

pytestmark = pytest.mark.django_db
PAGE = "/admin/results/"
YEAR = 2023


@pytest.fixture
def unit305004(demo):
    return Unit.objects.get(code="305004")


def _raise(actor, unit, problem: str):
    """A task raised ten days ago, three days overdue today."""
    deadline = dt.date.today() - dt.timedelta(days=3)
    return rectifications.rectification_raise(
        actor=actor,
        unit=unit,
        year=YEAR,
        problem=problem,
        deadline=deadline,
        today=deadline - dt.timedelta(days=7),
    )


def test_department_sees_its_units_grades_and_tasks_with_history(
    login, outsider_dept_reviewer, unit305004
):
    _raise(outsider_dept_reviewer, unit305004, "台账资料不全")
    response = login(outsider_dept_reviewer).get(PAGE, {"unit": "305004", "year": YEAR})
    page = response.content.decode()
    assert response.status_code == 200
    assert "305004" in page and "2023年度" in page
    assert page.count('<tr class="open">') == 1 and "台账资料不全" in page
    assert "dept305" in page  # the task's history: who raised it
    evaluations = page.split('id="results-evaluations"')[1].split("</table>")[0]
    assert evaluations.count("<tr>") == 1 + 5  # the header and the demo's five evaluations
    assert "本年度没有自评" not in page
    assert "E+" not in page and "0000<" not in page  # numbers through projects.numbers.figure


def test_foreign_unit_is_not_offered_and_is_a_404(login, dept_reviewer, unit305004):
    client = login(dept_reviewer)
    form = client.get(PAGE).content.decode()
    assert "305004" not in form and "027001" in form
    assert client.get(PAGE, {"unit": "305004", "year": YEAR}).status_code == 404
    assert client.get(PAGE, {"unit": "305004", "year": YEAR, "download": "xlsx"}).status_code == 404


def test_unit_user_sees_only_its_own_unit(login, filler):
    page = login(filler).get(PAGE).content.decode()
    options = page.split('name="unit"')[1].split("</select>")[0]
    assert options.count('<option value="0') == 1 and "027001" in options


@pytest.mark.parametrize("year", ["abc", "1800", ""])
def test_garbage_year_is_a_form_error(login, outsider_dept_reviewer, year):
    response = login(outsider_dept_reviewer).get(PAGE, {"unit": "305004", "year": year})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'class="errorlist' in page and 'id="results-summary"' not in page


def _api(user, unit: str):
    client = APIClient()
    client.force_authenticate(user)
    response = client.get("/api/v1/results/", {"unit": unit, "year": YEAR})
    assert response.status_code == 200
    return response.json()


def _sheets(content: bytes) -> list[list[tuple]]:
    book = load_workbook(io.BytesIO(content), read_only=True)
    return [list(sheet.iter_rows(min_row=4, values_only=True)) for sheet in book.worksheets]


def test_export_rows_equal_the_api(outsider_dept_reviewer, unit305004):
    _raise(outsider_dept_reviewer, unit305004, "资料不全")
    _raise(outsider_dept_reviewer, unit305004, "指标不细化")
    api = _api(outsider_dept_reviewer, "305004")
    result = export_table(actor=outsider_dept_reviewer, kind="results", unit="305004", year=YEAR)
    evaluations, tasks = _sheets(result.content)
    assert result.rows == len(api["evaluations"]) + len(api["rectifications"]) == 7
    assert [row[0] for row in evaluations] == [row["id"] for row in api["evaluations"]]
    for row, expected in zip(evaluations, api["evaluations"], strict=True):
        total = expected["self_total"]
        assert (row[6] is None and total is None) or float(row[6]) == float(total)
    assert [row[0] for row in tasks] == [row["id"] for row in api["rectifications"]]
    for row, expected in zip(tasks, api["rectifications"], strict=True):
        assert row[4] == expected["problem"] and row[8] == expected["overdue_days"]
        assert len(row[11].splitlines()) == len(expected["history"])


def test_export_of_a_foreign_unit_is_refused(dept_reviewer, unit305004):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        export_table(actor=dept_reviewer, kind="results", unit="305004", year=YEAR)


def test_admin_download_is_the_results_export(login, outsider_dept_reviewer, unit305004):
    _raise(outsider_dept_reviewer, unit305004, "资料不全")
    response = login(outsider_dept_reviewer).get(
        PAGE, {"unit": "305004", "year": YEAR, "download": "xlsx"}
    )
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    evaluations, tasks = _sheets(b"".join(response.streaming_content))
    assert len(evaluations) == 5 and [row[4] for row in tasks] == ["资料不全"]


def test_page_queries_do_not_grow_with_tasks(login, outsider_dept_reviewer, unit305004):
    client = login(outsider_dept_reviewer)
    _raise(outsider_dept_reviewer, unit305004, "一")
    client.get(PAGE, {"unit": "305004", "year": YEAR})  # warm the per-request caches
    with CaptureQueriesContext(connection) as one:
        assert client.get(PAGE, {"unit": "305004", "year": YEAR}).status_code == 200
    for problem in ("二", "三", "四"):
        _raise(outsider_dept_reviewer, unit305004, problem)
    with CaptureQueriesContext(connection) as four:
        page = client.get(PAGE, {"unit": "305004", "year": YEAR}).content.decode()
    assert page.count('<tr class="open">') == 4
    assert len(four) == len(one)
