"""The import framework: every kind is a declaration run by one pipeline, from the API, the
command and background jobs alike; all or nothing; importing the same file twice says so."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from performance.choices import JobKind, JobStatus
from performance.models import Job
from performance.services.imports import (
    KINDS,
    ImportKind,
    get_kind,
    import_job,
    import_run,
    import_submit,
    register,
)
from performance.services.imports.columns import Column
from performance.services.imports.reading import Table
from performance.services.imports.result import ImportFileError, ImportIssue, ImportResult
from projects.models import AuditEntry
from projects.permissions import UNIT_EDITORS

from ...support.import_helpers import csv_bytes, db_counts, rows

pytestmark = pytest.mark.django_db


def test_every_kind_declares_columns_example_and_counts():
    assert "targets" in KINDS
    for name, kind in KINDS.items():
        assert kind.name == name and kind.title and kind.roles
        headers = [column.header for column in kind.columns]
        assert headers and len(set(headers)) == len(headers)
        count_keys = [key for key, _ in kind.counts]
        assert set(kind.change_counts) <= set(count_keys), name
        with kind.example_path.open(encoding="utf-8-sig", newline="") as handle:
            example_header = next(csv.reader(handle))
        required = [c.header for c in kind.columns if c.required]
        assert set(required) <= set(example_header), (name, example_header)


def test_example_file_of_each_kind_validates_cleanly(superuser):
    for name, kind in KINDS.items():
        before = db_counts()
        result = import_run(
            kind=name,
            actor=superuser,
            file=kind.example_path.read_bytes(),
            filename=kind.example,
            dry_run=True,
        )
        assert result.ok, (name, [str(issue) for issue in result.errors])
        assert result.kind == name
        assert db_counts() == before


def test_import_twice_changes_nothing_and_says_so(filler):
    data = csv_bytes(rows(3))
    first = import_run(kind="targets", actor=filler, file=data, filename="t.csv")
    assert first.ok and first.changed and first.as_dict()["changed"] is True
    assert "没有任何变化" not in first.summary()
    audit_rows = AuditEntry.objects.count()
    before = db_counts()

    second = import_run(kind="targets", actor=filler, file=data, filename="t.csv")

    assert second.ok and second.committed
    assert second.changed is False and second.as_dict()["changed"] is False
    assert "没有任何变化" in second.summary()
    assert second.counts["indicators_unchanged"] == 3
    assert AuditEntry.objects.count() == audit_rows
    assert db_counts() == before
    dry = import_run(kind="targets", actor=filler, file=data, filename="t.csv", dry_run=True)
    assert dry.changed is False and "不会带来任何变化" in dry.summary()


def test_unknown_kind_is_refused_naming_the_known_ones(filler):
    with pytest.raises(LookupError, match="targets"):
        get_kind("nonsense")
    with pytest.raises(CommandError):
        call_command("import_data", "nonsense", "x.csv")


def test_import_data_command_imports_a_kind_and_reports_errors(tmp_path, filler):
    good = tmp_path / "targets.csv"
    good.write_bytes(csv_bytes(rows(2)))
    out = io.StringIO()
    call_command("import_data", "targets", str(good), "--user", "filler027", stdout=out)
    assert "新增指标 2 条" in out.getvalue()
    out = io.StringIO()
    call_command("import_data", "targets", str(good), "--user", "filler027", stdout=out)
    assert "没有任何变化" in out.getvalue()

    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes(rows(2, 三级指标="")))
    before = db_counts()
    with pytest.raises(CommandError, match="第2行"):
        call_command("import_data", "targets", str(bad), "--user", "filler027")
    assert db_counts() == before


@override_settings(IMPORT_ASYNC_ROWS=3)
def test_large_file_becomes_job_with_progress_and_runs_once(
    filler, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = import_submit(kind="targets", actor=filler, file=csv_bytes(rows(5)), filename="t.csv")
    assert isinstance(job, Job)
    job.refresh_from_db()
    assert (job.kind, job.status, job.params["import_kind"]) == (
        JobKind.IMPORT_TARGETS,
        JobStatus.SUCCEEDED,
        "targets",
    )
    assert (job.processed, job.total) == (job.total, 5)
    assert job.result["counts"]["indicators_created"] == 5
    before = db_counts()
    assert import_job(job_id=job.pk) == job.result  # delivered twice: nothing runs again
    assert db_counts() == before


# --- the contract, with a kind declared here --------------------------------------------------


@dataclass
class _Row:
    row: int
    code: str


def _validate(table: Table, result: ImportResult, progress):
    if table.headers[:1] != ["编码"]:
        raise ImportFileError(ImportIssue("缺少必需的列：编码。", "missing_columns", 1))
    cleaned = []
    for number, values in table.rows:
        code = (values[0] or "").strip()
        if not code:
            result.error("编码不能为空。", "code_required", number, "编码")
        else:
            cleaned.append(_Row(number, code))
    return cleaned, None


WRITTEN: list[str] = []


def _plan(rows, context):
    for row in rows:
        if row.code == "refuse":
            context.result.error("该编码不能导入。", "refused", row.row, "编码")
    return [row.code for row in rows if row.code not in WRITTEN]


def _count(plan, result):
    result.counts["created"] = len(plan)


def _write(plan, context):
    WRITTEN.extend(plan)


AFTER: list[list[str]] = []

TOY = ImportKind(
    name="toy",
    title="测试数据",
    job_kind=JobKind.IMPORT_TARGETS,
    roles=frozenset(UNIT_EDITORS),
    columns=(Column("code", "编码"), Column("name", "名称", required=False)),
    example="targets.csv",
    counts=(("created", "新增"),),
    change_counts=("created",),
    validate=_validate,
    plan=_plan,
    count=_count,
    write=_write,
    after_commit=lambda plan, context: AFTER.append(list(plan)),
)


@pytest.fixture
def toy_kind():
    register(TOY)
    WRITTEN.clear()
    AFTER.clear()
    yield TOY
    KINDS.pop("toy")


def _toy_file(*codes: str) -> bytes:
    return ("编码,名称\n" + "".join(f"{code},名\n" for code in codes)).encode()


def test_a_declared_kind_runs_through_the_pipeline_all_or_nothing(
    toy_kind, filler, dept_reviewer, django_capture_on_commit_callbacks
):
    bad = import_run(kind="toy", actor=filler, file=_toy_file("a", "", "refuse"), filename="x.csv")
    # every problem at once: the bad cell and what the planner says about the valid rows
    assert [(i.code, i.row, i.column) for i in bad.errors] == [
        ("code_required", 3, "编码"),
        ("refused", 4, "编码"),
    ]
    assert WRITTEN == [] and not bad.committed
    refused = import_run(kind="toy", actor=filler, file=_toy_file("a", "refuse"), filename="x.csv")
    assert [(i.code, i.row) for i in refused.errors] == [("refused", 3)]
    assert WRITTEN == [] and not refused.committed

    dry = import_run(
        kind="toy", actor=filler, file=_toy_file("a", "b"), filename="x.csv", dry_run=True
    )
    assert (dry.counts, dry.changed, WRITTEN) == ({"created": 2}, True, [])
    with django_capture_on_commit_callbacks(execute=True):
        done = import_run(kind="toy", actor=filler, file=_toy_file("a", "b"), filename="x.csv")
    assert done.committed and WRITTEN == ["a", "b"] and AFTER == [["a", "b"]]
    assert done.summary() == "导入完成：新增 2。"
    again = import_run(kind="toy", actor=filler, file=_toy_file("a", "b"), filename="x.csv")
    assert again.changed is False and "没有任何变化" in again.summary()

    with pytest.raises(PermissionDenied, match="没有导入"):
        import_run(kind="toy", actor=dept_reviewer, file=_toy_file("c"), filename="x.csv")
    assert WRITTEN == ["a", "b"]
