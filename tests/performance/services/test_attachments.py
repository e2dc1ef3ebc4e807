"""Evidence files (佐证材料) through the services: what is stored, what is refused, who may,
when files freeze, the audit trail, streaming, and that housekeeping leaves them alone."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tracemalloc

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.utils import timezone

from performance.choices import AttachmentKind, Status
from performance.models import Attachment, IndicatorEvaluation, MonitoringReport, SelfEvaluation
from performance.services import attachments as attachment_services
from performance.services import evaluation as evaluation_services
from performance.services import workflow
from performance.services.housekeeping import discard_stale_previews, expire_job_files
from performance.services.monitoring import monitoring_round_open
from projects.models import AuditAction, AuditEntry, Project
from tests.support import evidence_files as ef

pytestmark = pytest.mark.django_db

PROJECT_CODE = "410395220000000007669"  # 027001, 2022


@pytest.fixture
def evaluation(demo) -> SelfEvaluation:
    project = Project.objects.get(code=PROJECT_CODE)
    return evaluation_services.evaluation_start(actor=None, year=2022, project=project)


@pytest.fixture
def report(finance_reviewer) -> MonitoringReport:
    monitoring_round_open(
        actor=finance_reviewer,
        year=2022,
        data_month=7,
        opens_on=dt.date(2022, 8, 1),
        deadline=dt.date(2022, 8, 20),
    )
    return MonitoringReport.objects.get(project__code=PROJECT_CODE)


def anchor(kind: str, obj) -> attachment_services.Anchor:
    return attachment_services.Anchor(kind=kind, obj=obj)


def score_of(evaluation: SelfEvaluation) -> IndicatorEvaluation:
    return evaluation.scores.select_related("indicator").order_by("pk").first()


def add(actor, target, *files, description: str = ""):
    return attachment_services.attachment_add(
        actor=actor, anchor=target, files=list(files), description=description
    )


def refusal(error: ValidationError) -> dict[str, list[str]]:
    return error.value.message_dict


def test_unit_attaches_files_to_entry_report_score_and_evaluation(
    filler, evaluation, report, evidence_storage
):
    entry = report.entries.select_related("indicator").first()
    targets = [
        anchor(AttachmentKind.ENTRY, entry),
        anchor(AttachmentKind.REPORT, report),
        anchor(AttachmentKind.SCORE, score_of(evaluation)),
        anchor(AttachmentKind.EVALUATION, evaluation),
    ]
    for index, target in enumerate(targets):
        [row] = add(filler, target, ef.upload(f"材料{index}.pdf", ef.pdf_bytes(str(index))))
        assert row.kind == target.kind and row.anchor == target.key
        assert row.unit.code == "027001" and row.year == 2022
        assert row.uploaded_by == filler and row.file_type == "pdf"
        assert (evidence_storage / row.file.name).read_bytes() == ef.pdf_bytes(str(index))
    assert Attachment.objects.get(kind="entry").report_id == report.pk
    assert Attachment.objects.get(kind="score").evaluation_id == evaluation.pk
    assert Attachment.objects.filter(report=report).count() == 2
    assert Attachment.objects.filter(evaluation=evaluation).count() == 2


def test_every_accepted_type_is_stored_with_its_type_by_content(
    filler, evaluation, evidence_storage
):
    files = [ef.upload(name, make()) for name, make in ef.ACCEPTED.values()]
    target = anchor(AttachmentKind.EVALUATION, evaluation)
    rows = []
    for start in range(0, len(files), 5):
        rows += add(filler, target, *files[start : start + 5])
    assert sorted(row.file_type for row in rows) == sorted(ef.ACCEPTED)
    assert {row.content_type for row in rows if row.file_type == "xlsx"} == {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    }


def test_stored_path_never_uses_the_uploaded_name(filler, evaluation, evidence_storage):
    [row] = add(filler, anchor("evaluation", evaluation), ef.upload("绩效报告.pdf", ef.pdf_bytes()))
    assert row.name == "绩效报告.pdf"
    assert row.file.name.startswith(f"attachments/{timezone.localdate():%Y/%m/%d}/")
    assert "绩效" not in row.file.name and not row.file.name.endswith(".pdf")


BAD_FILES = {
    "an executable renamed .pdf": ("发票.pdf", ef.EXE, "可执行程序"),
    "a Linux program": ("报告.pdf", ef.ELF, "可执行程序"),
    "a script": ("说明.pdf", ef.SHELL, "可执行程序"),
    "HTML": ("页面.pdf", ef.HTML, "网页"),
    "SVG": ("图.png", ef.SVG, "网页"),
    "a zip bomb inside a zip": ("材料.zip", ef.bomb_in_zip(20), "疑似压缩炸弹"),
    "an empty file": ("空.pdf", b"", "空文件（0 字节）"),
    "a PNG named .pdf": ("照片.pdf", ef.png_bytes(), "与扩展名“.pdf”不符"),
    "a macro document": ("宏.doc", ef.doc_with_macros(), "含有宏"),
    "an installer renamed .doc": ("安装.doc", ef.installer_bytes(), "无法识别"),
    "an encrypted zip": ("加密.zip", ef.encrypted_member_zip(), "设有密码"),
    "a RAR archive": ("材料.zip", ef.RAR, "请改用 ZIP"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_file_is_refused_in_chinese_and_nothing_stored(
    case, filler, evaluation, evidence_storage
):
    name, data, words = BAD_FILES[case]
    audit_rows = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as error:
        add(filler, anchor("evaluation", evaluation), ef.upload(name, data))
    [message] = refusal(error)["files[0]"]
    assert words in message and name in message
    assert not Attachment.objects.exists()
    assert ef.stored_files(evidence_storage) == []
    assert AuditEntry.objects.count() == audit_rows


BAD_NAMES = {
    "a path": ("../../etc/报告.pdf", "路径分隔符"),
    "a Windows path": ("C:\\材料\\报告.pdf", "路径分隔符"),
    "a bidi override": ("报告\u202efdp.exe", "控制字符"),
    "a newline": ("报告\n.pdf", "控制字符"),
    "a NUL": ("报告\x00.pdf", "控制字符"),
}


@pytest.mark.parametrize("case", list(BAD_NAMES))
def test_name_with_separator_or_control_character_is_refused(
    case, filler, evaluation, evidence_storage
):
    name, words = BAD_NAMES[case]
    upload = ef.upload("报告.pdf", ef.pdf_bytes())
    upload.raw_name = name  # as the upload handler keeps it (Django's name is sanitised)
    with pytest.raises(ValidationError) as error:
        add(filler, anchor("evaluation", evaluation), upload)
    assert words in refusal(error)["files[0]"][0]
    assert not Attachment.objects.exists() and ef.stored_files(evidence_storage) == []


def test_upload_is_all_or_nothing_across_files(filler, evaluation, evidence_storage):
    files = [
        ef.upload("一.pdf", ef.pdf_bytes("1")),
        ef.upload("二.pdf", ef.EXE),
        ef.upload("三.png", ef.png_bytes()),
    ]
    with pytest.raises(ValidationError) as error:
        add(filler, anchor("evaluation", evaluation), *files)
    assert list(refusal(error)) == ["files[1]"]
    assert not Attachment.objects.exists()
    assert ef.stored_files(evidence_storage) == []


def test_storage_failure_leaves_no_file_and_no_row(
    filler, evaluation, evidence_storage, monkeypatch
):
    from django.core.files.storage import FileSystemStorage

    real_save = FileSystemStorage._save
    calls = []

    def failing_save(self, name, content):
        calls.append(name)
        if len(calls) == 2:
            raise OSError("disk full")
        return real_save(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", failing_save)
    with pytest.raises(OSError):
        add(
            filler,
            anchor("evaluation", evaluation),
            ef.upload("一.pdf", ef.pdf_bytes("1")),
            ef.upload("二.pdf", ef.pdf_bytes("2")),
        )
    assert len(calls) == 2
    assert not Attachment.objects.exists()
    assert ef.stored_files(evidence_storage) == []


def test_count_and_size_limits_per_object_come_from_settings(
    filler, evaluation, evidence_storage, settings
):
    target = anchor("evaluation", evaluation)
    settings.ATTACHMENT_MAX_FILES_PER_OBJECT = 2
    add(filler, target, ef.upload("一.pdf", ef.pdf_bytes("1")))
    with pytest.raises(ValidationError) as error:
        add(
            filler,
            target,
            ef.upload("二.pdf", ef.pdf_bytes("2")),
            ef.upload("三.pdf", ef.pdf_bytes("3")),
        )
    assert "每个对象最多 2 个佐证材料（已有 1 个，本次 2 个）" in refusal(error)["files"][0]

    settings.ATTACHMENT_MAX_FILES_PER_OBJECT = 20
    settings.ATTACHMENT_MAX_FILES_PER_UPLOAD = 1
    with pytest.raises(ValidationError) as error:
        add(
            filler,
            target,
            ef.upload("二.pdf", ef.pdf_bytes("2")),
            ef.upload("三.pdf", ef.pdf_bytes("3")),
        )
    assert "一次最多上传 1 个文件" in refusal(error)["files"][0]

    settings.ATTACHMENT_MAX_FILES_PER_UPLOAD = 10
    settings.ATTACHMENT_MAX_BYTES = 100
    with pytest.raises(ValidationError) as error:
        add(filler, target, ef.upload("大.png", ef.png_bytes(40, 40)))
    assert "超过单个文件上限 100 字节" in refusal(error)["files[0]"][0]

    settings.ATTACHMENT_MAX_BYTES = 50 * 1024 * 1024
    settings.ATTACHMENT_MAX_OBJECT_BYTES = Attachment.objects.get().size + 10
    with pytest.raises(ValidationError) as error:
        add(filler, target, ef.upload("二.pdf", ef.pdf_bytes("2")))
    assert "合计不能超过" in refusal(error)["files"][0]
    assert Attachment.objects.count() == 1


def test_sha256_is_stored_and_duplicate_in_same_object_refused(
    filler, evaluation, evidence_storage
):
    data = ef.pdf_bytes("同一份")
    target = anchor("evaluation", evaluation)
    [row] = add(filler, target, ef.upload("原件.pdf", data))
    assert row.sha256 == hashlib.sha256(data).hexdigest()
    with pytest.raises(ValidationError) as error:
        add(filler, target, ef.upload("复制件.pdf", data))
    assert "与已上传的“原件.pdf”内容相同（SHA-256 一致）" in refusal(error)["files[0]"][0]
    with pytest.raises(ValidationError) as error:
        add(
            filler,
            target,
            ef.upload("甲.pdf", ef.pdf_bytes("x")),
            ef.upload("乙.pdf", ef.pdf_bytes("x")),
        )
    assert "与已上传的“甲.pdf”内容相同" in refusal(error)["files[1]"][0]
    # The same content on another object is another piece of evidence.
    [other] = add(filler, anchor("score", score_of(evaluation)), ef.upload("原件.pdf", data))
    assert other.sha256 == row.sha256


def test_large_upload_is_streamed_not_held_in_memory(filler, evaluation, evidence_storage):
    size = 40 * 1024 * 1024
    upload = TemporaryUploadedFile("大扫描件.pdf", "application/pdf", size, None)
    upload.write(ef.pdf_bytes())
    block = b"0" * (1 << 20)
    while upload.tell() < size:
        upload.write(block[: size - upload.tell()])
    upload.seek(0)
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        [row] = add(filler, anchor("evaluation", evaluation), upload)
        peak = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()
        upload.close()  # as Django closes it after the request (the file was moved)
    assert row.size == size
    assert os.path.getsize(evidence_storage / row.file.name) == size
    assert peak < 8 * 1024 * 1024, f"peak {peak} bytes"


def test_editor_role_is_needed(dept_reviewer, outsider, evaluation, evidence_storage):
    target = anchor("evaluation", evaluation)
    for user in (dept_reviewer, outsider):
        with pytest.raises(PermissionDenied):
            add(user, target, ef.upload("a.pdf", ef.pdf_bytes()))
    assert not Attachment.objects.exists() and ef.stored_files(evidence_storage) == []


def test_files_frozen_once_evaluation_approved(
    filler, dept_reviewer, finance_reviewer, evaluation, evidence_storage
):
    target = anchor("evaluation", evaluation)
    [row] = add(filler, target, ef.upload("a.pdf", ef.pdf_bytes()))
    stored = (evidence_storage / row.file.name).read_bytes()
    workflow.submit(obj=evaluation, actor=filler)
    with pytest.raises(ValidationError) as error:
        add(filler, target, ef.upload("b.pdf", ef.pdf_bytes("b")))
    assert "审核期间佐证材料不能增加或删除" in refusal(error)["status"][0]
    workflow.approve(obj=evaluation, actor=dept_reviewer)
    workflow.approve(obj=evaluation, actor=finance_reviewer)
    for attempt in (
        lambda: add(filler, target, ef.upload("b.pdf", ef.pdf_bytes("b"))),
        lambda: attachment_services.attachment_delete(actor=filler, attachment=row),
    ):
        with pytest.raises(ValidationError) as error:
            attempt()
        assert error.value.code == "frozen"
        assert "佐证材料已封存，不能增加、删除或替换" in refusal(error)["status"][0]
    fresh = Attachment.objects.get(pk=row.pk)
    assert fresh.sha256 == row.sha256
    assert (evidence_storage / fresh.file.name).read_bytes() == stored
    assert Attachment.objects.count() == 1


def test_return_reopens_files_for_a_new_submission(
    filler, dept_reviewer, evaluation, evidence_storage
):
    target = anchor("evaluation", evaluation)
    workflow.submit(obj=evaluation, actor=filler)
    workflow.return_(obj=evaluation, actor=dept_reviewer, comment="请补充佐证材料")
    [row] = add(filler, target, ef.upload("补充.pdf", ef.pdf_bytes()))
    assert row.pk and SelfEvaluation.objects.get(pk=evaluation.pk).status == Status.RETURNED


def test_closed_round_freezes_report_files(filler, report, evidence_storage):
    report.round.status = "closed"
    report.round.save(update_fields=["status"])
    with pytest.raises(ValidationError) as error:
        add(
            filler,
            anchor("report", MonitoringReport.objects.get(pk=report.pk)),
            ef.upload("a.pdf", ef.pdf_bytes()),
        )
    assert "已结束，佐证材料已封存" in refusal(error)["status"][0]


def test_delete_while_editable_removes_row_and_file_after_commit(
    filler, evaluation, evidence_storage, django_capture_on_commit_callbacks
):
    [row] = add(filler, anchor("evaluation", evaluation), ef.upload("a.pdf", ef.pdf_bytes()))
    with django_capture_on_commit_callbacks(execute=True):
        attachment_services.attachment_delete(actor=filler, attachment=row)
    assert not Attachment.objects.exists()
    assert ef.stored_files(evidence_storage) == []


def test_add_delete_and_download_are_audited(filler, evaluation, evidence_storage):
    data = ef.pdf_bytes()
    [row] = add(
        filler, anchor("evaluation", evaluation), ef.upload("审计.pdf", data), description="说明"
    )
    [added] = AuditEntry.objects.filter(
        object_id=str(evaluation.pk), comment__contains="上传佐证材料"
    )
    assert added.actor == filler and added.action == AuditAction.UPDATE
    assert "审计.pdf" in added.comment
    [summary] = added.changes["attachments"][1]
    assert summary["sha256"] == hashlib.sha256(data).hexdigest() and summary["size"] == len(data)
    with attachment_services.attachment_open(actor=filler, attachment=row) as stored:
        assert stored.read() == data
    [download] = AuditEntry.objects.filter(action=AuditAction.DOWNLOAD)
    assert download.object_id == str(row.pk) and download.actor == filler
    assert download.unit.code == "027001"
    attachment_services.attachment_delete(actor=filler, attachment=row)
    [deleted] = AuditEntry.objects.filter(
        object_id=str(evaluation.pk), comment__contains="删除佐证材料"
    )
    assert deleted.changes["attachments"][0][0]["name"] == "审计.pdf"


def test_outsider_cannot_open_another_units_file(filler, outsider, evaluation, evidence_storage):
    [row] = add(filler, anchor("evaluation", evaluation), ef.upload("a.pdf", ef.pdf_bytes()))
    with pytest.raises(PermissionDenied):
        attachment_services.attachment_open(actor=outsider, attachment=row)
    assert not AuditEntry.objects.filter(action=AuditAction.DOWNLOAD).exists()


def test_job_housekeeping_never_removes_attachments(filler, evaluation, evidence_storage, settings):
    [row] = add(filler, anchor("evaluation", evaluation), ef.upload("a.pdf", ef.pdf_bytes()))
    Attachment.objects.filter(pk=row.pk).update(uploaded_at=timezone.now() - dt.timedelta(days=400))
    old = (timezone.now() - dt.timedelta(days=400)).timestamp()
    os.utime(evidence_storage / row.file.name, (old, old))
    later = timezone.now() + dt.timedelta(days=365)
    expire_job_files(now=later)
    discard_stale_previews(now=later)
    assert Attachment.objects.filter(pk=row.pk).exists()
    assert (evidence_storage / row.file.name).exists()


def test_parent_with_evidence_cannot_be_deleted(filler, evaluation, evidence_storage):
    from django.db.models import ProtectedError

    add(filler, anchor("score", score_of(evaluation)), ef.upload("a.pdf", ef.pdf_bytes()))
    with pytest.raises(ProtectedError):
        SelfEvaluation.objects.filter(pk=evaluation.pk).delete()
    assert SelfEvaluation.objects.filter(pk=evaluation.pk).exists()
