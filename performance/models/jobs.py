"""Background jobs (imports, exports, recomputes): a row the admin and the API can show."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ..choices import JobKind, JobStatus


class Job(models.Model):
    kind = models.CharField("任务类型", max_length=20, choices=JobKind.choices)
    status = models.CharField(
        "状态", max_length=20, choices=JobStatus.choices, default=JobStatus.PENDING
    )
    params = models.JSONField("参数", default=dict, blank=True)
    total = models.PositiveIntegerField("总数", default=0)
    processed = models.PositiveIntegerField("已处理", default=0)
    errors = models.JSONField("错误", default=list, blank=True)
    result = models.JSONField("结果", default=dict, blank=True)
    input_file = models.FileField("上传文件", upload_to="jobs/in/%Y/%m/", blank=True)
    output_file = models.FileField("结果文件", upload_to="jobs/out/%Y/%m/", blank=True)
    unit = models.ForeignKey(
        "projects.Unit",
        verbose_name="单位",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="发起人",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    task_id = models.CharField("任务ID", max_length=100, blank=True)
    attempts = models.PositiveSmallIntegerField("执行次数", default=0)
    created_at = models.DateTimeField("创建时间", auto_now_add=True, db_index=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    files_expired_at = models.DateTimeField(
        "文件清理时间",
        null=True,
        blank=True,
        help_text="上传文件和结果文件超过保留期限（JOB_FILE_RETENTION_DAYS）后被夜间清理的时间。",
    )

    class Meta:
        verbose_name = "后台任务"
        verbose_name_plural = "后台任务"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(processed__lte=models.F("total")) | Q(total=0),
                name="job_progress_bounded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def progress(self) -> int:
        """Percent done, 0–100."""
        if self.status == JobStatus.SUCCEEDED:
            return 100
        if not self.total:
            return 0
        return min(100, int(self.processed * 100 / self.total))
