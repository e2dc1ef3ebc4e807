"""Import history: one row per run of any import kind (admin, API, command, background job)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ..choices import ImportRunStatus


class ImportRun(models.Model):
    """导入记录: who imported which file (name and sha256) as which kind, and what it came to.

    Written by ``services.imports.import_run`` for every path, outside the import's own
    transaction, so a run that wrote nothing (errors, dry run, nothing changed) is recorded too.
    ``kind`` is a registered import kind's name (the registry grows with the kinds, so no
    choices here). ``unit`` is the importer's unit, so a unit's staff see their unit's runs
    (the scope of jobs: own runs, and runs of visible units)."""

    kind = models.CharField("导入类型", max_length=20)
    filename = models.CharField("文件名", max_length=255)
    file_digest = models.CharField("文件摘要", max_length=64, blank=True)
    status = models.CharField("结果", max_length=20, choices=ImportRunStatus.choices)
    dry_run = models.BooleanField("只校验", default=False)
    changed = models.BooleanField("有变化", default=False)
    options = models.JSONField("选项", default=dict, blank=True)
    counts = models.JSONField("统计", default=dict, blank=True)
    error_count = models.PositiveIntegerField("错误数", default=0)
    warning_count = models.PositiveIntegerField("提示数", default=0)
    summary = models.TextField("结果说明", blank=True)
    job = models.ForeignKey(
        "performance.Job",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="后台任务",
    )
    unit = models.ForeignKey(
        "projects.Unit",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="单位",
        help_text="发起人据以导入的单位（其有导入权限的最上级单位）；该单位及上级可见的人员可查看。",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="发起人",
    )
    created_at = models.DateTimeField("开始时间", auto_now_add=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)

    class Meta:
        verbose_name = "导入记录"
        verbose_name_plural = "导入记录"
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["kind", "file_digest"], name="import_run_file"),
            models.Index(fields=["created_by", "-created_at"], name="import_run_mine"),
        ]

    def __str__(self) -> str:
        return f"{self.filename}（{self.get_status_display()}）"
