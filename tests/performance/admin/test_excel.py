"""The admin's 导入 / 导出 / 导出报表 buttons run through the same services, scoped and all-or-nothing."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from openpyxl import load_workbook

from performance.choices import JobStatus
from performance.models import Indicator, Job
from performance.services.imports import targets_import

from ...support.import_helpers import NEW_CODE, csv_bytes, db_counts, row, rows

pytestmark = pytest.mark.django_db

GOAL = "admin:performance_performancegoal_{}"
INDICATOR = "admin:performance_indicator_{}"


def _upload(data: bytes, name: str = "targets.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


@pytest.mark.parametrize("admin_url", [GOAL, INDICATOR])
def test_changelist_shows_import_export_and_report_buttons(login, filler, admin_url):
    page = login(filler).get(reverse(admin_url.format("changelist")))
    html = page.content.decode()
    assert page.status_code == 200
    # 导入 is the 数据导入 page of kind targets (one page for every kind)
    assert reverse("performance_import", args=["targets"]) in html
    assert reverse(admin_url.format("export")) in html
    assert reverse(admin_url.format("export_table")) in html


def test_a_department_reviewer_may_export_but_not_import(login, dept_reviewer):
    client = login(dept_reviewer)
    html = client.get(reverse(GOAL.format("changelist"))).content.decode()
    assert reverse(GOAL.format("import")) not in html
    assert reverse("performance_import", args=["targets"]) not in html
    assert reverse(GOAL.format("export_table")) in html
    assert client.get(reverse(GOAL.format("import"))).status_code == 403


def test_upload_is_previewed_then_imported_on_confirm(login, filler):
    client = login(filler)
    before = db_counts()
    page = client.post(reverse(GOAL.format("import")), {"import_file": _upload(csv_bytes(rows(3)))})
    assert page.status_code == 200
    html = page.content.decode()
    assert "校验通过" in html and "确认导入" in html
    assert db_counts() == before  # the preview writes nothing
    confirm = page.context["confirm"]

    done = client.post(reverse(GOAL.format("process_import")), confirm, follow=True)

    assert "导入完成" in done.content.decode(), [str(m) for m in done.context["messages"]] + [
        str(e) for e in getattr(done.context.get("result"), "errors", [])
    ]
    assert Indicator.objects.filter(goal__project__code=NEW_CODE).count() == 3


def test_a_file_with_errors_lists_them_and_offers_no_confirmation(login, filler):
    client = login(filler)
    before = db_counts()
    data = csv_bytes([row(年度="1990"), row(三级指标="", 指标值="≥1人")])
    page = client.post(reverse(INDICATOR.format("import")), {"import_file": _upload(data)})
    html = page.content.decode()
    assert "未导入任何数据" in html and "确认导入" not in html
    assert "年度 1990 超出范围" in html and "三级指标" in html
    assert [(i.row, i.column) for i in page.context["result"].errors] == [
        (2, "年度"),
        (3, "三级指标"),
    ]
    assert db_counts() == before


def test_a_foreign_units_file_is_refused_in_the_admin(login, outsider):
    data = csv_bytes([row()])
    before = db_counts()
    page = login(outsider).post(reverse(GOAL.format("import")), {"import_file": _upload(data)})
    assert "不在您可以维护的单位范围内" in page.content.decode()
    assert db_counts() == before


def test_confirmation_only_accepts_the_users_own_upload(login, filler):
    client = login(filler)
    before = db_counts()
    page = client.post(
        reverse(GOAL.format("process_import")),
        {"tmp_name": "../../etc/passwd", "filename": "x.csv"},
        follow=True,
    )
    assert "已过期" in page.content.decode()
    assert db_counts() == before


@override_settings(IMPORT_ASYNC_ROWS=3)
def test_a_large_upload_answers_at_once_with_a_job(
    login, filler, django_capture_on_commit_callbacks
):
    client = login(filler)
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(
            reverse(GOAL.format("import")), {"import_file": _upload(csv_bytes(rows(6)))}
        )
    job = Job.objects.latest("id")
    assert page.status_code == 302
    assert page["Location"] == reverse("admin:performance_job_change", args=[job.pk])
    job.refresh_from_db()
    assert (job.kind, job.status, job.created_by) == ("import_targets", JobStatus.SUCCEEDED, filler)
    assert job.result["counts"]["indicators_created"] == 6
    detail = client.get(reverse("admin:performance_job_change", args=[job.pk]))
    assert detail.status_code == 200


def test_the_export_button_writes_the_flat_template_of_visible_goals(login, filler):
    client = login(filler)
    page = client.post(reverse(GOAL.format("export")), {"format": "0"})  # xlsx
    assert page.status_code == 200
    data = b"".join(page.streaming_content) if page.streaming else page.content
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    codes = {r[1] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert codes == {"027001"}  # 305004's goals are not the filler's
    before = db_counts()
    result = targets_import(actor=filler, file=data, filename="export.xlsx")
    assert result.ok and result.changed == 0
    assert db_counts() == before


def test_export_table_view_streams_the_chosen_layout(login, filler, outsider):
    from projects.models import Unit

    unit = Unit.objects.get(code="027001")
    page = login(filler).post(
        reverse(GOAL.format("export_table")),
        {"kind": "project_targets", "unit": unit.pk, "year": 2022},
    )
    assert page.status_code == 200
    assert "attachment" in page["Content-Disposition"]
    data = b"".join(page.streaming_content)
    assert (
        load_workbook(io.BytesIO(data)).worksheets[0]["A1"].value == "2022年部门预算项目绩效目标表"
    )

    refused = login(outsider).post(
        reverse(GOAL.format("export_table")),
        {"kind": "project_targets", "unit": unit.pk, "year": 2022},
    )
    assert refused.status_code == 200 and "unit" in refused.context["form"].errors


def test_an_unconfirmed_preview_is_deleted_once_its_session_has_expired(
    login, filler, settings, tmp_path
):
    """The nightly housekeeping task deletes previews older than a session; fresh ones stay
    and can still be confirmed."""
    import datetime as dt
    import os

    from django.core.files.storage import default_storage

    from performance.services.housekeeping import preview_path
    from performance.tasks import housekeeping

    settings.MEDIA_ROOT = str(tmp_path)
    client = login(filler)
    pages = [
        client.post(reverse(GOAL.format("import")), {"import_file": _upload(csv_bytes(rows(n)))})
        for n in (2, 3)
    ]
    abandoned, fresh = (page.context["confirm"]["tmp_name"] for page in pages)
    old = (dt.datetime.now() - dt.timedelta(seconds=settings.SESSION_COOKIE_AGE + 60)).timestamp()
    os.utime(default_storage.path(preview_path(abandoned)), (old, old))

    assert housekeeping.delay().get() == {"previews": 1, "job_files": 0}

    assert not default_storage.exists(preview_path(abandoned))
    assert default_storage.exists(preview_path(fresh))
    done = client.post(reverse(GOAL.format("process_import")), pages[1].context["confirm"])
    assert done.status_code == 302
    assert Indicator.objects.filter(goal__project__code=NEW_CODE).count() == 3
    assert not default_storage.exists(preview_path(fresh))
    assert housekeeping.delay().get() == {"previews": 0, "job_files": 0}


@pytest.mark.parametrize(
    ("admin_url", "query"),
    [
        (INDICATOR, "unit__code=027001"),  # an indicator has no unit: its goal has
        (GOAL, "goal__unit__code="),
        (GOAL, "year__exact=明年"),
        (GOAL, "password=1"),
    ],
)
def test_an_export_with_a_filter_the_list_cannot_apply_returns_to_the_list(
    login, filler, admin_url, query
):
    client = login(filler)
    url = f"{reverse(admin_url.format('export'))}?{query}"
    for response in (client.get(url), client.post(url, {"format": "1"})):
        assert response.status_code == 302
        assert response["Location"] == reverse(admin_url.format("changelist"))
    page = client.get(reverse(admin_url.format("changelist")))
    messages = [str(m) for m in page.context["messages"]]
    assert "导出的筛选条件无效，未导出任何数据。请在列表中重新选择筛选条件后再导出。" in messages


def test_an_export_with_the_lists_own_filters_exports_the_filtered_rows(login, filler):
    client = login(filler)
    url = f"{reverse(INDICATOR.format('export'))}?goal__year__exact=2099"
    page = client.post(url, {"format": "0"})
    assert page.status_code == 200
    data = b"".join(page.streaming_content) if page.streaming else page.content
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    assert list(sheet.iter_rows(min_row=2, values_only=True)) == []
    unfiltered = client.post(reverse(INDICATOR.format("export")), {"format": "0"})
    data = b"".join(unfiltered.streaming_content) if unfiltered.streaming else unfiltered.content
    assert len(list(load_workbook(io.BytesIO(data)).worksheets[0].iter_rows(min_row=2))) > 0


@pytest.mark.parametrize(("choice", "extension"), [("0", "xlsx"), ("1", "csv")])
def test_plain_export_keeps_its_chinese_filename(login, filler, choice, extension):
    page = login(filler).post(reverse(GOAL.format("export")), {"format": choice})
    assert page.status_code == 200
    disposition = page["Content-Disposition"]
    # RFC 5987: every current browser reads filename*, which carries the Chinese name intact
    assert "filename*=utf-8''%E7%BB%A9%E6%95%88%E7%9B%AE%E6%A0%87" in disposition  # 绩效目标
    assert disposition.endswith(f".{extension}")


def test_csv_export_starts_with_a_bom(login, filler):
    page = login(filler).post(reverse(GOAL.format("export")), {"format": "1"})
    data = b"".join(page.streaming_content) if page.streaming else page.content
    assert data.startswith("\ufeff".encode())  # Excel then reads the Chinese as UTF-8
    before = db_counts()
    result = targets_import(actor=filler, file=data, filename="export.csv")
    assert result.ok and result.changed == 0  # and the file still imports unchanged
    assert db_counts() == before


def test_unit_overall_file_is_previewed_then_imported_into_the_unit_goal(login, filler):
    from performance.choices import GoalScope
    from performance.models import PerformanceGoal

    header = ["年度", "单位编码", "单位名称", "一级指标", "二级指标", "三级指标", "指标值"]
    base = {"年度": "2024", "单位编码": "027001", "单位名称": "", "一级指标": "投入管理指标"}
    data = csv_bytes(
        [
            {**base, "二级指标": "预算和财务管理", "三级指标": "预算执行率", "指标值": "100%"},
            {**base, "一级指标": "", "二级指标": "", "三级指标": "结转结余率", "指标值": "≤10%"},
        ],
        header,
    )
    client = login(filler)
    page = client.post(reverse(GOAL.format("import")), {"import_file": _upload(data)})
    assert "校验通过" in page.content.decode() and "第3行" in page.content.decode()
    done = client.post(reverse(GOAL.format("process_import")), page.context["confirm"], follow=True)
    assert "导入完成" in done.content.decode()
    goal = PerformanceGoal.objects.get(scope=GoalScope.UNIT, unit__code="027001", year=2024)
    assert list(goal.indicators.order_by("order").values_list("level1", "level3")) == [
        ("投入管理指标", "预算执行率"),
        ("投入管理指标", "结转结余率"),
    ]
