"""Evidence files (佐证材料) attached to a monitoring value, a report, an indicator's
self-evaluation, a self-evaluation as a whole, or a spot check (财政复核: the reviewer's 复核依据
and the unit's 异议材料).

One table with explicit nullable foreign keys (not a generic relation): scoping is one indexed
filter on the denormalised ``unit``, the governing document's state comes with the row through
``select_related``, and the database checks that each kind sets exactly its keys. A later
anchor (整改 rectifications, 财政复核) adds its foreign key, its kind and a widened
``attachment_anchor_matches_kind`` in its own migration.

The file lives in the storage alias ``attachments`` (``STORAGES``: a directory on a volume every
web and worker container mounts, or S3-compatible object storage), under a path that never uses
the uploaded name: ``attachments/<YYYY>/<MM>/<DD>/<uuid4 hex>``. Nothing serves that storage by
URL: files are read only through the scoped download views.
"""

from __future__ import annotations

import operator
import uuid
from functools import reduce

from django.conf import settings
from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.db import models
from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone
from django.utils.functional import LazyObject, empty

from ..choices import AttachmentKind
from ..filetypes import TYPES

STORAGE_ALIAS = "attachments"


class _AttachmentStorage(LazyObject):
    """``storages["attachments"]``, looked up when first used (and again after the setting
    changes, so tests can point it at a temporary directory or a mocked bucket)."""

    def _setup(self) -> None:
        self._wrapped = storages[STORAGE_ALIAS]


_storage = _AttachmentStorage()


@receiver(setting_changed)
def _storages_changed(*, setting: str, **kwargs) -> None:
    if setting == "STORAGES":
        _storage._wrapped = empty


def attachment_storage():
    """The storage of evidence files (a callable, so migrations do not freeze a backend)."""
    return _storage


def attachment_path(instance=None, filename: str = "") -> str:
    """Where a new file goes; the uploaded name is never part of it."""
    today = timezone.localdate()
    return f"attachments/{today:%Y/%m/%d}/{uuid.uuid4().hex}"


FILE_TYPE_CHOICES = [(code, kind.label) for code, kind in TYPES.items()]

# Which foreign keys each kind sets (the anchor and, below it, the governing document).
KIND_FIELDS = {
    AttachmentKind.ENTRY: ("entry", "report"),
    AttachmentKind.REPORT: ("report",),
    AttachmentKind.SCORE: ("score", "evaluation"),
    AttachmentKind.EVALUATION: ("evaluation",),
    AttachmentKind.SPOT_CHECK: ("spot_check",),
    AttachmentKind.OBJECTION: ("spot_check",),
    AttachmentKind.RECTIFICATION: ("rectification",),
}
ANCHOR_FIELDS = ("entry", "report", "score", "evaluation", "spot_check", "rectification")


def _kind_matches() -> Q:
    """Each kind sets exactly its foreign keys (the anchor and its document), no others."""
    return reduce(
        operator.or_,
        (
            Q(kind=kind, **{f"{name}__isnull": name not in fields for name in ANCHOR_FIELDS})
            for kind, fields in KIND_FIELDS.items()
        ),
    )


class Attachment(models.Model):
    """One uploaded file: immutable once stored (add and delete while editable, never replace)."""

    kind = models.CharField("附着对象", max_length=20, choices=AttachmentKind.choices)
    anchor = models.CharField("对象键", max_length=40, editable=False)  # "score:123"
    unit = models.ForeignKey(
        "projects.Unit", verbose_name="单位", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    report = models.ForeignKey(
        "performance.MonitoringReport",
        verbose_name="监控表",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attachments",
    )
    entry = models.ForeignKey(
        "performance.MonitoringEntry",
        verbose_name="监控指标",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attachments",
    )
    evaluation = models.ForeignKey(
        "performance.SelfEvaluation",
        verbose_name="绩效自评",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attachments",
    )
    score = models.ForeignKey(
        "performance.IndicatorEvaluation",
        verbose_name="指标自评",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attachments",
    )
    spot_check = models.ForeignKey(
        "performance.SpotCheck",
        verbose_name="财政复核",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attachments",
    )
    rectification = models.ForeignKey(
        "performance.Rectification",
        verbose_name="整改任务",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attachments",
    )
    file = models.FileField(
        "文件", storage=attachment_storage, upload_to=attachment_path, max_length=255
    )
    name = models.CharField("文件名", max_length=200)
    file_type = models.CharField("文件格式", max_length=10, choices=FILE_TYPE_CHOICES)
    content_type = models.CharField("MIME 类型", max_length=100)
    size = models.PositiveBigIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64)
    description = models.CharField("说明", max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "佐证材料"
        verbose_name_plural = "佐证材料"
        ordering = ["anchor", "uploaded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=_kind_matches(), name="attachment_anchor_matches_kind"
            ),
            models.CheckConstraint(condition=Q(size__gt=0), name="attachment_not_empty"),
            models.UniqueConstraint(fields=["anchor", "sha256"], name="attachment_once_per_object"),
        ]
        indexes = [models.Index(fields=["unit", "year"], name="attachment_unit_year")]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def anchor_key(kind: str, pk: int) -> str:
        return f"{kind}:{pk}"
