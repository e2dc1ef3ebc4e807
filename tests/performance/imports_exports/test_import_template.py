"""Importing the flat template: upsert by natural key, parsed like a hand edit, audited, scoped."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import override_settings
from openpyxl.styles import numbers

from performance.choices import JobStatus, Status
from performance.field_specs import PARSED_FIELDS
from performance.models import Indicator, Job, PerformanceGoal
from performance.services import goals as goal_services
from performance.services.imports import ImportResult, targets_import, targets_import_submit
from projects.models import AuditEntry, Project

from ...support.import_helpers import (
    HEADER,
    NEW_CODE,
    csv_bytes,
    db_counts,
    error_codes,
    row,
    rows,
    warning_codes,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db


def _import(actor, data, name="targets.csv", **kwargs) -> ImportResult:
    result = targets_import(actor=actor, file=data, filename=name, **kwargs)
    assert result.ok, [str(i) for i in result.errors]
    return result


def _indicators(code=NEW_CODE):
    return Indicator.objects.filter(goal__project__code=code).order_by("order")


def test_import_creates_project_budget_goal_and_indicators(filler):
    before = AuditEntry.objects.count()
    result = _import(filler, csv_bytes(rows(3)))

    assert result.committed
    assert result.counts | {} == {
        "rows": 3,
        "projects_created": 1,
        "projects_updated": 0,
        "projects_unchanged": 0,
        "goals_created": 1,
        "indicators_created": 3,
        "indicators_updated": 0,
        "indicators_unchanged": 0,
    }
    project = Project.objects.get(code=NEW_CODE, year=2022)
    assert (project.unit.code, project.name, project.category) == (
        "027001",
        "导入测试项目",
        "special",
    )
    assert [b.amount for b in project.budgets.all()] == [Decimal("10.5")]
    goal = PerformanceGoal.objects.get(project=project)
    assert (goal.status, goal.version, goal.created_by) == (Status.DRAFT, 1, filler)
    assert [i.level3 for i in _indicators()] == ["培训人次1", "培训人次2", "培训人次3"]
    assert [i.order for i in _indicators()] == [1, 2, 3]
    # project create + budget + goal create + one row per indicator
    assert AuditEntry.objects.count() - before == 6
    assert AuditEntry.objects.filter(action="import", actor=filler).count() == 3


def test_imported_indicator_is_parsed_exactly_like_a_hand_edit(filler):
    values = ["≥100人次", "≤14.48万元", "100%", "及时", "≥95% 100%", "设备购置19.6万", "＞4000人"]
    data = csv_bytes([row(三级指标=f"指标{i}", 指标值=v) for i, v in enumerate(values)])
    _import(filler, data)
    goal = PerformanceGoal.objects.get(project__code=NEW_CODE)
    for imported in _indicators():
        by_hand = goal_services.indicator_save(
            goal=goal,
            data={
                "level1": imported.level1,
                "level2": imported.level2,
                "level3": "手工",
                "raw_value": imported.raw_value,
            },
            actor=filler,
        )
        for name in PARSED_FIELDS:
            assert getattr(imported, name) == getattr(by_hand, name), (imported.raw_value, name)
        by_hand.delete()
    assert [i.raw_value for i in _indicators()] == values


def test_dry_run_reports_the_counts_and_writes_nothing(filler):
    before = db_counts()
    result = targets_import(actor=filler, file=csv_bytes(rows(2)), filename="t.csv", dry_run=True)
    assert result.ok and not result.committed
    assert (result.counts["projects_created"], result.counts["indicators_created"]) == (1, 2)
    assert "校验通过" in result.summary()
    assert db_counts() == before


def test_reimporting_the_same_file_changes_nothing(filler):
    data = csv_bytes(rows(3))
    _import(filler, data)
    before = db_counts()
    result = _import(filler, data)
    assert result.counts["indicators_unchanged"] == 3
    assert result.counts["projects_unchanged"] == 1
    assert result.changed == 0
    assert db_counts() == before


def test_a_changed_value_updates_the_indicator_reparses_it_and_audits_it(filler):
    _import(filler, csv_bytes(rows(2)))
    first = _indicators().first()
    result = _import(
        filler, csv_bytes([row(三级指标="培训人次1", 指标值="≥250人次"), row(三级指标="培训人次2")])
    )
    assert (result.counts["indicators_updated"], result.counts["indicators_unchanged"]) == (1, 1)
    first.refresh_from_db()
    assert (first.raw_value, first.target_value, first.lock_version) == (
        "≥250人次",
        Decimal("250"),
        2,
    )
    entry = AuditEntry.objects.filter(action="import").latest("id")
    assert entry.changes == {f"indicator[{first.pk}].raw_value": ["≥100人次", "≥250人次"]}


def test_project_name_type_and_amount_changes_go_through_the_project_services(filler):
    _import(filler, csv_bytes(rows(1)))
    result = _import(
        filler,
        csv_bytes(
            [
                row(
                    三级指标="培训人次1",
                    项目名称="新名称",
                    项目类型="其他运转类",
                    **{"资金总额(万元)": "12"},
                )
            ]
        ),
    )
    assert result.counts["projects_updated"] == 1
    project = Project.objects.get(code=NEW_CODE)
    assert (project.name, project.category, project.lock_version) == ("新名称", "operating", 2)
    assert [b.amount for b in project.budgets.all()] == [Decimal("12")]


def test_optional_columns_update_explanation_and_weight(filler):
    header = [*HEADER, "指标值说明", "分值"]
    _import(filler, csv_bytes([row(指标值说明="公式", 分值="10")], header))
    result = _import(filler, csv_bytes([row(指标值说明="新公式", 分值="12.5")], header))
    assert result.counts["indicators_updated"] == 1
    indicator = _indicators().get()
    assert (indicator.explanation, indicator.weight) == ("新公式", Decimal("12.5"))
    # without the optional columns those fields are left alone
    result = _import(filler, csv_bytes([row()]))
    assert result.counts["indicators_unchanged"] == 1


def test_rows_absent_from_the_file_are_kept_and_noted(filler):
    _import(filler, csv_bytes(rows(3)))
    result = _import(filler, csv_bytes(rows(1)))
    assert _indicators().count() == 3
    assert any("不会删除" in n for n in result.notices)


def test_a_goal_under_review_cannot_be_changed_by_import(filler):
    _import(filler, csv_bytes(rows(1)))
    PerformanceGoal.objects.filter(project__code=NEW_CODE).update(status=Status.SUBMITTED)
    result = targets_import(
        actor=filler, file=csv_bytes([row(三级指标="培训人次1", 指标值="≥1人次")]), filename="x.csv"
    )
    assert error_codes(result) == ["goal_in_review"]


def test_gbk_csv_is_read_as_gb18030_with_a_notice(filler):
    result = _import(filler, csv_bytes(rows(1), encoding="gbk"))
    assert any("GB18030" in n for n in result.notices)
    assert _indicators().get().level3 == "培训人次1"


def test_utf8_bom_csv_is_read(filler):
    _import(filler, "\ufeff".encode() + csv_bytes(rows(1)))
    assert _indicators().count() == 1


def test_tab_separated_text_is_read(filler):
    _import(filler, csv_bytes(rows(2), delimiter="\t"), name="targets.txt")
    assert _indicators().count() == 2


def test_thousands_separators_and_full_width_digits_are_accepted(filler):
    data = csv_bytes([row(年度="２０２２", **{"资金总额(万元)": "1,909.20"})])
    _import(filler, data)
    project = Project.objects.get(code=NEW_CODE)
    assert project.year == 2022
    assert [b.amount for b in project.budgets.all()] == [Decimal("1909.2")]


def test_unknown_columns_are_ignored_with_a_warning(filler):
    result = _import(filler, csv_bytes([row(备注="自用")], [*HEADER, "备注"]))
    assert "unknown_column" in warning_codes(result)
    assert _indicators().count() == 1


def test_a_misspelt_level2_is_a_warning_and_a_loose_one_is_normalised(filler):
    result = _import(
        filler,
        csv_bytes([row(二级指标="数辆指标", 三级指标="a"), row(二级指标="质量目标", 三级指标="b")]),
    )
    assert {"level2_unknown", "level2_normalised"} <= set(warning_codes(result))
    assert [i.level2 for i in _indicators()] == ["数辆指标", "质量指标"]
    # the normalised 二级 is the natural key: importing "质量目标" again matches "质量指标"
    again = _import(filler, csv_bytes([row(二级指标="质量目标", 三级指标="b")]))
    assert again.counts["indicators_unchanged"] == 1


def test_unreadable_values_are_kept_verbatim_and_flagged(filler):
    result = _import(filler, csv_bytes([row(指标值="≥95% 100%")]))
    assert "value_multiple_values" in warning_codes(result)
    indicator = _indicators().get()
    assert indicator.raw_value == "≥95% 100%" and indicator.needs_attention


def test_unit_name_mismatch_is_only_a_warning(filler):
    result = _import(filler, csv_bytes([row(单位名称="伊滨社保中心")]))
    assert "unit_name_differs" in warning_codes(result)


def test_xlsx_numbers_and_percent_formatted_values_read_as_shown(filler):
    def percent(sheet):
        sheet["K2"].number_format = numbers.FORMAT_PERCENTAGE
        sheet["K3"].number_format = numbers.FORMAT_PERCENTAGE_00

    data = xlsx_bytes(
        [
            row(年度=2022, 三级指标="a", 指标值=0.95, **{"资金总额(万元)": 10.5}),
            row(年度=2022, 三级指标="b", 指标值=0.9, **{"资金总额(万元)": 10.5}),
            row(年度=2022, 三级指标="c", 指标值=15, **{"资金总额(万元)": 10.5}),
        ],
        edit=percent,
    )
    _import(filler, data, name="targets.xlsx")
    assert [i.raw_value for i in _indicators()] == ["95%", "90%", "15"]
    assert [b.amount for b in Project.objects.get(code=NEW_CODE).budgets.all()] == [Decimal("10.5")]


def test_management_command_imports_and_dry_runs(filler, tmp_path, capsys):
    path = tmp_path / "targets.csv"
    path.write_bytes(csv_bytes(rows(2)))
    call_command("import_targets", str(path), "--dry-run", "--user", "filler027")
    assert "校验通过" in capsys.readouterr().out
    assert not _indicators().exists()
    call_command("import_targets", str(path), "--user", "filler027")
    assert "导入完成" in capsys.readouterr().out
    assert _indicators().count() == 2


def test_management_command_fails_with_every_error_listed(filler, tmp_path):
    from django.core.management.base import CommandError

    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes([row(年度="1990"), row(三级指标="")]))
    with pytest.raises(CommandError) as raised:
        call_command("import_targets", str(path), "--user", "filler027")
    assert "第2行「年度」" in str(raised.value) and "第3行「三级指标」" in str(raised.value)


@override_settings(IMPORT_ASYNC_ROWS=3)
def test_a_large_upload_becomes_a_job_run_by_the_task(filler, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = targets_import_submit(actor=filler, file=csv_bytes(rows(5)), filename="big.csv")
    assert isinstance(job, Job)
    job.refresh_from_db()
    assert (job.kind, job.status, job.progress, job.created_by) == (
        "import_targets",
        JobStatus.SUCCEEDED,
        100,
        filler,
    )
    assert job.result["counts"]["indicators_created"] == 5
    assert _indicators().count() == 5


@override_settings(IMPORT_ASYNC_ROWS=3)
def test_a_failing_job_keeps_every_error_and_writes_nothing(
    filler, django_capture_on_commit_callbacks
):
    before = db_counts()
    with django_capture_on_commit_callbacks(execute=True):
        job = targets_import_submit(
            actor=filler, file=csv_bytes(rows(5, 年度="1990")), filename="big.csv"
        )
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert len(job.errors) == 5 and job.errors[0]["row"] == 2
    assert db_counts() == before


def test_a_small_upload_is_imported_in_the_request(filler):
    result = targets_import_submit(actor=filler, file=csv_bytes(rows(2)), filename="small.csv")
    assert isinstance(result, ImportResult) and result.committed
