"""Evidence files (佐证材料): add, delete and open, all or nothing, audited.

A file attaches to an *anchor* — a monitoring value (``entry``), a report as a whole
(``report``), an indicator's self-evaluation (``score``) or a self-evaluation as a whole
(``evaluation``) — and its *governing document* (the report or the self-evaluation) decides
whether files may change: :func:`files_refusal` is the one rule (editable while the document is
a draft or returned, and for a report while its round is open; once submitted the files wait
for the review, once approved they are frozen for good). Files are immutable: there is no
replace, only add and delete while editable.

:func:`attachment_add` checks everything before it stores anything: the editor's role on the
unit, the document's state, the per-object and per-upload limits (settings), then for each file
its name as the client sent it, its type by content (``performance.filetypes``), its SHA-256
(read in 1 MiB chunks) and that the anchor does not hold the same content already. Any problem
is a field-level error (``files[i]``) and nothing is stored. The files are then streamed to the
``attachments`` storage (a temporary upload is moved, not copied into memory); if one fails the
ones already stored are deleted. One audit row on the document names the files.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import models, transaction
from django.utils.translation import gettext

from projects import audit
from projects.models import AuditAction, Unit
from projects.permissions import (
    SPOT_CHECK_OBJECTORS,
    SPOT_CHECKERS,
    has_role,
    may_edit_unit,
    may_spot_check,
    require_editor,
    require_role,
    roles_for,
)

from .. import filetypes
from ..choices import (
    EDITABLE_STATUSES,
    SPOT_CHECK_DECISIONS,
    AttachmentKind,
    RoundStatus,
    SpotCheckOutcome,
    Status,
)
from ..models import Attachment, MonitoringReport, Rectification, SelfEvaluation, SpotCheck
from ..models.attachments import attachment_path, attachment_storage
from ..selectors.attachments import SPOT_CHECK_KINDS, anchor_totals
from . import typed_values

CHUNK = 1 << 20
Document = MonitoringReport | SelfEvaluation | SpotCheck | Rectification


@dataclass(frozen=True)
class Anchor:
    """What a file attaches to (``obj``, of ``kind``) and the document governing it."""

    kind: str
    obj: models.Model

    @property
    def document(self) -> Document:
        if self.kind == AttachmentKind.ENTRY:
            return self.obj.report
        if self.kind == AttachmentKind.SCORE:
            return self.obj.evaluation
        return self.obj

    @property
    def key(self) -> str:
        return Attachment.anchor_key(self.kind, self.obj.pk)

    @property
    def unit(self) -> Unit:
        return self.document.unit

    @property
    def year(self) -> int:
        document = self.document
        return document.round.year if isinstance(document, MonitoringReport) else document.year

    def describe(self) -> str:
        """The anchor as people name it: 监控指标“…” / 指标自评“…” / the document itself."""
        if self.kind in (AttachmentKind.ENTRY, AttachmentKind.SCORE):
            return f"{AttachmentKind(self.kind).label}“{self.obj.indicator.level3}”"
        if self.kind in SPOT_CHECK_KINDS:
            return f"{AttachmentKind(self.kind).label}“{self.obj}”"
        return f"“{self.obj}”"

    def foreign_keys(self) -> dict[str, models.Model]:
        """The Attachment columns this anchor sets (the anchor and its governing document)."""
        if self.kind in SPOT_CHECK_KINDS:
            return {"spot_check": self.obj}
        keys = {self.kind: self.obj}
        if self.kind == AttachmentKind.ENTRY:
            keys["report"] = self.obj.report
        elif self.kind == AttachmentKind.SCORE:
            keys["evaluation"] = self.obj.evaluation
        return keys


def _spot_check_refusal(spot_check: SpotCheck, kind: str) -> str:
    """The rule for a spot check's files. 复核依据 change while the re-scoring is the reviewer's
    (复核中 or 已退回) and are frozen once it is submitted and published; 异议材料 change only
    while the objection waits for the decision (they come with the objection), and are frozen
    once the decision (or the confirmation without objection) is final."""
    if kind == AttachmentKind.OBJECTION:
        outcome = spot_check.outcome
        if outcome == SpotCheckOutcome.OBJECTED:
            return ""
        if outcome in SPOT_CHECK_DECISIONS or outcome == SpotCheckOutcome.CONFIRMED:
            return gettext(
                "“%(spot_check)s”已%(outcome)s，结论为最终结论，异议材料已封存，不能增加或删除。"
            ) % {"spot_check": spot_check, "outcome": SpotCheckOutcome(outcome).label}
        return gettext("“%(spot_check)s”尚未提出异议；异议材料请在提出异议时一并上传。") % {
            "spot_check": spot_check
        }
    status = spot_check.status
    label = Status(status).label
    if status in EDITABLE_STATUSES:
        return ""
    if status == Status.APPROVED:
        return gettext("“%(spot_check)s”已公开，复核依据已封存，不能增加、删除或替换。") % {
            "spot_check": spot_check
        }
    return gettext(
        "“%(spot_check)s”当前状态为“%(status)s”，审核期间复核依据不能增加或删除；"
        "如需补充，请由审核人退回后重新提交。"
    ) % {"spot_check": spot_check, "status": label}


def files_refusal(document: Document, kind: str = "") -> str:
    """Why the files of ``document`` cannot change now; ``""`` when they can.

    ``kind`` matters only for a spot check, which governs two kinds of files
    (:func:`_spot_check_refusal`).

    The one rule for evidence: files change only while the document is editable (草稿 or
    已退回, and a report's round is still open). Submitted, they wait for the review; approved
    (or superseded), they are frozen for good — more files only through a new submission,
    which needs a reviewer's return."""
    if isinstance(document, SpotCheck):
        return _spot_check_refusal(document, kind or AttachmentKind.SPOT_CHECK)
    status = document.status
    label = Status(status).label
    if status in EDITABLE_STATUSES:
        if isinstance(document, MonitoringReport) and document.round.status == RoundStatus.CLOSED:
            return gettext("“%(round)s”已结束，佐证材料已封存，不能增加或删除。") % {
                "round": document.round
            }
        return ""
    if status in (Status.APPROVED, Status.SUPERSEDED):
        return gettext(
            "“%(document)s”当前状态为“%(status)s”，佐证材料已封存，不能增加、删除或替换。"
        ) % {"document": document, "status": label}
    return gettext(
        "“%(document)s”当前状态为“%(status)s”，审核期间佐证材料不能增加或删除；"
        "如需补充，请由审核人退回后重新提交。"
    ) % {"document": document, "status": label}


def _may_handle(user, document: Document, kind: str) -> bool:
    """Whether ``user`` holds the role that adds and deletes files of ``kind`` on ``document``:
    a unit editor for the unit's own documents, a finance 财政审核人 for 复核依据, the unit's
    单位审核人 or 管理员 for 异议材料."""
    if kind == AttachmentKind.SPOT_CHECK:
        return may_spot_check(user) and has_role(user, document.unit, SPOT_CHECKERS)
    if kind == AttachmentKind.OBJECTION:
        return has_role(user, document.unit, SPOT_CHECK_OBJECTORS)
    return may_edit_unit(user, document.unit)


def may_change_files(document: Document, user, kind: str = "") -> bool:
    """Whether ``user`` may add or delete files of ``document`` now (what the admin shows)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if isinstance(document, SpotCheck):
        kind = kind or AttachmentKind.SPOT_CHECK
    if not _may_handle(user, document, kind):
        return False
    return not files_refusal(document, kind)


def limits() -> filetypes.Limits:
    """The zip limits of the settings."""
    return filetypes.Limits(
        max_members=settings.ATTACHMENT_ZIP_MAX_MEMBERS,
        max_total=settings.ATTACHMENT_ZIP_MAX_UNPACKED_BYTES,
        max_ratio=settings.ATTACHMENT_ZIP_MAX_RATIO,
        max_depth=settings.ATTACHMENT_ZIP_MAX_DEPTH,
    )


def _lock(document: Document) -> Document:
    """The governing document, locked: uploads to one document run one after the other."""
    model = type(document)
    related = ("round", "unit", "project") if model is MonitoringReport else ("unit", "project")
    return (
        model.objects.select_for_update(of=("self",)).select_related(*related).get(pk=document.pk)
    )


def _check_editable(document, actor, action: str, kind: str = "") -> None:
    if kind == AttachmentKind.SPOT_CHECK:
        if actor is not None and not may_spot_check(actor):
            raise PermissionDenied(
                gettext("只有财政审核人可以%(action)s（复核依据）。") % {"action": gettext(action)}
            )
        require_role(actor, document.unit, SPOT_CHECKERS, action)
    elif kind == AttachmentKind.OBJECTION:
        require_role(actor, document.unit, SPOT_CHECK_OBJECTORS, action)
    else:
        require_editor(actor, document.unit, action)
    refusal = files_refusal(document, kind)
    if refusal:
        raise typed_values.refuse({"status": refusal}, "frozen")


def _sha256(upload) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def _stream(upload):
    """The seekable binary file behind an upload (a temporary file or a buffer)."""
    inner = getattr(upload, "file", None)
    return inner if inner is not None and hasattr(inner, "seek") else upload


def _summary(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.pk,
        "name": attachment.name,
        "size": attachment.size,
        "file_type": attachment.file_type,
        "sha256": attachment.sha256,
        "anchor": attachment.anchor,
    }


@dataclass
class _Checked:
    upload: Any
    name: str
    detected: filetypes.Detected
    sha256: str


def _check_files(anchor: Anchor, files: Sequence, description: str) -> list[_Checked]:
    """Every refusal at once (``files``, ``files[i]``, ``description``); nothing stored yet."""
    errors: dict[str, str] = {}
    if not files:
        raise typed_values.refuse({"files": gettext("请选择要上传的文件。")}, "required")
    if len(description) > 200:
        errors["description"] = gettext("说明不能超过 200 个字符。")
    per_upload = settings.ATTACHMENT_MAX_FILES_PER_UPLOAD
    if len(files) > per_upload:
        errors["files"] = gettext("一次最多上传 %(limit)d 个文件（本次 %(count)d 个）。") % {
            "limit": per_upload,
            "count": len(files),
        }
    count, used = anchor_totals(anchor.key)
    per_object = settings.ATTACHMENT_MAX_FILES_PER_OBJECT
    if count + len(files) > per_object:
        errors["files"] = gettext(
            "每个对象最多 %(limit)d 个佐证材料（已有 %(existing)d 个，本次 %(count)d 个）。"
        ) % {"limit": per_object, "existing": count, "count": len(files)}
    incoming = sum(upload.size or 0 for upload in files)
    if used + incoming > settings.ATTACHMENT_MAX_OBJECT_BYTES:
        errors["files"] = gettext(
            "每个对象的佐证材料合计不能超过 %(limit)s（已有 %(existing)s，本次 %(size)s）。"
        ) % {
            "limit": filetypes.size_text(settings.ATTACHMENT_MAX_OBJECT_BYTES),
            "existing": filetypes.size_text(used),
            "size": filetypes.size_text(incoming),
        }
    existing = dict(Attachment.objects.filter(anchor=anchor.key).values_list("sha256", "name"))
    checked: list[_Checked] = []
    seen: dict[str, str] = {}
    for index, upload in enumerate(files):
        field = f"files[{index}]"
        name = getattr(upload, "raw_name", None) or upload.name or ""
        try:
            filetypes.check_name(name)
            if upload.size > settings.ATTACHMENT_MAX_BYTES:
                raise filetypes.Refused(
                    "too_large",
                    gettext("文件“%(name)s”为 %(size)s，超过单个文件上限 %(limit)s。")
                    % {
                        "name": name,
                        "size": filetypes.size_text(upload.size),
                        "limit": filetypes.size_text(settings.ATTACHMENT_MAX_BYTES),
                    },
                )
            detected = filetypes.detect(_stream(upload), name=name, limits=limits())
        except filetypes.Refused as refused:
            errors[field] = refused.message
            continue
        digest = _sha256(upload)
        other = existing.get(digest) or seen.get(digest)
        if other is not None:
            errors[field] = gettext(
                "文件“%(name)s”与已上传的“%(other)s”内容相同（SHA-256 一致）。"
            ) % {"name": name, "other": other}
            continue
        seen[digest] = name
        checked.append(_Checked(upload=upload, name=name, detected=detected, sha256=digest))
    if errors:
        raise typed_values.refuse(errors, "invalid_file")
    return checked


@transaction.atomic
def attachment_add(
    *, actor, anchor: Anchor, files: Sequence, description: str = ""
) -> list[Attachment]:
    """Attach ``files`` (uploaded files) to ``anchor``: all of them, or none with the reasons.

    ``actor`` must be an editor of the anchor's unit (``None``: the system, e.g. the demo
    loader); the governing document must let files change (:func:`files_refusal`)."""
    document = _lock(anchor.document)
    _check_editable(document, actor, "上传佐证材料", anchor.kind)
    return attach_locked(
        actor=actor, anchor=anchor, document=document, files=files, description=description
    )


def attach_locked(*, actor, anchor: Anchor, document: Document, files: Sequence, description: str):
    """Check and store ``files`` on ``anchor`` of ``document``, which the caller has locked and
    checked (``attachment_add``; ``spot_check_object`` with the objection's files); audited."""
    description = (description or "").strip()
    checked = _check_files(anchor, files, description)
    storage = attachment_storage()
    stored: list[str] = []
    rows = []
    try:
        for item in checked:
            size = item.upload.size
            item.upload.seek(0)
            path = storage.save(attachment_path(), item.upload)
            stored.append(path)
            if storage.size(path) != size:
                raise OSError(f"stored {path} is not {size} bytes")
            row = Attachment(
                kind=anchor.kind,
                anchor=anchor.key,
                unit=document.unit,
                year=anchor.year,
                file=path,
                name=item.name,
                file_type=item.detected.file_type,
                content_type=item.detected.mime,
                size=size,
                sha256=item.sha256,
                description=description,
                uploaded_by=actor if getattr(actor, "pk", None) else None,
                **anchor.foreign_keys(),
            )
            row.full_clean(validate_unique=False, validate_constraints=False)
            rows.append(row)
        created = Attachment.objects.bulk_create(rows)
        if any(row.pk is None for row in created):  # backends that return no ids
            keys = [row.sha256 for row in rows]
            created = list(Attachment.objects.filter(anchor=anchor.key, sha256__in=keys))
        audit.record(
            obj=document,
            actor=actor,
            action=AuditAction.UPDATE,
            comment=f"上传佐证材料（{anchor.describe()}）："
            + "、".join(row.name for row in created),
            changes={"attachments": [None, [_summary(row) for row in created]]},
        )
    except BaseException:
        for path in stored:
            storage.delete(path)
        raise
    return created


@transaction.atomic
def attachment_delete(*, actor, attachment: Attachment) -> None:
    """Delete a file while its document is editable; the stored file goes after commit."""
    document = _lock(governing_document(attachment))
    _check_editable(document, actor, "删除佐证材料", attachment.kind)
    summary = _summary(attachment)
    path = attachment.file.name
    Attachment.objects.filter(pk=attachment.pk).delete()
    audit.record(
        obj=document,
        actor=actor,
        action=AuditAction.UPDATE,
        comment=f"删除佐证材料：{attachment.name}",
        changes={"attachments": [[summary], None]},
    )
    storage = attachment_storage()
    transaction.on_commit(lambda: storage.delete(path))


def governing_document(attachment: Attachment) -> Document:
    """The document whose state decides whether ``attachment`` may change: its report, its
    self-evaluation, its spot check or its rectification."""
    if attachment.spot_check_id:
        return attachment.spot_check
    if attachment.rectification_id:
        return attachment.rectification
    return attachment.report if attachment.report_id else attachment.evaluation


def attachment_open(*, actor, attachment: Attachment) -> File:
    """The stored file, opened for reading; the download is audited on the attachment.

    The edges look the attachment up in the user's scope (another unit's is a 404); this
    refuses anyone outside it all the same. A file missing from storage raises
    ``FileNotFoundError``."""
    if actor is not None and not (
        actor.is_superuser or roles_for(actor, Unit.objects.get(pk=attachment.unit_id))
    ):
        raise PermissionDenied(gettext("您无权查看该佐证材料。"))
    if (
        actor is not None
        and attachment.spot_check_id
        and not (actor.is_superuser or may_spot_check(actor))
        and attachment.spot_check.status != Status.APPROVED
    ):  # a spot check is the finance bureau's until published
        raise PermissionDenied(gettext("您无权查看该佐证材料。"))
    stored = attachment_storage().open(attachment.file.name, "rb")
    audit.record(
        obj=attachment,
        actor=actor,
        action=AuditAction.DOWNLOAD,
        comment=f"下载佐证材料：{attachment.name}",
        changes={"sha256": attachment.sha256},
    )
    return stored
