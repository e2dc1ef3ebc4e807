"""Monitoring rounds (绩效运行监控) and each project's report with per-indicator entries."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from projects.fields import AmountField, PlainFigureField, RateField
from projects.models import non_negative_amount

from ..choices import (
    DeviationCause,
    ExpectationBasis,
    Light,
    Likelihood,
    QualitativeBand,
    RoundStatus,
)
from .review import FilledDocument, review_queue_index

AMOUNT = {"max_digits": 20, "decimal_places": 6}
RATE = {"max_digits": 9, "decimal_places": 2, "null": True, "blank": True}


class MonitoringRound(models.Model):
    """A round opened by the finance bureau: which year, data up to which month, the deadline."""

    year = models.PositiveSmallIntegerField("年度")
    data_month = models.PositiveSmallIntegerField(
        "数据截止月份", validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    title = models.CharField("名称", max_length=100)
    opens_on = models.DateField("开始日期")
    deadline = models.DateField("截止日期")
    status = models.CharField(
        "状态", max_length=10, choices=RoundStatus.choices, default=RoundStatus.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="发起人",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    # Set by ``monitoring_round_close``: the round's reports are then final.
    closed_at = models.DateTimeField("结束时间", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="结束人",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "监控轮次"
        verbose_name_plural = "监控轮次"
        ordering = ["-year", "-data_month"]
        constraints = [
            models.UniqueConstraint(fields=["year", "data_month"], name="round_unique_month"),
            models.CheckConstraint(
                condition=Q(data_month__gte=1, data_month__lte=12), name="round_month_range"
            ),
            models.CheckConstraint(
                condition=Q(deadline__gte=models.F("opens_on")), name="round_deadline_after_open"
            ),
        ]

    def __str__(self) -> str:
        return self.title or f"{self.year}年1-{self.data_month}月绩效监控"


class MonitoringReport(FilledDocument):
    """One project's monitoring report in a round; lights are computed by the engine."""

    round = models.ForeignKey(
        MonitoringRound, verbose_name="监控轮次", on_delete=models.CASCADE, related_name="reports"
    )
    project = models.ForeignKey(
        "projects.Project",
        verbose_name="项目",
        on_delete=models.CASCADE,
        related_name="monitoring_reports",
    )
    goal = models.ForeignKey(
        "performance.PerformanceGoal",
        verbose_name="监控的绩效目标",
        on_delete=models.PROTECT,
        related_name="monitoring_reports",
    )
    unit = models.ForeignKey(
        "projects.Unit", verbose_name="单位", on_delete=models.PROTECT, related_name="+"
    )
    budget = AmountField(
        "全年预算数（万元）", **AMOUNT, default=0, validators=[non_negative_amount]
    )
    # Executed-to-date is the sum of execution records, corrections (negative) included.
    executed = AmountField("执行数（万元）", **AMOUNT, default=0)
    execution_rate = RateField("预算执行率（%）", **RATE)
    time_progress = RateField("时间进度（%）", **RATE)
    forecast_executed = AmountField(
        "全年预计执行数（万元）",
        max_digits=20,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[non_negative_amount],
    )
    budget_light = models.CharField(
        "预算执行预警", max_length=10, choices=Light.choices, blank=True
    )
    light = models.CharField("综合预警", max_length=10, choices=Light.choices, blank=True)
    summary = models.TextField("总体完成情况", blank=True)

    class Meta:
        verbose_name = "项目绩效监控表"
        verbose_name_plural = "项目绩效监控表"
        ordering = ["round", "unit__code", "project__code"]
        constraints = [
            models.UniqueConstraint(fields=["round", "project"], name="report_unique_project"),
            models.CheckConstraint(condition=Q(budget__gte=0), name="report_budget_non_negative"),
            models.CheckConstraint(
                condition=Q(forecast_executed__isnull=True) | Q(forecast_executed__gte=0),
                name="report_forecast_executed_non_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "light"], name="report_unit_light"),
            review_queue_index("report_review_queue"),
        ]

    def __str__(self) -> str:
        return self.describe(round_text=str(self.round), project_name=self.project.name)

    @staticmethod
    def describe(*, round_text: str, project_name: str) -> str:
        """The text of ``str()`` from plain values (bulk paths that load no relations)."""
        return f"{round_text} · {project_name}"


class MonitoringEntry(models.Model):
    """Per indicator: value so far, forecast, deviation cause, likelihood, measures and light."""

    report = models.ForeignKey(
        MonitoringReport, verbose_name="监控表", on_delete=models.CASCADE, related_name="entries"
    )
    indicator = models.ForeignKey(
        "performance.Indicator", verbose_name="指标", on_delete=models.CASCADE, related_name="+"
    )
    value_raw = models.CharField("1-N月完成值", max_length=200, blank=True)
    value = PlainFigureField(
        "完成值（折算）", max_digits=24, decimal_places=6, null=True, blank=True
    )
    forecast_raw = models.CharField("全年预计完成值", max_length=200, blank=True)
    forecast_value = PlainFigureField(
        "预计值（折算）", max_digits=24, decimal_places=6, null=True, blank=True
    )
    band = models.CharField(
        "定性完成情况", max_length=20, choices=QualitativeBand.choices, blank=True
    )
    deviation_cause = models.CharField(
        "偏差原因", max_length=20, choices=DeviationCause.choices, blank=True
    )
    deviation_note = models.TextField("偏差原因说明", blank=True)
    likelihood = models.CharField(
        "能否完成目标", max_length=20, choices=Likelihood.choices, blank=True
    )
    measures = models.TextField("纠偏措施", blank=True)
    light = models.CharField("预警", max_length=10, choices=Light.choices, blank=True)
    findings = models.JSONField("解析提示", default=list, blank=True)
    # What the value was compared with (the light's basis): set by the computation.
    expected_value = PlainFigureField(
        "本期比较值", max_digits=24, decimal_places=6, null=True, blank=True
    )
    expected_basis = models.CharField(
        "比较基准", max_length=10, choices=ExpectationBasis.choices, blank=True
    )
    expected_period = models.PositiveSmallIntegerField("所在期", null=True, blank=True)

    class Meta:
        verbose_name = "监控指标"
        verbose_name_plural = "监控指标"
        ordering = ["report", "indicator__order", "indicator_id"]
        constraints = [
            models.UniqueConstraint(fields=["report", "indicator"], name="entry_unique_indicator"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.level3}：{self.value_raw or '—'}"
