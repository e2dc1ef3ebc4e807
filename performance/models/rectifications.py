"""整改 (rectification): a task a unit must answer — the problem, the unit's measures and
results with evidence — accepted (销号) or returned by its reviewer.

Raised automatically, exactly once per cause and source (a red light in a closed monitoring
round, a 完全不可能 forecast, a 差 grade, a declared deviation, a 复核 difference beyond the
threshold: one partial unique constraint each), or by hand by a reviewer. A reviewed document:
整改中 (draft) → 待验收 (submitted) → 已销号 (approved), or 退回重新整改 (returned).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from projects.permissions import FINANCE_REVIEWERS, RECTIFICATION_REVIEWERS

from ..choices import RectificationCause, RectificationReviewer, Status
from .review import ReviewedDocument

RECTIFICATION_STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.APPROVED, Status.RETURNED)
# The source each automatic cause names (one task per cause and source).
CAUSE_SOURCE = {
    RectificationCause.RED_LIGHT: "report",
    RectificationCause.IMPOSSIBLE: "report",
    RectificationCause.POOR_GRADE: "evaluation",
    RectificationCause.DEVIATION: "evaluation",
    RectificationCause.REVIEW_DIFFERENCE: "spot_check",
}
SOURCE_FIELDS = ("report", "evaluation", "spot_check")


class Rectification(ReviewedDocument):
    """One 整改任务 of a unit."""

    unit = models.ForeignKey(
        "projects.Unit", verbose_name="整改单位", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    project = models.ForeignKey(
        "projects.Project",
        verbose_name="项目",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    cause = models.CharField("整改原因", max_length=20, choices=RectificationCause.choices)
    report = models.ForeignKey(
        "performance.MonitoringReport",
        verbose_name="来源监控表",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rectifications",
    )
    evaluation = models.ForeignKey(
        "performance.SelfEvaluation",
        verbose_name="来源自评",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rectifications",
    )
    spot_check = models.ForeignKey(
        "performance.SpotCheck",
        verbose_name="来源复核",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rectifications",
    )
    review_by = models.CharField("验收方", max_length=20, choices=RectificationReviewer.choices)
    problem = models.TextField("存在问题")
    requirement = models.TextField("整改要求", blank=True)
    deadline = models.DateField("整改期限")
    measures = models.TextField("整改措施", blank=True)
    result = models.TextField("整改成效", blank=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="发起人",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="为空表示系统自动发起。",
    )
    raised_at = models.DateTimeField("发起时间")
    closed_at = models.DateTimeField("销号时间", null=True, blank=True)

    class Meta:
        verbose_name = "整改任务"
        verbose_name_plural = "整改任务"
        ordering = ["year", "deadline", "id"]
        constraints = [
            *(
                models.UniqueConstraint(
                    fields=[source], condition=Q(cause=cause), name=f"rectification_once_{cause}"
                )
                for cause, source in CAUSE_SOURCE.items()
            ),
            models.CheckConstraint(
                condition=Q(
                    cause__in=[RectificationCause.RED_LIGHT, RectificationCause.IMPOSSIBLE],
                    report__isnull=False,
                )
                | Q(
                    cause__in=[RectificationCause.POOR_GRADE, RectificationCause.DEVIATION],
                    evaluation__isnull=False,
                )
                | Q(cause=RectificationCause.REVIEW_DIFFERENCE, spot_check__isnull=False)
                | Q(cause=RectificationCause.MANUAL),
                name="rectification_source_matches_cause",
            ),
            models.CheckConstraint(
                condition=Q(status__in=RECTIFICATION_STATUSES), name="rectification_status_valid"
            ),
            models.CheckConstraint(
                condition=(Q(status=Status.APPROVED) & Q(closed_at__isnull=False))
                | (~Q(status=Status.APPROVED) & Q(closed_at__isnull=True)),
                name="rectification_closed_when_approved",
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "year", "status"], name="rectification_unit_year_status"),
            models.Index(fields=["status", "deadline"], name="rectification_open_deadline"),
            models.Index(fields=["year", "cause"], name="rectification_year_cause"),
        ]

    def reviewer_roles(self) -> tuple[str, ...]:
        """The roles of the 验收方: the department's reviewer or finance, or finance only."""
        if self.review_by == RectificationReviewer.FINANCE_REVIEWER:
            return FINANCE_REVIEWERS
        return RECTIFICATION_REVIEWERS

    def __str__(self) -> str:
        return f"{self.year}年 整改任务 #{self.pk}（{self.get_cause_display()}）"
