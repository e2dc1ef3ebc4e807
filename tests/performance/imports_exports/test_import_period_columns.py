"""The flat template's optional period-plan columns (分期方式, 第1–4期目标值): the import sets an
indicator's plan through the indicator service's rule, the export writes them when a plan exists,
and an exported file re-imports unchanged."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from performance.choices import GoalScope
from performance.models import Indicator
from performance.services import goals as goal_services
from performance.services.exports import export_table
from performance.services.exports.flat import plain_decimal, template_xlsx
from performance.services.imports import import_run, targets_import
from projects.models import AuditEntry

from ...support.import_helpers import HEADER, NEW_CODE, csv_bytes, db_counts, row, xlsx_bytes

pytestmark = pytest.mark.django_db

PERIOD_HEADER = [*HEADER, "分期方式", "第1期目标值", "第2期目标值", "第3期目标值", "第4期目标值"]
QUARTERS = {
    "指标值": "≥100人次",
    "分期方式": "季度累计",
    "第1期目标值": "20",
    "第2期目标值": "50",
    "第3期目标值": "80",
    "第4期目标值": "100",
}


def _import(actor, data: bytes, name: str = "targets.csv", **kwargs):
    return targets_import(actor=actor, file=data, filename=name, **kwargs)


def _indicator() -> Indicator:
    return Indicator.objects.get(goal__project__code=NEW_CODE, level3="培训人次")


def _plan(indicator: Indicator) -> tuple:
    values = [
        indicator.period_target_1,
        indicator.period_target_2,
        indicator.period_target_3,
        indicator.period_target_4,
    ]
    return (
        indicator.period_kind,
        indicator.period_mode,
        [v if v is None else int(v) for v in values],
    )


def _sheet(content: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    return [[cell.value for cell in line] for line in sheet.iter_rows()]


def test_period_columns_set_the_worked_example_plan(filler):
    result = _import(filler, csv_bytes([row(**QUARTERS)], PERIOD_HEADER))
    assert result.ok, [str(i) for i in result.errors]
    assert _plan(_indicator()) == ("quarter", "cumulative", [20, 50, 80, 100])
    audit = AuditEntry.objects.filter(action="import").latest("pk")
    assert any(key.endswith(".period_kind") for key in audit.changes)


def test_period_values_are_read_against_the_indicator_unit(filler):
    cells = {**QUARTERS, "分期方式": "季度当期", "第1期目标值": "20人次", "第2期目标值": "30"}
    cells.update({"第3期目标值": "30人次", "第4期目标值": "20"})
    result = _import(filler, csv_bytes([row(**cells)], PERIOD_HEADER))
    assert result.ok, [str(i) for i in result.errors]
    assert _plan(_indicator()) == ("quarter", "per_period", [20, 30, 30, 20])


def test_half_year_plan_from_xlsx_numbers(filler):
    cells = {"指标值": "≥100人次", "分期方式": "半年累计", "第1期目标值": 40, "第2期目标值": 100}
    result = _import(filler, xlsx_bytes([row(**cells)], PERIOD_HEADER), "t.xlsx")
    assert result.ok, [str(i) for i in result.errors]
    assert _plan(_indicator()) == ("half", "cumulative", [40, 100, None, None])


@pytest.mark.parametrize(
    ("cells", "column", "message"),
    [
        ({"分期方式": "按月"}, "分期方式", "分期方式「按月」无法识别"),
        ({"第4期目标值": "90"}, "第4期目标值", "第4期累计目标 90 应等于全年目标值 100。"),
        (
            {"第2期目标值": "10"},
            "第2期目标值",
            "累计口径的分期目标应逐期不减（第2期 10 小于第1期 20）。",
        ),
        ({"第3期目标值": ""}, "第3期目标值", "按季度须填写第1至第4期目标值。"),
        ({"分期方式": "半年累计"}, "第3期目标值", "按半年只能填写第1、2期目标值。"),
        ({"分期方式": ""}, "分期方式", "请选择分期目标：按季度或按半年。"),
        ({"指标值": "及时"}, "分期方式", "定性指标不能设置分期目标。"),
        ({"第1期目标值": "二十"}, "第1期目标值", "第1期目标值「二十」"),
    ],
)
def test_a_bad_plan_is_a_row_and_column_error_and_writes_nothing(filler, cells, column, message):
    before = db_counts()
    good = row(三级指标="其他指标", 指标值="≥5个")
    result = _import(filler, csv_bytes([good, row(**{**QUARTERS, **cells})], PERIOD_HEADER))
    assert not result.ok
    (issue,) = result.errors
    assert (issue.row, issue.column) == (3, column)
    assert message in issue.message
    assert db_counts() == before


def test_without_period_columns_an_existing_plan_is_left_alone(filler):
    assert _import(filler, csv_bytes([row(**QUARTERS)], PERIOD_HEADER)).ok
    result = _import(
        filler, csv_bytes([row(指标值="≥100人次", 指标值说明="新说明")], [*HEADER, "指标值说明"])
    )
    assert result.ok, [str(i) for i in result.errors]
    indicator = _indicator()
    assert indicator.explanation == "新说明"
    assert _plan(indicator) == ("quarter", "cumulative", [20, 50, 80, 100])


def test_blank_period_columns_clear_a_plan(filler):
    assert _import(filler, csv_bytes([row(**QUARTERS)], PERIOD_HEADER)).ok
    result = _import(filler, csv_bytes([row(指标值="≥100人次")], PERIOD_HEADER))
    assert result.ok and result.counts["indicators_updated"] == 1
    assert _plan(_indicator()) == ("", "", [None, None, None, None])


def test_a_changed_plan_alone_updates_the_indicator(filler):
    assert _import(filler, csv_bytes([row(**QUARTERS)], PERIOD_HEADER)).ok
    front = {**QUARTERS, "第1期目标值": "60", "第2期目标值": "80", "第3期目标值": "90"}
    result = _import(filler, csv_bytes([row(**front)], PERIOD_HEADER))
    assert result.ok and result.counts["indicators_updated"] == 1
    assert _plan(_indicator()) == ("quarter", "cumulative", [60, 80, 90, 100])


def test_export_writes_the_plan_and_reimports_unchanged(filler):
    assert _import(filler, csv_bytes([row(**QUARTERS), row(三级指标="其他指标", 指标值="≥5个")])).ok
    indicator = _indicator()
    goal_services.indicator_save(
        goal=indicator.goal,
        indicator=indicator,
        actor=filler,
        data={
            "period_targets": {"kind": "quarter", "mode": "cumulative", "values": [20, 50, 80, 100]}
        },
    )
    content = template_xlsx(Indicator.objects.filter(goal__project__code=NEW_CODE))
    table = _sheet(content)
    assert table[0][-5:] == PERIOD_HEADER[-5:]
    by_name = {line[9]: line for line in table[1:]}
    assert by_name["培训人次"][-5:] == ["季度累计", 20, 50, 80, 100]
    assert by_name["其他指标"][-5:] == [None] * 5
    before = db_counts()
    again = _import(filler, content, "export.xlsx")
    assert again.ok, [str(i) for i in again.errors]
    assert not again.changed and "没有任何变化" in again.summary()
    assert db_counts() == before
    assert _plan(_indicator()) == ("quarter", "cumulative", [20, 50, 80, 100])


def test_export_without_plans_keeps_the_template_columns(filler):
    assert _import(filler, csv_bytes([row()])).ok
    table = _sheet(template_xlsx(Indicator.objects.filter(goal__project__code=NEW_CODE)))
    assert table[0] == [*HEADER, "指标值说明", "分值"]


def test_import_data_command_sets_the_plan_and_lists_bad_cells(filler, tmp_path):
    good = tmp_path / "targets.csv"
    good.write_bytes(csv_bytes([row(**QUARTERS)], PERIOD_HEADER))
    out = io.StringIO()
    call_command("import_data", "targets", str(good), "--user", "filler027", stdout=out)
    assert _plan(_indicator()) == ("quarter", "cumulative", [20, 50, 80, 100])
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([row(**{**QUARTERS, "第4期目标值": "90"})], PERIOD_HEADER))
    with pytest.raises(CommandError) as raised:
        call_command("import_data", "targets", str(bad), "--user", "filler027")
    assert "第2行「第4期目标值」" in str(raised.value)
    assert _plan(_indicator()) == ("quarter", "cumulative", [20, 50, 80, 100])


def test_unit_flat_export_carries_a_plan_and_reimports_unchanged(filler):
    indicator = (
        Indicator.objects.filter(
            goal__scope=GoalScope.UNIT,
            goal__unit__code="027001",
            goal__year=2022,
            target_value__gt=0,
            relative_to="",
        )
        .order_by("pk")
        .first()
    )
    half = indicator.target_value / 2
    Indicator.objects.filter(pk=indicator.pk).update(
        period_kind="half",
        period_mode="cumulative",
        period_target_1=half,
        period_target_2=indicator.target_value,
    )
    result = export_table(actor=filler, kind="unit_targets_flat", unit="027001", year=2022)
    table = _sheet(result.content)
    assert table[0][-5:] == PERIOD_HEADER[-5:]
    line = next(line for line in table[1:] if line[5] == indicator.level3)
    assert line[-5:-3] == ["半年累计", plain_decimal(half)]
    before = db_counts()
    again = import_run(kind="targets", actor=filler, file=result.content, filename="u.xlsx")
    assert again.ok, [str(i) for i in again.errors]
    assert again.changed is False and "没有任何变化" in again.summary()
    assert db_counts() == before
