"""Kind ``units``: the unit tree from master-data files (issue 18, U1, U2, U5, B1–B3)."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from performance.services.imports import KINDS, import_run
from projects.models import AuditEntry, Unit

pytestmark = pytest.mark.django_db

HEADER = ["单位编码", "单位名称", "单位类型", "上级单位编码"]


def units_csv(*rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def run(actor, data: bytes, **options):
    dry_run = options.pop("dry_run", False)
    return import_run(
        kind="units", actor=actor, file=data, filename="units.csv", dry_run=dry_run, options=options
    )


def tree() -> dict[str, tuple]:
    return {u.code: (u.name, u.kind, u.parent_id, u.is_active, u.path) for u in Unit.objects.all()}


def test_unit_tree_imports_and_parent_change_moves_subtree(superuser):
    first = run(
        superuser,
        units_csv(
            ["027002", "示范区下属单位", "预算单位", "027"],
            ["027002A", "下属单位的下属", "预算单位", "027002"],
            ["027002B", "下属的下属的下属", "预算单位", "027002A"],
        ),
    )
    assert first.ok and first.committed, first.errors
    assert first.counts["units_created"] == 3
    assert Unit.objects.get(code="027002B").path == "/410300/027/027002/027002A/027002B/"
    audits = AuditEntry.objects.count()

    moved = run(superuser, units_csv(["027002", "示范区下属单位", "预算单位", "305"]))

    assert moved.ok and moved.committed, moved.errors
    assert moved.counts["units_moved"] == 1 and moved.counts["units_updated"] == 1
    assert Unit.objects.get(code="027002").parent.code == "305"
    assert Unit.objects.get(code="027002A").path == "/410300/305/027002/027002A/"
    assert Unit.objects.get(code="027002B").path == "/410300/305/027002/027002A/027002B/"
    entries = list(AuditEntry.objects.order_by("pk")[audits:])
    assert len(entries) == 1
    assert entries[0].changes["parent"] == ["027", "305"]
    assert "连同下级 2 个单位一起移动" in entries[0].comment


def test_same_file_twice_changes_nothing_and_says_so(superuser):
    data = KINDS["units"].example_path.read_bytes()
    before, audits = tree(), AuditEntry.objects.count()

    result = run(superuser, data)

    assert result.ok and not result.changed
    assert "没有任何变化" in result.summary()
    assert result.counts["units_unchanged"] == 5
    assert tree() == before and AuditEntry.objects.count() == audits


def test_cycle_in_unit_tree_is_row_error(superuser):
    before = tree()
    result = run(
        superuser,
        units_csv(
            ["027002", "甲", "预算单位", "027003"],
            ["027003", "乙", "预算单位", "027002"],
        ),
    )
    assert [(e.code, e.row) for e in result.errors] == [("cycle", 2), ("cycle", 3)]
    assert "027002 → 027003 → 027002" in result.errors[0].message
    assert tree() == before


def test_moving_a_unit_under_its_own_subunit_is_a_cycle(superuser):
    run(superuser, units_csv(["027002", "甲", "预算单位", "027001"]))
    before = tree()
    result = run(
        superuser,
        units_csv(["027001", "伊滨经开区（示范区）社会保障事务服务中心", "预算单位", "027002"]),
    )
    assert [(e.code, e.row) for e in result.errors] == [("cycle", 2)]
    assert tree() == before


def test_parent_of_wrong_kind_is_row_error(superuser):
    before = tree()
    result = run(
        superuser,
        units_csv(
            ["028", "另一个主管部门", "主管部门", "027001"],
            ["027002", "甲", "预算单位", "410300"],
        ),
    )
    assert [(e.code, e.row, e.column) for e in result.errors] == [
        ("parent_kind", 2, "上级单位编码"),
        ("parent_kind", 3, "上级单位编码"),
    ]
    assert result.errors[0].message == "主管部门的上级不能是预算单位。"
    assert tree() == before


def test_unknown_parent_is_row_error(superuser):
    result = run(superuser, units_csv(["027002", "甲", "预算单位", "999"]))
    assert [(e.code, e.row) for e in result.errors] == [("parent_missing", 2)]


def test_unit_code_in_two_rows_with_different_names_is_error(superuser):
    before = tree()
    result = run(
        superuser,
        units_csv(["027002", "甲", "预算单位", "027"], ["027002", "乙", "预算单位", "027"]),
    )
    assert [(e.code, e.row, e.column) for e in result.errors] == [("unit_conflict", 3, "单位编码")]
    assert "第2行" in result.errors[0].message
    assert tree() == before


def test_unknown_unit_kind_is_cell_error(superuser):
    result = run(superuser, units_csv(["027002", "甲", "单位", "027"]))
    assert [(e.code, e.row, e.column) for e in result.errors] == [("invalid_kind", 2, "单位类型")]


def test_complete_import_deactivates_missing_units_only_below_root(superuser):
    run(
        superuser,
        units_csv(["027002", "甲", "预算单位", "027"], ["305005", "乙", "预算单位", "305"]),
    )
    file = units_csv(
        ["027", "伊滨经开区（示范区）社会保障事务服务中心", "主管部门", "410300"],
        ["027001", "伊滨经开区（示范区）社会保障事务服务中心", "预算单位", "027"],
    )

    preview = run(superuser, file, complete=True, root="027", dry_run=True)
    assert preview.ok and preview.counts["units_deactivated"] == 1
    assert any("expected_deactivations=1" in n for n in preview.notices)

    result = run(superuser, file, complete=True, root="027", expected_deactivations=1)

    assert result.ok and result.committed, result.errors
    active = dict(Unit.objects.values_list("code", "is_active"))
    assert active["027002"] is False  # deactivated, not deleted
    assert active["305005"] is True and active["027001"] is True and active["027"] is True
    entry = AuditEntry.objects.filter(object_id=str(Unit.objects.get(code="027002").pk)).latest(
        "pk"
    )
    assert entry.changes == {"is_active": [True, False]}

    again = run(superuser, units_csv(["027002", "甲", "预算单位", "027"]))
    assert again.counts["units_reactivated"] == 1
    assert Unit.objects.get(code="027002").is_active


def test_incomplete_import_deactivates_nothing(superuser):
    run(superuser, units_csv(["027002", "甲", "预算单位", "027"]))
    result = run(
        superuser,
        units_csv(["027001", "伊滨经开区（示范区）社会保障事务服务中心", "预算单位", "027"]),
    )
    assert result.ok and result.counts["units_deactivated"] == 0
    assert Unit.objects.filter(is_active=False).count() == 0


def test_complete_import_requires_expected_deactivations(superuser):
    run(
        superuser,
        units_csv(["027002", "甲", "预算单位", "027"], ["027003", "乙", "预算单位", "027"]),
    )
    before = tree()
    file = units_csv(["027001", "伊滨经开区（示范区）社会保障事务服务中心", "预算单位", "027"])
    for expected in ({}, {"expected_deactivations": 1}):
        result = run(superuser, file, complete=True, root="027", **expected)
        assert [e.code for e in result.errors] == ["expected_count"]
        assert "停用单位 2 个" in result.errors[0].message
    assert tree() == before


def test_department_admin_cannot_import_units_outside_scope(dept_admin):
    before = tree()
    result = run(
        dept_admin,
        units_csv(
            ["027002", "甲", "预算单位", "027"],
            ["305", "改名的人社局", "主管部门", "410300"],
            ["305009", "乙", "预算单位", "305"],
        ),
    )
    assert [(e.code, e.row) for e in result.errors] == [
        ("unit_out_of_scope", 3),
        ("unit_out_of_scope", 4),
    ]
    assert tree() == before
    ok = run(dept_admin, units_csv(["027002", "甲", "预算单位", "027"]))
    assert ok.ok and ok.committed and Unit.objects.filter(code="027002").exists()


def test_department_admin_cannot_move_a_unit_out_of_his_scope(dept_admin):
    result = run(
        dept_admin,
        units_csv(["027001", "伊滨经开区（示范区）社会保障事务服务中心", "预算单位", "305"]),
    )
    assert [(e.code, e.row) for e in result.errors] == [("unit_out_of_scope", 2)]
    assert "新上级单位" in result.errors[0].message


def test_filler_may_not_import_units(filler):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied, match="管理员"):
        run(filler, units_csv(["027002", "甲", "预算单位", "027"]))


def test_command_imports_units_with_complete_options(tmp_path, demo):
    run(None, units_csv(["027002", "甲", "预算单位", "027"]))
    path = tmp_path / "units.csv"
    path.write_bytes(
        units_csv(["027001", "伊滨经开区（示范区）社会保障事务服务中心", "预算单位", "027"])
    )
    with pytest.raises(CommandError, match="expected_deactivations=1"):
        call_command("import_data", "units", str(path), "--complete", "--root", "027")
    out = io.StringIO()
    call_command(
        "import_data",
        "units",
        str(path),
        "--complete",
        "--root",
        "027",
        "--expected-deactivations",
        "1",
        stdout=out,
    )
    assert "停用单位 1" in out.getvalue()
    assert not Unit.objects.get(code="027002").is_active
