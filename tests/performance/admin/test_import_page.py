"""数据导入: one admin page for every registered kind, driven by its declaration only — tried
with ``targets`` and with a kind registered only here."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from performance.choices import ImportRunStatus, JobKind
from performance.models import ImportRun, Job
from performance.services.imports import KINDS, ImportKind, register
from performance.services.imports.columns import Column
from performance.services.imports.reading import Table
from performance.services.imports.result import ImportFileError, ImportIssue, ImportResult
from projects.permissions import UNIT_ADMINS

from ...support.import_helpers import csv_bytes, db_counts, rows

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _only_this_tests_runs(db):
    """The demo rebuilds its units and people through the imports, so its database already
    holds those (the system's) runs; these tests look at the runs they make themselves."""
    ImportRun.objects.all().delete()


INDEX = reverse("performance_imports")


@dataclass
class _Row:
    row: int
    code: str


def _validate(table: Table, result: ImportResult, progress):
    if table.headers[:1] != ["站点编码"]:
        raise ImportFileError(ImportIssue("缺少必需的列：站点编码。", "missing_columns", 1))
    cleaned = []
    for number, values in table.rows:
        code = (values[0] or "").strip()
        if not code:
            result.error("站点编码不能为空。", "code_required", number, "站点编码")
        elif code == "refuse":
            result.error("该站点不能导入。", "refused", number, "站点编码")
        else:
            cleaned.append(_Row(number, code))
    return cleaned, None


WRITTEN: list[str] = []


def _plan(rows, context):
    return [row.code for row in rows if row.code not in WRITTEN]


def _count(plan, result):
    result.counts["created"] = len(plan)


def _write(plan, context):
    WRITTEN.extend(plan)


# Only unit 管理员 may import it (the "who may" rule of the declaration).
STATIONS = ImportKind(
    name="stations",
    title="监测站点",
    job_kind=JobKind.IMPORT_TARGETS,
    roles=frozenset(UNIT_ADMINS),
    columns=(Column("code", "站点编码"), Column("name", "站点名称", required=False)),
    example="targets.csv",
    counts=(("created", "新增站点"),),
    change_counts=("created",),
    validate=_validate,
    plan=_plan,
    count=_count,
    write=_write,
)


@pytest.fixture
def stations():
    register(STATIONS)
    WRITTEN.clear()
    yield STATIONS
    KINDS.pop("stations")


def _stations_file(*codes: str) -> SimpleUploadedFile:
    data = ("站点编码,站点名称\n" + "".join(f"{code},名\n" for code in codes)).encode()
    return SimpleUploadedFile("站点.csv", data, content_type="text/csv")


def _page(kind: str, name: str = "performance_import") -> str:
    return reverse(name, args=[kind])


def test_import_index_lists_only_the_kinds_the_user_may_import(
    login, stations, filler, finance_admin, dept_reviewer
):
    html = login(filler).get(INDEX).content.decode()
    assert "绩效目标" in html and _page("targets") in html
    assert "监测站点" not in html and _page("stations") not in html
    assert "站点编码" not in html

    admin_page = login(finance_admin).get(INDEX)
    html = admin_page.content.decode()
    assert admin_page.status_code == 200
    assert _page("targets") in html and _page("stations") in html
    assert "站点编码，站点名称" in html  # the kind's columns
    assert _page("stations", "performance_import_example") in html

    assert login(dept_reviewer).get(INDEX).status_code == 403  # imports nothing


def test_admin_home_links_to_the_import_page_only_for_importers(login, filler, dept_reviewer):
    home = login(filler).get(reverse("admin:index")).content.decode()
    assert 'id="import-links"' in home and INDEX in home and _page("targets") in home
    home = login(dept_reviewer).get(reverse("admin:index")).content.decode()
    assert 'id="import-links"' not in home and INDEX not in home


def test_a_kind_the_user_may_not_import_is_refused_and_an_unknown_one_is_not_found(
    login, stations, filler
):
    client = login(filler)
    assert client.get(_page("stations")).status_code == 403
    assert client.post(_page("stations"), {"import_file": _stations_file("a")}).status_code == 403
    assert client.get(_page("stations", "performance_import_example")).status_code == 403
    assert client.get(_page("nothing")).status_code == 404
    assert WRITTEN == [] and not ImportRun.objects.exists()


def test_declared_kind_is_previewed_then_imported_on_confirm(login, stations, finance_admin):
    client = login(finance_admin)
    page = client.post(_page("stations"), {"import_file": _stations_file("a", "b")})
    html = page.content.decode()
    assert page.status_code == 200 and "确认导入" in html
    assert "新增站点" in html  # the kind's count labels
    assert [(label, value) for label, value in page.context["counts"]] == [("新增站点", 2)]
    assert WRITTEN == []  # the preview writes nothing

    done = client.post(page.context["confirm_url"], page.context["confirm"], follow=True)

    assert done.redirect_chain[-1][0] == _page("stations")
    assert "导入完成：新增站点 2。" in done.content.decode()
    assert WRITTEN == ["a", "b"]
    runs = list(ImportRun.objects.order_by("pk").values_list("kind", "status", "dry_run"))
    assert runs == [
        ("stations", ImportRunStatus.VALIDATED, True),
        ("stations", ImportRunStatus.COMMITTED, False),
    ]
    assert "站点.csv" in done.content.decode()  # 最近的导入记录 on the page


def test_preview_lists_every_error_with_row_and_column_and_offers_no_confirmation(
    login, stations, finance_admin
):
    page = login(finance_admin).post(
        _page("stations"), {"import_file": _stations_file("a", "", "refuse")}
    )
    html = page.content.decode()
    assert "发现 2 处错误，未导入任何数据" in html and "确认导入" not in html
    assert [(i.row, i.column, i.code) for i in page.context["result"].errors] == [
        (3, "站点编码", "code_required"),
        (4, "站点编码", "refused"),
    ]
    assert "站点编码不能为空。" in html and "该站点不能导入。" in html
    assert WRITTEN == []
    assert ImportRun.objects.get().status == ImportRunStatus.FAILED


def test_only_checking_offers_no_confirmation(login, filler):
    before = db_counts()
    page = login(filler).post(
        _page("targets"),
        {"import_file": SimpleUploadedFile("t.csv", csv_bytes(rows(2))), "dry_run": "on"},
    )
    html = page.content.decode()
    assert "校验通过" in html and "确认导入" not in html and "confirm" not in page.context
    assert db_counts() == before


def test_confirmation_refuses_a_token_from_another_session(login, stations, finance_admin):
    client = login(finance_admin)
    page = client.post(
        _page("stations", "performance_import_confirm"),
        {"tmp_name": "0" * 32, "filename": "x.csv"},
        follow=True,
    )
    assert "已过期" in page.content.decode() and WRITTEN == []
    assert client.get(_page("stations", "performance_import_confirm")).status_code == 405


def test_example_file_downloads(login, filler):
    response = login(filler).get(_page("targets", "performance_import_example"))
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert body.splitlines()[0].startswith("年度,单位编码,单位名称,项目编码")


@override_settings(IMPORT_ASYNC_ROWS=2)
def test_a_large_file_of_a_declared_kind_becomes_a_job(login, stations, finance_admin):
    client = login(finance_admin)
    response = client.post(_page("stations"), {"import_file": _stations_file("a", "b", "c")})
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:performance_job_change", args=[job.pk])
    assert job.params["import_kind"] == "stations" and job.created_by == finance_admin
