"""Reporting windows and notifications. A notification's occasion key makes each reminder
reach each recipient exactly once, however often the scheduler runs or a task is redelivered."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ..choices import NotificationKind, WindowKind


class ReportingWindow(models.Model):
    kind = models.CharField("填报类型", max_length=20, choices=WindowKind.choices)
    year = models.PositiveSmallIntegerField("年度")
    title = models.CharField("名称", max_length=100)
    opens_on = models.DateField("开始日期")
    closes_on = models.DateField("截止日期")
    lead_days = models.PositiveSmallIntegerField("提前提醒天数", default=3)
    monitoring_round = models.ForeignKey(
        "performance.MonitoringRound",
        verbose_name="监控轮次",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="windows",
    )
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "填报时间窗口"
        verbose_name_plural = "填报时间窗口"
        ordering = ["-year", "opens_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_on__gte=models.F("opens_on")), name="window_closes_after_open"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="接收人",
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    unit = models.ForeignKey(
        "projects.Unit",
        verbose_name="单位",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField("类型", max_length=30, choices=NotificationKind.choices)
    occasion_key = models.CharField("事由键", max_length=200)
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    link = models.CharField("链接", max_length=300, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    read_at = models.DateTimeField("阅读时间", null=True, blank=True)
    emailed_at = models.DateTimeField("邮件发送时间", null=True, blank=True)
    # Set by the worker about to send the mail; a claim older than MAIL_CLAIM_TIMEOUT belongs
    # to a worker that died before sending and may be taken over (services.notifications).
    email_claimed_at = models.DateTimeField(
        "邮件发送认领时间", null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = "通知"
        verbose_name_plural = "通知"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "occasion_key"], name="notification_once_per_occasion"
            ),
        ]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
