"""The 整体 (unit-overall) layout of the target import, and repeated 三级 rows in both layouts."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from performance.choices import GoalScope, Status
from performance.models import Indicator, PerformanceGoal
from performance.services.imports import import_run
from projects.models import AuditEntry, Unit

from ...support.import_helpers import (
    NEW_CODE,
    csv_bytes,
    db_counts,
    error_codes,
    row,
    warning_codes,
)

pytestmark = pytest.mark.django_db

FIXTURE = (
    Path(__file__).resolve().parents[3]
    / "performance"
    / "demo_data"
    / "2022_027001_unit_targets.csv"
)
UNIT_HEADER = [
    "年度",
    "单位编码",
    "单位名称",
    "一级指标",
    "二级指标",
    "三级指标",
    "指标值",
    "指标值说明",
]


def _fixture_rows(year: int | None = None) -> list[dict[str, str]]:
    with FIXTURE.open(encoding="utf-8-sig", newline="") as handle:
        data = list(csv.DictReader(handle))
    if year is not None:
        for item in data:
            item["年度"] = str(year)
    return data


def _unit_csv(data, header=UNIT_HEADER) -> bytes:
    return csv_bytes(data, header)


def _unit_row(**overrides) -> dict[str, str]:
    values = {
        "年度": "2024",
        "单位编码": "027001",
        "单位名称": "伊滨经开区（示范区）社会保障事务服务中心",
        "一级指标": "产出指标",
        "二级指标": "数量指标",
        "三级指标": "培训人次",
        "指标值": "≥100人次",
        "指标值说明": "",
    }
    values.update(overrides)
    return values


def _unit_goal(year: int) -> PerformanceGoal | None:
    return (
        PerformanceGoal.objects.filter(scope=GoalScope.UNIT, unit__code="027001", year=year)
        .order_by("-version")
        .first()
    )


def _run(actor, data: bytes, **kwargs):
    return import_run(kind="targets", actor=actor, file=data, filename="unit.csv", **kwargs)


def test_unit_targets_fixture_imports_as_unit_goal_in_file_order(filler):
    data = _fixture_rows(year=2024)
    before_projects = db_counts()["projects"]

    result = _run(filler, _unit_csv(data))

    assert result.ok, [str(i) for i in result.errors]
    assert result.counts["goals_created"] == 1
    assert result.counts["indicators_created"] == len(data) == 24
    assert result.counts["projects_created"] == 0
    assert db_counts()["projects"] == before_projects
    goal = _unit_goal(2024)
    assert (goal.scope, goal.project, goal.unit.code) == (GoalScope.UNIT, None, "027001")
    stored = list(goal.indicators.order_by("order"))
    assert [(i.level1, i.level2, i.level3, i.raw_value, i.explanation) for i in stored] == [
        (d["一级指标"], d["二级指标"], d["三级指标"], d["指标值"], d["指标值说明"]) for d in data
    ]
    again = _run(filler, _unit_csv(data))
    assert again.ok and again.changed is False and "没有任何变化" in again.summary()


def test_published_unit_fixture_reimports_into_the_demo_goal_unchanged(filler):
    goal = _unit_goal(2022)
    assert goal is not None and goal.status == Status.APPROVED
    before = db_counts()
    result = _run(filler, _unit_csv(_fixture_rows()))
    assert result.ok, [str(i) for i in result.errors]
    assert result.changed is False
    assert result.counts["indicators_unchanged"] == 24
    assert db_counts() == before


def test_unit_layout_change_to_approved_goal_is_refused(filler):
    data = _fixture_rows()
    data[0]["指标值"] = "不相关"
    before = db_counts()
    result = _run(filler, _unit_csv(data))
    assert error_codes(result) == ["goal_approved"]
    assert result.errors[0].row == 2
    assert "整体绩效目标" in result.errors[0].message
    assert db_counts() == before


def test_unit_layout_for_a_unit_out_of_scope_is_refused(outsider):
    before = db_counts()
    result = _run(outsider, _unit_csv([_unit_row()]))
    assert error_codes(result) == ["unit_out_of_scope"]
    assert db_counts() == before


def test_blank_level1_and_level2_fill_down_with_notice(filler):
    data = [
        _unit_row(三级指标="培训人次"),
        _unit_row(一级指标="", 二级指标="", 三级指标="培训场次", 指标值="≥3场"),
        _unit_row(一级指标="", 二级指标="质量指标", 三级指标="合格率", 指标值="≥95%"),
        _unit_row(一级指标="满意度指标", 二级指标="", 三级指标="满意度", 指标值="≥90%"),
    ]
    result = _run(filler, _unit_csv(data))
    assert result.ok, [str(i) for i in result.errors]
    levels = [(i.level1, i.level2, i.level3) for i in _unit_goal(2024).indicators.order_by("order")]
    assert levels[:3] == [
        ("产出指标", "数量指标", "培训人次"),
        ("产出指标", "数量指标", "培训场次"),
        ("产出指标", "质量指标", "合格率"),
    ]
    assert levels[3][0] == "满意度指标"  # a new 一级 does not inherit the 二级 above
    assert any("「一级指标」第3–4行" in n and "「二级指标」第3行" in n for n in result.notices)


def test_empty_level3_is_error_naming_row(filler):
    before = db_counts()
    result = _run(filler, _unit_csv([_unit_row(), _unit_row(三级指标="")]))
    assert [(i.code, i.row, i.column) for i in result.errors] == [
        ("level3_required", 3, "三级指标")
    ]
    assert "第3行" in str(result.errors[0])
    assert db_counts() == before


@pytest.mark.parametrize("layout", ["project", "unit"])
def test_repeated_level3_kept_in_order_with_warning_when_creating(filler, layout):
    if layout == "project":
        data = csv_bytes([row(指标值="≥100人次"), row(指标值="≥200人次")])
    else:
        data = _unit_csv([_unit_row(指标值="≥100人次"), _unit_row(指标值="≥200人次")])
    result = _run(filler, data)
    assert result.ok, [str(i) for i in result.errors]
    assert warning_codes(result).count("repeated_indicator") == 1
    warning = next(w for w in result.warnings if w.code == "repeated_indicator")
    assert (warning.row, warning.column) == (3, "三级指标") and "第2行" in warning.message
    if layout == "project":
        stored = Indicator.objects.filter(goal__project__code=NEW_CODE)
    else:
        stored = _unit_goal(2024).indicators.all()
    assert list(stored.order_by("order").values_list("raw_value", flat=True)) == [
        "≥100人次",
        "≥200人次",
    ]
    # the same file again: rows equal to the indicators as a multiset → nothing changes
    audit = AuditEntry.objects.count()
    again = _run(filler, data)
    assert again.ok and again.changed is False
    assert again.counts["indicators_unchanged"] == 2
    assert AuditEntry.objects.count() == audit


@pytest.mark.parametrize("layout", ["project", "unit"])
def test_repeated_level3_changing_an_existing_goal_is_ambiguous_error(filler, layout):
    make = (lambda **kw: row(**kw)) if layout == "project" else _unit_row
    write = csv_bytes if layout == "project" else _unit_csv
    assert _run(filler, write([make(指标值="≥100人次"), make(指标值="≥200人次")])).ok
    before = db_counts()

    changed = _run(filler, write([make(指标值="≥100人次"), make(指标值="≥300人次")]))
    assert [(i.code, i.row) for i in changed.errors] == [
        ("ambiguous_indicator", 2),
        ("ambiguous_indicator", 3),
    ]
    assert "系统中已有 2 条、文件中有 2 条" in changed.errors[0].message
    one_row = _run(filler, write([make(指标值="≥100人次")]))
    assert error_codes(one_row) == ["ambiguous_indicator"]
    assert db_counts() == before


def test_unit_layout_through_the_command(tmp_path, filler):
    from django.core.management import call_command

    path = tmp_path / "unit.csv"
    path.write_bytes(_unit_csv(_fixture_rows(year=2024)))
    out = io.StringIO()
    call_command("import_data", "targets", str(path), "--user", "filler027", stdout=out)
    assert "新增指标 24 条" in out.getvalue()
    assert _unit_goal(2024).indicators.count() == 24
    assert Unit.objects.filter(code="027001").exists()
