"""财政复核 (spot checks): the finance bureau draws a sample of approved self-evaluations,
re-scores indicators, and publishes the result to the unit, which may object once.

``SpotCheckDraw`` records one draw (its method, rule, seed and what it picked) and never
changes. ``SpotCheck`` is a reviewed document (复核中 → 待审定 → 已公开), one per evaluation
ever. ``SpotCheckScore`` rows exist only for the indicators the reviewer changed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from projects.fields import RateField, ScoreField

from ..choices import (
    SPOT_CHECK_DECISIONS,
    DrawMethod,
    Grade,
    SpotCheckOutcome,
    Status,
)
from .review import ReviewedDocument

SCORE = {"max_digits": 9, "decimal_places": 4, "null": True, "blank": True}
SPOT_CHECK_STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.APPROVED, Status.RETURNED)


class SpotCheckDraw(models.Model):
    """One draw of a sample: how it was drawn and what it gave. Immutable and audited."""

    year = models.PositiveSmallIntegerField("年度")
    method = models.CharField("抽取方式", max_length=10, choices=DrawMethod.choices)
    scope_unit = models.ForeignKey(
        "projects.Unit",
        verbose_name="抽取范围",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    seed = models.BigIntegerField("随机种子", null=True, blank=True)
    count = models.PositiveIntegerField("抽取数量", null=True, blank=True)
    rate = RateField("抽取比例（%）", max_digits=5, decimal_places=2, null=True, blank=True)
    rules = models.JSONField("风险规则及参数", default=list, blank=True)
    scopes = models.JSONField("自评类型", default=list, blank=True)
    note = models.TextField("说明", blank=True)
    population = models.PositiveIntegerField("总体数量", default=0)
    population_digest = models.CharField("总体摘要", max_length=64, blank=True)
    sample_digest = models.CharField("样本摘要", max_length=64, blank=True)
    drawn = models.PositiveIntegerField("新增抽查", default=0)
    skipped = models.PositiveIntegerField("已在其他抽查中", default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="抽取人",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField("抽取时间", auto_now_add=True)

    class Meta:
        verbose_name = "抽查记录"
        verbose_name_plural = "抽查记录"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(method=DrawMethod.RANDOM)
                | (Q(seed__isnull=False) & (Q(count__isnull=False) | Q(rate__isnull=False))),
                name="spotcheckdraw_random_has_seed_and_size",
            ),
            models.CheckConstraint(
                condition=Q(rate__isnull=True) | (Q(rate__gt=0) & Q(rate__lte=100)),
                name="spotcheckdraw_rate_in_range",
            ),
            models.CheckConstraint(
                condition=~Q(method=DrawMethod.MANUAL) | ~Q(note=""),
                name="spotcheckdraw_manual_has_note",
            ),
        ]
        indexes = [models.Index(fields=["year"], name="spotcheckdraw_year")]

    def __str__(self) -> str:
        return f"{self.year}年 {self.get_method_display()}（{self.drawn} 项）"


class SpotCheck(ReviewedDocument):
    """The finance bureau's re-scoring of one approved self-evaluation (财政复核)."""

    draw = models.ForeignKey(
        SpotCheckDraw,
        verbose_name="抽查记录",
        on_delete=models.PROTECT,
        related_name="spot_checks",
    )
    evaluation = models.OneToOneField(
        "performance.SelfEvaluation",
        verbose_name="绩效自评",
        on_delete=models.PROTECT,
        related_name="spot_check",
    )
    unit = models.ForeignKey(
        "projects.Unit", verbose_name="单位", on_delete=models.PROTECT, related_name="+"
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
    scheme = models.ForeignKey(
        "performance.ScoringScheme",
        verbose_name="评分方案",
        on_delete=models.PROTECT,
        related_name="+",
    )
    reasons = models.JSONField("抽取原因", default=list, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="复核人",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="提交人",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    self_total = ScoreField("自评得分", **SCORE)
    self_grade = models.CharField("自评等级", max_length=10, choices=Grade.choices, blank=True)
    review_total = ScoreField("复核得分", **SCORE)
    review_grade = models.CharField("复核等级", max_length=10, choices=Grade.choices, blank=True)
    review_category_rates = models.JSONField("复核各类得分率", default=dict, blank=True)
    difference = ScoreField("差异（自评−复核）", **SCORE)
    summary = models.TextField("复核意见", blank=True)
    published_at = models.DateTimeField("公开时间", null=True, blank=True)
    objection_deadline = models.DateField("异议截止日期", null=True, blank=True)
    outcome = models.CharField(
        "结论", max_length=20, choices=SpotCheckOutcome.choices, blank=True, default=""
    )
    objection_reason = models.TextField("异议理由", blank=True)
    objected_at = models.DateTimeField("异议时间", null=True, blank=True)
    objected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="异议人",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decision_comment = models.TextField("裁定意见", blank=True)
    decided_at = models.DateTimeField("裁定时间", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="裁定人",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    final_total = ScoreField("最终得分", **SCORE)
    final_grade = models.CharField("最终等级", max_length=10, choices=Grade.choices, blank=True)
    final_difference = ScoreField("最终差异", **SCORE)

    class Meta:
        verbose_name = "财政复核"
        verbose_name_plural = "财政复核"
        ordering = ["year", "unit__code", "project__code", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=SPOT_CHECK_STATUSES), name="spotcheck_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(outcome="") | Q(status=Status.APPROVED),
                name="spotcheck_outcome_after_approval",
            ),
            models.CheckConstraint(
                condition=~Q(outcome=SpotCheckOutcome.OBJECTED) | ~Q(objection_reason=""),
                name="spotcheck_objection_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(outcome__in=SPOT_CHECK_DECISIONS)
                | (Q(decided_at__isnull=False) & ~Q(decision_comment="")),
                name="spotcheck_decision_recorded",
            ),
            models.CheckConstraint(
                condition=Q(review_total__isnull=True)
                | (Q(review_total__gte=0) & Q(review_total__lte=100)),
                name="spotcheck_review_total_in_range",
            ),
            models.CheckConstraint(
                condition=Q(final_total__isnull=True)
                | (Q(final_total__gte=0) & Q(final_total__lte=100)),
                name="spotcheck_final_total_in_range",
            ),
        ]
        indexes = [
            models.Index(fields=["year", "status"], name="spotcheck_year_status"),
            models.Index(fields=["unit", "year"], name="spotcheck_unit_year"),
            models.Index(fields=["year", "outcome"], name="spotcheck_year_outcome"),
        ]

    def __str__(self) -> str:
        return f"{self.year}年 财政复核 #{self.pk}"


class SpotCheckScore(models.Model):
    """A re-scored indicator (only changed indicators have a row), and its decided score."""

    spot_check = models.ForeignKey(
        SpotCheck, verbose_name="财政复核", on_delete=models.CASCADE, related_name="scores"
    )
    score = models.ForeignKey(
        "performance.IndicatorEvaluation",
        verbose_name="单位自评指标",
        on_delete=models.PROTECT,
        related_name="+",
    )
    indicator = models.ForeignKey(
        "performance.Indicator", verbose_name="指标", on_delete=models.PROTECT, related_name="+"
    )
    self_score = ScoreField("单位自评得分", **SCORE)
    review_score = ScoreField("复核得分", **SCORE)
    reason = models.TextField("复核理由", blank=True)
    decided_score = ScoreField("裁定得分", **SCORE)
    decided_reason = models.TextField("裁定理由", blank=True)

    class Meta:
        verbose_name = "复核指标得分"
        verbose_name_plural = "复核指标得分"
        ordering = ["spot_check", "indicator__order", "indicator_id"]
        constraints = [
            models.UniqueConstraint(fields=["spot_check", "score"], name="spotcheckscore_unique"),
            models.CheckConstraint(
                condition=Q(review_score__isnull=True) | Q(review_score__gte=0),
                name="spotcheckscore_review_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(review_score__isnull=True) | ~Q(reason=""),
                name="spotcheckscore_review_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(decided_score__isnull=True)
                | (Q(decided_score__gte=0) & ~Q(decided_reason="")),
                name="spotcheckscore_decided_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.level3}：{self.review_score}"
