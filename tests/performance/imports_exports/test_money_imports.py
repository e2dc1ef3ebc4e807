"""Kinds ``projects`` (项目库和预算) and ``execution`` (支出执行): issue 18, WP-B2."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum

from performance.choices import JobKind
from performance.models import Job
from performance.services.imports import import_run
from performance.services.imports.framework import EXAMPLES_DIR
from projects.models import AuditEntry, ExecutionBatch, ExecutionRecord, Project, ProjectBudget

pytestmark = pytest.mark.django_db

PROJECT_HEADER = [
    "年度",
    "单位编码",
    "项目编码",
    "项目名称",
    "项目类型",
    "新增/延续",
    "实施期开始",
    "实施期结束",
    "项目负责人",
    "联系电话",
    "资金来源",
    "年初预算(万元)",
    "调整后预算(万元)",
]
EXEC_HEADER = [
    "来源系统",
    "批次号",
    "行号",
    "年度",
    "单位编码",
    "项目编码",
    "支出日期",
    "金额(万元)",
    "摘要",
    "冲销行号",
]
P305 = "3050042023001"  # 305004's first 2023 project in the demo (budget 26.17 万元 or so)
P027 = "410395220000000007669"  # 027001's 2022 project, budget 14.48 万元


def table(header: list[str], rows: list[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def project_row(code="NEW-001", source="一般公共预算", amount="12.5", adjusted="", **kw) -> list:
    return [
        kw.get("year", 2023),
        kw.get("unit", "305004"),
        code,
        kw.get("name", "新建信息系统运维"),
        "特定目标类",
        "新增",
        "2023-01-01",
        kw.get("end", "2023-12-31"),
        "张三",
        "0379-1234567",
        source,
        amount,
        adjusted,
    ]


def exec_row(row_id, amount="1.5", *, batch="B1", code=P305, unit="305004", **kw) -> list:
    return [
        "treasury",
        batch,
        row_id,
        kw.get("year", 2023),
        unit,
        code,
        kw.get("date", "2023-03-05"),
        amount,
        kw.get("note", "支付"),
        kw.get("reverses", ""),
    ]


def run(kind, actor, data, **kw):
    return import_run(kind=kind, actor=actor, file=data, filename=f"{kind}.csv", **kw)


def codes(result) -> list[tuple]:
    return [(issue.code, issue.row, issue.column) for issue in result.errors]


def fingerprint() -> tuple:
    return (
        Project.objects.count(),
        ProjectBudget.objects.aggregate(s=Sum("adjusted_amount"))["s"],
        ExecutionRecord.objects.count(),
        ExecutionBatch.objects.count(),
        AuditEntry.objects.count(),
    )


# --- projects ----------------------------------------------------------------------------------


def test_project_library_imports_budgets_per_fund_source(outsider):
    data = table(
        PROJECT_HEADER,
        [project_row(), project_row(source="政府性基金", amount="3", adjusted="4.5")],
    )
    result = run("projects", outsider, data)
    assert result.ok and result.committed, codes(result)
    project = Project.objects.get(code="NEW-001", year=2023)
    assert (project.unit.code, project.leader, project.phone, project.continuity) == (
        "305004",
        "张三",
        "0379-1234567",
        "new",
    )
    budgets = {b.fund_source: (b.amount, b.adjusted_amount) for b in project.budgets.all()}
    assert budgets == {
        "general_public": (Decimal("12.5"), Decimal("12.5")),
        "government_fund": (Decimal("3"), Decimal("4.5")),
    }
    audits = AuditEntry.objects.filter(object_id=str(project.pk)).count()
    again = run("projects", outsider, data)
    assert again.ok and not again.changed
    assert "没有任何变化" in again.summary()
    assert AuditEntry.objects.filter(object_id=str(project.pk)).count() == audits


def test_budget_thousands_separator_is_row_error(outsider):
    before = fingerprint()
    result = run("projects", outsider, table(PROJECT_HEADER, [project_row(amount="1,909.20")]))
    assert codes(result) == [("thousands_separator", 2, "年初预算(万元)")]
    assert "1909.20" in result.errors[0].message
    assert fingerprint() == before


def test_budget_in_yuan_header_converts_with_notice(outsider):
    header = [h.replace("(万元)", "(元)") for h in PROJECT_HEADER]
    result = run("projects", outsider, table(header, [project_row(amount="144800")]))
    assert result.committed, codes(result)
    assert "本文件金额单位为元，已换算为万元。" in result.notices
    budget = ProjectBudget.objects.get(project__code="NEW-001")
    assert budget.amount == Decimal("14.48")


def test_budget_thousandfold_change_is_suspect_error(filler):
    before = fingerprint()
    row = project_row(
        code=P027, year=2022, unit="027001", name="社保、医保经办经费", amount="144800"
    )
    row[7] = "2022-12-31"
    row[6] = "2022-01-01"
    result = run("projects", filler, table(PROJECT_HEADER, [row]))
    assert ("amount_scale_suspect", 2, "年初预算(万元)") in codes(result)
    assert fingerprint() == before


def test_project_for_unit_outside_importers_scope_is_row_error(filler):
    before = fingerprint()
    result = run("projects", filler, table(PROJECT_HEADER, [project_row(unit="305004")]))
    assert codes(result) == [("unknown_unit", 2, "单位编码")]
    assert fingerprint() == before


def test_project_rows_describing_one_project_differently_conflict(outsider):
    rows = [project_row(), project_row(source="政府性基金", name="另一个名称")]
    result = run("projects", outsider, table(PROJECT_HEADER, rows))
    assert codes(result) == [("project_conflict", 3, "项目名称")]


def test_project_period_end_before_start_is_row_error(outsider):
    result = run("projects", outsider, table(PROJECT_HEADER, [project_row(end="2022-12-31")]))
    assert codes(result) == [("period_order", 2, "实施期结束")]


# --- execution ---------------------------------------------------------------------------------


def test_execution_batch_imports_and_resend_adds_nothing(outsider):
    data = table(EXEC_HEADER, [exec_row("R1"), exec_row("R2", "2.25", date="2023-04-01")])
    result = run("execution", outsider, data)
    assert result.committed, codes(result)
    records = ExecutionRecord.objects.filter(source="treasury").order_by("source_row_id")
    assert [(r.source_row_id, r.amount, r.project.code) for r in records] == [
        ("R1", Decimal("1.5"), P305),
        ("R2", Decimal("2.25"), P305),
    ]
    batch = ExecutionBatch.objects.get(batch_id="B1")
    assert (batch.row_count, batch.amount_total, batch.project_count) == (2, Decimal("3.75"), 1)
    before = fingerprint()
    again = run("execution", outsider, data)
    assert again.ok and not again.changed
    assert any("没有任何变化" in notice for notice in again.notices)
    assert fingerprint() == before


def test_resend_in_other_order_and_line_endings_is_unchanged(outsider):
    rows = [exec_row("R1"), exec_row("R2", "2.25")]
    run("execution", outsider, table(EXEC_HEADER, rows))
    before = fingerprint()
    order = [2, 0, 1, *range(3, len(EXEC_HEADER))]  # other column order, other row order
    other = table(
        [EXEC_HEADER[i] for i in order], [[r[i] for i in order] for r in reversed(rows)]
    ).replace(b"\r\n", b"\n")
    other = "\ufeff".encode() + other  # with a BOM
    again = run("execution", outsider, other)
    assert again.ok and not again.changed
    assert fingerprint() == before


def test_same_batch_id_with_other_rows_is_batch_conflict(outsider):
    run("execution", outsider, table(EXEC_HEADER, [exec_row("R1")]))
    before = fingerprint()
    result = run("execution", outsider, table(EXEC_HEADER, [exec_row("R1"), exec_row("R9")]))
    assert [issue.code for issue in result.errors] == ["batch_conflict"]
    assert fingerprint() == before


def test_other_batch_with_already_imported_rows_adds_only_new_rows(outsider):
    run("execution", outsider, table(EXEC_HEADER, [exec_row("R1")]))
    result = run(
        "execution",
        outsider,
        table(EXEC_HEADER, [exec_row("R1", batch="B2"), exec_row("R3", batch="B2")]),
    )
    assert result.committed, codes(result)
    assert (result.counts["records_created"], result.counts["records_unchanged"]) == (1, 1)
    assert ExecutionRecord.objects.filter(source="treasury").count() == 2


def test_row_id_imported_before_with_other_amount_is_row_conflict(outsider):
    run("execution", outsider, table(EXEC_HEADER, [exec_row("R1")]))
    result = run("execution", outsider, table(EXEC_HEADER, [exec_row("R1", "9", batch="B2")]))
    assert codes(result) == [("row_conflict", 2, "行号")]


def test_duplicate_row_ids_with_different_amounts_name_both_rows(outsider):
    before = fingerprint()
    result = run("execution", outsider, table(EXEC_HEADER, [exec_row("R1"), exec_row("R1", "2")]))
    assert codes(result) == [("duplicate_row_id", 3, "行号")]
    assert "第 2 行和第 3 行" in result.errors[0].message
    assert fingerprint() == before


def test_execution_row_for_unknown_project_is_row_error(outsider):
    before = fingerprint()
    result = run("execution", outsider, table(EXEC_HEADER, [exec_row("R1", code="NOPE-1")]))
    assert codes(result) == [("unknown_project", 2, "项目编码")]
    assert fingerprint() == before


def test_execution_row_for_another_units_project_is_row_error(filler, outsider):
    before = fingerprint()
    foreign = run("execution", filler, table(EXEC_HEADER, [exec_row("R1")]))
    assert codes(foreign) == [("unknown_unit", 2, "单位编码")]  # 305004 is not visible to him
    wrong = run(
        "execution",
        outsider,
        table(EXEC_HEADER, [exec_row("R1", code=P027, year=2022, date="2022-05-01")]),
    )
    assert codes(wrong) == [("project_of_other_unit", 2, "项目编码")]
    assert fingerprint() == before


def test_amount_in_yuan_detected_against_budget(outsider):
    before = fingerprint()
    result = run("execution", outsider, table(EXEC_HEADER, [exec_row("R1", "5000")]))
    assert codes(result) == [("amount_scale_suspect", 2, "金额(万元)")]
    assert "疑似以“元”填写" in result.errors[0].message
    assert fingerprint() == before


def test_execution_thousands_separator_and_unit_in_cell_are_row_errors(outsider):
    rows = [exec_row("R1", "1,500.00"), exec_row("R2", "14480元")]
    result = run("execution", outsider, table(EXEC_HEADER, rows))
    assert codes(result) == [
        ("thousands_separator", 2, "金额(万元)"),
        ("amount_with_unit", 3, "金额(万元)"),
    ]


def test_date_outside_year_is_row_error(outsider):
    before = fingerprint()
    result = run("execution", outsider, table(EXEC_HEADER, [exec_row("R1", date="2024-01-02")]))
    assert codes(result) == [("date_outside_year", 2, "支出日期")]
    assert fingerprint() == before


def test_reversal_references_corrected_row(outsider):
    run("execution", outsider, table(EXEC_HEADER, [exec_row("R1", "2")]))
    rows = [
        exec_row("R2", "1"),
        exec_row("R3", "-0.5", reverses="R2"),
        exec_row("R4", "-2", reverses="R1"),
    ]
    result = run("execution", outsider, table(EXEC_HEADER, [[*r[:1], "B2", *r[2:]] for r in rows]))
    assert result.committed, codes(result)
    stored = {r.source_row_id: r for r in ExecutionRecord.objects.filter(source="treasury")}
    assert stored["R3"].reverses == stored["R2"]
    assert stored["R4"].reverses == stored["R1"]  # across batches


def test_over_reversal_and_positive_reversal_are_errors(outsider):
    rows = [
        exec_row("R1", "1"),
        exec_row("R2", "-0.6", reverses="R1"),
        exec_row("R3", "-0.6", reverses="R1"),
        exec_row("R4", "0.5", reverses="R1"),
    ]
    result = run("execution", outsider, table(EXEC_HEADER, rows))
    assert ("reversal_positive", 5, "金额(万元)") in codes(result)
    rows.pop()
    result = run("execution", outsider, table(EXEC_HEADER, rows))
    assert codes(result) == [("over_reversal", 4, "金额(万元)")]


def test_negative_amount_without_reference_is_error(outsider):
    result = run("execution", outsider, table(EXEC_HEADER, [exec_row("R1", "-1")]))
    assert codes(result) == [("negative_without_reversal", 2, "金额(万元)")]


def test_rows_in_machine_form_and_in_hand_form_store_and_resend_alike(outsider):
    """The feed's common cells take a quick cleaner, anything else the general one: both must
    store the same values and give the same rows digest (else a re-send would conflict)."""
    note = 'tab\there, "quoted" \\ back'
    rows = [
        exec_row("R1", "007.50", note=note),
        exec_row("R\\2", "12.000000"),
        exec_row("R3", "-0.50", reverses="R1"),
    ]
    result = run("execution", outsider, table(EXEC_HEADER, rows))
    assert result.committed, codes(result)
    stored = {
        r.source_row_id: (r.amount, r.note, r.reverses_id and r.reverses.source_row_id)
        for r in ExecutionRecord.objects.filter(source="treasury")
    }
    assert stored == {
        "R1": (Decimal("7.5"), note, None),
        "R\\2": (Decimal("12"), "支付", None),
        "R3": (Decimal("-0.5"), "支付", "R1"),
    }
    before = fingerprint()
    by_hand = [[*row[:7], f" {float(row[7]):g} ", *row[8:]] for row in rows]  # spaces, 7.5
    again = run("execution", outsider, table(EXEC_HEADER, by_hand))
    assert again.ok and not again.changed, codes(again)
    assert fingerprint() == before


def test_numeric_note_from_a_spreadsheet_is_imported_as_text(outsider):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(EXEC_HEADER)
    sheet.append([*exec_row("R1")[:8], 20230305, ""])
    buffer = io.BytesIO()
    book.save(buffer)
    result = import_run(
        kind="execution", actor=outsider, file=buffer.getvalue(), filename="execution.xlsx"
    )
    assert result.committed, codes(result)
    assert ExecutionRecord.objects.get(source="treasury", source_row_id="R1").note == "20230305"


def test_one_recompute_job_per_batch_not_per_row(outsider, django_capture_on_commit_callbacks):
    rows = [exec_row(f"R{i}", "0.1") for i in range(5)]
    with django_capture_on_commit_callbacks(execute=False):
        result = run("execution", outsider, table(EXEC_HEADER, rows))
    assert result.committed
    jobs = Job.objects.filter(kind=JobKind.RECOMPUTE, params__execution_batch__isnull=False)
    assert jobs.count() == 1
    project = Project.objects.get(code=P305)
    assert jobs.get().params["project_ids"] == [project.pk]
    with django_capture_on_commit_callbacks(execute=False):
        run("execution", outsider, table(EXEC_HEADER, rows))
    assert jobs.count() == 1  # a re-send queues nothing


def test_batch_recompute_updates_figures_of_affected_projects_only(outsider):
    from performance.models import SelfEvaluation
    from performance.services.recompute_jobs import recompute_chunk, recompute_dispatch

    project = Project.objects.get(code=P305)
    mine = SelfEvaluation.objects.filter(year=2023, project=project).count()
    assert 0 < mine < SelfEvaluation.objects.filter(year=2023).count()
    run("execution", outsider, table(EXEC_HEADER, [exec_row("R1", "0.1")]))
    job = Job.objects.get(kind=JobKind.RECOMPUTE, params__execution_batch__isnull=False)
    assert recompute_dispatch(job_id=job.pk) == [0]
    assert recompute_chunk(job_id=job.pk, chunk=0)
    job.refresh_from_db()
    assert job.status == "succeeded"
    assert job.result["counts"]["evaluations"] == mine


def test_demo_projects_budgets_and_execution_rebuild_from_files(demo):
    """The example files are the demo's project library and execution: imported into a
    database holding only the demo's units, they give exactly the demo's rows."""

    def state() -> tuple:
        projects = sorted(
            Project.objects.values_list(
                "unit__code",
                "year",
                "code",
                "name",
                "category",
                "continuity",
                "period_start",
                "period_end",
                "managing_office",
            )
        )
        budgets = sorted(
            ProjectBudget.objects.values_list(
                "project__code", "fund_source", "amount", "adjusted_amount"
            )
        )
        executions = sorted(
            ExecutionRecord.objects.values_list("project__code", "date", "amount", "note")
        )
        return projects, budgets, executions

    expected = state()
    from performance.models import MonitoringReport, PerformanceGoal, SelfEvaluation

    SelfEvaluation.objects.all().delete()
    MonitoringReport.objects.all().delete()
    PerformanceGoal.objects.filter(project__isnull=False).delete()
    ExecutionRecord.objects.all().delete()
    Project.objects.all().delete()
    for kind in ("projects", "execution"):
        result = run(kind, None, (EXAMPLES_DIR / f"{kind}.csv").read_bytes())
        assert result.committed, codes(result)
    assert state() == expected
    for kind in ("projects", "execution"):
        result = run(kind, None, (EXAMPLES_DIR / f"{kind}.csv").read_bytes())
        assert result.ok and not result.changed


def test_resend_with_other_spellings_of_the_same_values_is_unchanged(outsider):
    """A date as 2023/3/5 and an amount as 1.50 are the same row as 2023-03-05 and 1.5 (the
    plain spellings take the fast cleaning path, the others the general one)."""
    run("execution", outsider, table(EXEC_HEADER, [exec_row("R1", "1.5", date="2023-03-05")]))
    before = fingerprint()
    again = run(
        "execution", outsider, table(EXEC_HEADER, [exec_row("R1", " 1.50", date="2023/3/5")])
    )
    assert again.ok and not again.changed, codes(again)
    assert fingerprint() == before


def test_imported_execution_record_is_read_only_in_admin(outsider, login):
    from projects.services.projects import execution_update

    run("execution", outsider, table(EXEC_HEADER, [exec_row("R1", "1.5")]))
    record = ExecutionRecord.objects.get(source="treasury", source_row_id="R1")
    client = login(outsider)
    url = f"/admin/projects/executionrecord/{record.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert b'name="amount"' not in page.content  # shown, not editable
    response = client.post(url, {"date": "2023-03-05", "amount": "9", "note": "改"})
    assert response.status_code == 403
    delete = client.post(f"/admin/projects/executionrecord/{record.pk}/delete/", {"post": "yes"})
    assert delete.status_code == 403
    with pytest.raises(ValidationError, match="发送冲销行"):
        execution_update(record=record, data={"amount": Decimal("9")}, actor=outsider)
    record.refresh_from_db()
    assert record.amount == Decimal("1.5")
