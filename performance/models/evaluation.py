"""Self-evaluations (绩效自评) of a project or a unit as a whole, with per-indicator scores."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from projects.fields import AmountField, PlainFigureField, RateField, ScoreField
from projects.models import non_negative_amount
from projects.numbers import SCORE as SCORE_FIGURE
from projects.numbers import figure

from ..choices import GoalScope, Grade, QualitativeBand
from .review import FilledDocument, review_queue_index

AMOUNT = {"max_digits": 20, "decimal_places": 6}
SCORE = {"max_digits": 9, "decimal_places": 4, "null": True, "blank": True}


class SelfEvaluation(FilledDocument):
    scope = models.CharField("自评类型", max_length=10, choices=GoalScope.choices)
    project = models.ForeignKey(
        "projects.Project",
        verbose_name="项目",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="self_evaluations",
    )
    unit = models.ForeignKey(
        "projects.Unit", verbose_name="单位", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    goal = models.ForeignKey(
        "performance.PerformanceGoal",
        verbose_name="评价的绩效目标",
        on_delete=models.PROTECT,
        related_name="self_evaluations",
    )
    scheme = models.ForeignKey(
        "performance.ScoringScheme",
        verbose_name="评分方案",
        on_delete=models.PROTECT,
        related_name="self_evaluations",
    )
    budget = AmountField(
        "全年预算数（万元）", **AMOUNT, default=0, validators=[non_negative_amount]
    )
    # The sum of execution records, corrections (negative) included.
    executed = AmountField("全年执行数（万元）", **AMOUNT, default=0)
    execution_rate = RateField("预算执行率（%）", **SCORE)
    execution_score = ScoreField("预算执行率得分", **SCORE)
    category_rates = models.JSONField("各类指标得分率", default=dict, blank=True)
    total_score = ScoreField("自评得分", **SCORE)
    grade = models.CharField("自评等级", max_length=10, choices=Grade.choices, blank=True)
    has_deviation = models.BooleanField(
        "是否有偏差", default=False, help_text="任一指标未达到目标值，或单位自行认定有偏差。"
    )
    deviation_declared = models.BooleanField(
        "单位认定有偏差",
        default=False,
        help_text="指标均已达标但单位认定存在偏差时勾选；重新计算时保留。",
    )
    deviation_analysis = models.TextField("偏差原因分析", blank=True)
    measures = models.TextField("改进措施", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="创建人",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "绩效自评"
        verbose_name_plural = "绩效自评"
        ordering = ["unit__code", "year", "scope", "project__code"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(scope="project") & Q(project__isnull=False))
                | (Q(scope="unit") & Q(project__isnull=True)),
                name="evaluation_scope_matches_project",
            ),
            models.UniqueConstraint(
                fields=["project", "year"],
                condition=Q(scope="project"),
                name="evaluation_project_year_unique",
            ),
            models.UniqueConstraint(
                fields=["unit", "year"],
                condition=Q(scope="unit"),
                name="evaluation_unit_year_unique",
            ),
            models.CheckConstraint(
                condition=Q(budget__gte=0), name="evaluation_budget_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(total_score__isnull=True)
                | (Q(total_score__gte=0) & Q(total_score__lte=100)),
                name="evaluation_total_in_range",
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "year", "grade"], name="evaluation_unit_year_grade"),
            review_queue_index("evaluation_review_queue"),
        ]

    def __str__(self) -> str:
        return self.describe(
            year=self.year,
            project_name=self.project.name if self.project_id else None,
            unit_name="" if self.project_id else self.unit.name,
        )

    @staticmethod
    def describe(*, year: int, project_name: str | None, unit_name: str) -> str:
        """The text of ``str()`` from plain values (bulk paths that load no relations)."""
        subject = project_name if project_name is not None else f"{unit_name}整体"
        return f"{year}年 {subject} 绩效自评"


class IndicatorEvaluation(models.Model):
    """Actual value and score of one indicator; an override keeps the computed score beside it."""

    evaluation = models.ForeignKey(
        SelfEvaluation, verbose_name="绩效自评", on_delete=models.CASCADE, related_name="scores"
    )
    indicator = models.ForeignKey(
        "performance.Indicator", verbose_name="指标", on_delete=models.CASCADE, related_name="+"
    )
    actual_raw = models.CharField("实际完成值", max_length=200, blank=True)
    actual_value = PlainFigureField(
        "实际值（折算）", max_digits=24, decimal_places=6, null=True, blank=True
    )
    band = models.CharField(
        "定性完成情况", max_length=20, choices=QualitativeBand.choices, blank=True
    )
    band_score = ScoreField("定性评分", **SCORE)
    computed_score = ScoreField("计算得分", **SCORE)
    override_score = ScoreField("调整后得分", **SCORE)
    override_reason = models.TextField("调整理由", blank=True)
    final_score = ScoreField("得分", **SCORE)
    over_achieved = models.BooleanField("超额完成（≥120%）", default=False)
    deviation_reason = models.TextField("偏差原因分析", blank=True)
    notes = models.JSONField("计算说明", default=list, blank=True)

    class Meta:
        verbose_name = "指标自评"
        verbose_name_plural = "指标自评"
        ordering = ["evaluation", "indicator__order", "indicator_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "indicator"], name="indicator_evaluation_unique"
            ),
            models.CheckConstraint(
                condition=Q(override_score__isnull=True) | ~Q(override_reason=""),
                name="override_requires_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.level3}：{figure(self.final_score, SCORE_FIGURE)}"
