"""Background jobs (imports, exports, recomputes): a row the admin and the API can show."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from ..choices import JOB_ACTIVE, JobKind, JobStatus


def stall_seconds() -> int:
    """``JOB_STALL_SECONDS``: how long a queued or running job may show no progress."""
    return max(1, int(getattr(settings, "JOB_STALL_SECONDS", 15 * 60)))


def stall_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    """Progress older than this means stalled."""
    return (now or timezone.now()) - dt.timedelta(seconds=stall_seconds())


def stalled_q(now: dt.datetime | None = None) -> Q:
    """Stalled jobs: marked by the sweep, or queued/running with no progress since the cutoff.

    The sweep marks exactly the second kind, so reading before or after it gives the same jobs.
    """
    return Q(status=JobStatus.STALLED) | Q(status__in=JOB_ACTIVE, progress_at__lt=stall_cutoff(now))


def status_q(status: str, now: dt.datetime | None = None) -> Q:
    """Jobs whose status as shown (:attr:`Job.effective_status`) is ``status``."""
    if status == JobStatus.STALLED:
        return stalled_q(now)
    if status in JOB_ACTIVE:
        return Q(status=status, progress_at__gte=stall_cutoff(now))
    return Q(status=status)


class JobQuerySet(models.QuerySet):
    def stalled(self, now: dt.datetime | None = None) -> JobQuerySet:
        return self.filter(stalled_q(now))

    def live(self, now: dt.datetime | None = None) -> JobQuerySet:
        """Queued or running, with recent progress: worth waiting for."""
        return self.filter(status__in=JOB_ACTIVE, progress_at__gte=stall_cutoff(now))

    def with_status(self, statuses, now: dt.datetime | None = None) -> JobQuerySet:
        """Jobs shown with any of ``statuses`` (stalled ones included before the sweep)."""
        now = now or timezone.now()
        condition = Q(pk__in=[])
        for status in statuses:
            condition |= status_q(status, now)
        return self.filter(condition)


def stall_period_text() -> str:
    seconds = stall_seconds()
    if seconds % 60:
        return gettext("%(seconds)d 秒") % {"seconds": seconds}
    return gettext("%(minutes)d 分钟") % {"minutes": seconds // 60}


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
    progress_at = models.DateTimeField(
        "最近进展时间",
        default=timezone.now,
        help_text="排队、任务开始、每完成一批单位或报告进度时更新；超过 JOB_STALL_SECONDS "
        "没有更新的排队中或运行中任务视为已停滞。",
    )
    files_expired_at = models.DateTimeField(
        "文件清理时间",
        null=True,
        blank=True,
        help_text="上传文件和结果文件超过保留期限（JOB_FILE_RETENTION_DAYS）后被夜间清理的时间。",
    )

    objects = JobQuerySet.as_manager()

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

    def is_stalled(self, now: dt.datetime | None = None) -> bool:
        """Marked stalled, or queued/running without progress for ``JOB_STALL_SECONDS``."""
        if self.status == JobStatus.STALLED:
            return True
        return self.status in JOB_ACTIVE and self.progress_at < stall_cutoff(now)

    @property
    def effective_status(self) -> str:
        """The status to show: a job the sweep has not marked yet already reads as stalled."""
        return JobStatus.STALLED if self.is_stalled() else self.status

    def get_effective_status_display(self) -> str:
        return JobStatus(self.effective_status).label

    @property
    def status_explanation(self) -> str:
        """Why a stalled or superseded job is not moving, in the user's language ('' otherwise)."""
        status = self.effective_status
        if status == JobStatus.STALLED:
            return gettext("超过 %(period)s没有进展，可能是后台进程已停止；可重新排队。") % {
                "period": stall_period_text()
            }
        if status == JobStatus.SUPERSEDED:
            return gettext(
                "长时间没有进展，已由新的重新计算任务 #%(job)s 取代；本任务不再继续。"
            ) % {"job": (self.result or {}).get("superseded_by", "?")}
        return ""
