"""绩效公开 through the service: published data only, audited, clear refusals, and the
department's package as a background job with progress."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from performance.choices import GoalScope, JobKind, JobStatus, Status
from performance.models import Indicator, Job, PerformanceGoal, SelfEvaluation
from performance.services import publication, workflow
from performance.services.exports import export_table
from projects.models import AuditAction, AuditEntry, Unit

pytestmark = pytest.mark.django_db
YEAR = 2023


def sheets(content: bytes) -> dict[str, list[tuple]]:
    book = load_workbook(io.BytesIO(content), read_only=True)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}


def cells(rows: list[tuple]) -> set:
    return {value for row in rows for value in row if value not in (None, "")}


@pytest.fixture
def dept305(demo):
    return get_user_model().objects.get(username="dept305")


def test_publication_has_one_sheet_per_table_and_is_audited(dept305):
    result = publication.publication_download(actor=dept305, unit="305004", year=YEAR)
    book = sheets(result.content)
    assert list(book) == result.sheets and len(book) == 3
    assert (
        result.filename == "305004_" + Unit.objects.get(code="305004").name + "_2023年绩效公开.xlsx"
    )
    evaluation_sheet = book[result.sheets[-1]]
    approved = SelfEvaluation.objects.filter(
        unit__code="305004", year=YEAR, scope=GoalScope.PROJECT, status=Status.APPROVED
    )
    names = set(approved.values_list("project__name", flat=True))
    assert names and names <= cells(evaluation_sheet)
    entry = AuditEntry.objects.get(action=AuditAction.DOWNLOAD, actor=dept305)
    assert entry.unit.code == "305004" and result.filename in entry.comment


def test_publication_contains_only_approved_targets_and_evaluations(dept305):
    before = sheets(publication.publication_download(actor=None, unit="305004", year=YEAR).content)
    # an adjustment under review: the open version differs, the published file does not
    goal = PerformanceGoal.objects.filter(
        unit__code="305004", year=YEAR, scope=GoalScope.PROJECT, status=Status.APPROVED
    ).first()
    draft = workflow.goal_adjust(goal=goal, actor=None, reason="年中调整")
    Indicator.objects.filter(goal=draft).update(level3="调整中的新指标")
    # and an evaluation no longer approved (returned for correction)
    evaluation = SelfEvaluation.objects.filter(
        unit__code="305004", year=YEAR, scope=GoalScope.PROJECT, status=Status.APPROVED
    ).first()
    SelfEvaluation.objects.filter(pk=evaluation.pk).update(status=Status.RETURNED)
    after = sheets(publication.publication_download(actor=None, unit="305004", year=YEAR).content)
    targets = next(iter(after))
    assert after[targets] == before[targets]
    assert "调整中的新指标" not in cells(after[targets])
    current = export_table(actor=None, kind="project_targets", unit="305004", year=YEAR)
    assert "调整中的新指标" in cells(sheets(current.content)[targets])  # the working view shows it
    evaluations = list(after)[-1]
    assert evaluation.project.name in cells(before[evaluations])
    assert evaluation.project.name not in cells(after[evaluations])


def test_publication_refusals_are_clear(dept305, filler):
    with pytest.raises(ValidationError) as nothing:
        publication.publication_download(actor=dept305, unit="305004", year=2030)
    assert "还没有已批复" in nothing.value.message_dict["year"][0]
    with pytest.raises(ValidationError) as out_of_range:
        publication.publication_download(actor=dept305, unit="305004", year=1850)
    assert "超出范围" in out_of_range.value.message_dict["year"][0]
    with pytest.raises(Unit.DoesNotExist):  # another department's unit: as if it did not exist
        publication.publication_download(actor=filler, unit="305004", year=YEAR)
    assert not AuditEntry.objects.filter(action=AuditAction.DOWNLOAD).exists()


def test_department_publication_job_reports_progress_and_zips_one_file_per_unit(
    dept305, django_capture_on_commit_callbacks, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        job = publication.publication_request(actor=dept305, unit="305", year=YEAR)
    job.refresh_from_db()  # eager in the tests: the task ran on commit
    assert job.kind == JobKind.PUBLICATION and job.status == JobStatus.SUCCEEDED
    units = publication.department_units(Unit.objects.get(code="305"), dept305)
    assert job.total == len(units) and job.processed == job.total and job.progress == 100
    with job.output_file.open("rb") as stored, zipfile.ZipFile(stored) as package:
        names = package.namelist()
        assert any(name.startswith("305004_") for name in names)
        assert len(names) == len(job.result["included"])
        inner = sheets(package.read(next(n for n in names if n.startswith("305004_"))))
    assert len(inner) == 3
    assert set(job.result["included"]) | set(job.result["skipped"]) == {u.code for u in units}


def test_department_package_of_a_unit_or_foreign_department_is_refused(dept305, filler):
    with pytest.raises(ValidationError) as unit_level:
        publication.publication_request(actor=dept305, unit="305004", year=YEAR)
    assert "预算单位" in unit_level.value.message_dict["unit"][0]
    with pytest.raises(Unit.DoesNotExist):
        publication.publication_request(actor=filler, unit="305", year=YEAR)
    assert not Job.objects.filter(kind=JobKind.PUBLICATION).exists()
