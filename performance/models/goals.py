"""Performance goals (绩效目标) of a project or a unit as a whole, their indicators and tasks.

A goal is one *version*: an adjustment (调整) of an approved goal creates version n+1 that is
reviewed again, while version n stays readable until the new one is approved (then it is
``superseded``). The database guarantees at most one approved and one open version per scope.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from projects.fields import AmountField, PlainFigureField, ScoreField
from projects.models import non_negative_amount

from ..choices import (
    Category,
    Direction,
    GoalScope,
    Grade,
    Operator,
    PeriodKind,
    PeriodMode,
    Status,
    TargetKind,
)
from .review import ReviewedDocument, review_queue_index

AMOUNT = {
    "max_digits": 20,
    "decimal_places": 6,
    "null": True,
    "blank": True,
    "validators": [non_negative_amount],
}
BUDGET_FIELDS = (
    "budget_total",
    "budget_government",
    "budget_fiscal_special",
    "budget_unit_funds",
    "budget_basic",
    "budget_project",
)
OPEN_STATUSES = [
    Status.DRAFT,
    Status.UNIT_REVIEW,
    Status.SUBMITTED,
    Status.DEPT_APPROVED,
    Status.RETURNED,
]


class PerformanceGoal(ReviewedDocument):
    scope = models.CharField("目标类型", max_length=10, choices=GoalScope.choices)
    project = models.ForeignKey(
        "projects.Project",
        verbose_name="项目",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="goals",
    )
    unit = models.ForeignKey(
        "projects.Unit", verbose_name="单位", on_delete=models.PROTECT, related_name="goals"
    )
    year = models.PositiveSmallIntegerField("年度")
    version = models.PositiveIntegerField("目标版本", default=1)
    previous = models.OneToOneField(
        "self",
        verbose_name="调整前版本",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="next_version",
    )
    overall_goal = models.TextField("年度总体目标", blank=True)
    midterm_goal = models.TextField("中期目标", blank=True)
    adjustment_reason = models.TextField("调整原因", blank=True)

    # Unit-overall targets carry the budget they rest on (部门预算总额, sources, structure).
    budget_total = AmountField("部门预算总额（万元）", **AMOUNT)
    budget_government = AmountField("政府预算资金（万元）", **AMOUNT)
    budget_fiscal_special = AmountField("财政专户管理资金（万元）", **AMOUNT)
    budget_unit_funds = AmountField("单位资金（万元）", **AMOUNT)
    budget_basic = AmountField("基本支出（万元）", **AMOUNT)
    budget_project = AmountField("项目支出（万元）", **AMOUNT)

    quality_findings = models.JSONField("智能审核结果", default=list, blank=True)
    quality_checked_at = models.DateTimeField("智能审核时间", null=True, blank=True)
    quality_grade = models.CharField(
        "目标质量等级", max_length=10, choices=Grade.choices, blank=True
    )

    approved_at = models.DateTimeField("批复时间", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="创建人",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "绩效目标"
        verbose_name_plural = "绩效目标"
        ordering = ["unit__code", "year", "scope", "project__code", "version"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(scope="project") & Q(project__isnull=False))
                | (Q(scope="unit") & Q(project__isnull=True)),
                name="goal_scope_matches_project",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="goal_version_positive"),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__gte": 0}),
                    name=f"goal_{name}_non_negative",
                )
                for name in BUDGET_FIELDS
            ),
            models.UniqueConstraint(
                fields=["project", "year", "version"],
                condition=Q(scope="project"),
                name="goal_project_version_unique",
            ),
            models.UniqueConstraint(
                fields=["unit", "year", "version"],
                condition=Q(scope="unit"),
                name="goal_unit_version_unique",
            ),
            models.UniqueConstraint(
                fields=["project", "year"],
                condition=Q(scope="project", status="approved"),
                name="goal_project_one_approved",
            ),
            models.UniqueConstraint(
                fields=["unit", "year"],
                condition=Q(scope="unit", status="approved"),
                name="goal_unit_one_approved",
            ),
            models.UniqueConstraint(
                fields=["project", "year"],
                condition=Q(scope="project", status__in=OPEN_STATUSES),
                name="goal_project_one_open",
            ),
            models.UniqueConstraint(
                fields=["unit", "year"],
                condition=Q(scope="unit", status__in=OPEN_STATUSES),
                name="goal_unit_one_open",
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "year", "status"], name="goal_unit_year_status"),
            models.Index(fields=["year", "status"], name="goal_year_status"),
            review_queue_index("goal_review_queue"),
        ]

    def __str__(self) -> str:
        subject = (
            self.project.name
            if self.scope == GoalScope.PROJECT and self.project_id
            else (f"{self.unit.name}整体")
        )
        return f"{self.year}年 {subject} 绩效目标 v{self.version}"

    @property
    def error_count(self) -> int:
        return sum(1 for f in self.quality_findings or [] if f.get("severity") == "error")

    @property
    def warning_count(self) -> int:
        return sum(1 for f in self.quality_findings or [] if f.get("severity") == "warning")


_NO_PERIOD_TARGETS = {f"period_target_{n}__isnull": True for n in range(1, 5)}
_ALL_PERIOD_TARGETS = {f"period_target_{n}__isnull": False for n in range(1, 5)}


def _all_of(conditions) -> Q:
    combined = Q()
    for condition in conditions:
        combined &= condition
    return combined


class Indicator(models.Model):
    """One 三级 indicator under its 一级/二级, with the raw 指标值 and its parsed form.

    ``raw_value`` is exactly what the unit typed; operator/target_value/target_unit/kind are
    derived from it by ``performance.targets.parse_target`` in the service that saves it, and
    ``findings`` keeps what the parser could not read safely.
    """

    goal = models.ForeignKey(
        PerformanceGoal,
        verbose_name="绩效目标",
        on_delete=models.CASCADE,
        related_name="indicators",
    )
    level1 = models.CharField("一级指标", max_length=50)
    level2 = models.CharField("二级指标", max_length=50, blank=True)
    level3 = models.CharField("三级指标", max_length=300)
    category = models.CharField(
        "指标类别", max_length=20, choices=Category.choices, default=Category.OTHER
    )
    raw_value = models.CharField("指标值", max_length=300, blank=True)
    operator = models.CharField("运算符", max_length=2, choices=Operator.choices, blank=True)
    target_value = PlainFigureField(
        "目标值", max_digits=24, decimal_places=6, null=True, blank=True
    )
    target_unit = models.CharField("计量单位", max_length=20, blank=True)
    kind = models.CharField(
        "指标性质", max_length=20, choices=TargetKind.choices, default=TargetKind.QUALITATIVE
    )
    direction = models.CharField(
        "指标方向", max_length=20, choices=Direction.choices, default=Direction.QUALITATIVE
    )
    relative_to = models.CharField("参照", max_length=20, blank=True)
    weight = ScoreField("分值", max_digits=7, decimal_places=2, null=True, blank=True)
    explanation = models.TextField("指标值说明", blank=True)
    order = models.PositiveIntegerField("排序", default=0)
    findings = models.JSONField("解析提示", default=list, blank=True)
    library_code = models.CharField(
        "指标库编码",
        max_length=50,
        blank=True,
        help_text="引用指标库时自动填写：跨版本不变的指标编码。",
    )
    # The library version this indicator was picked from (goals keep the version they referenced).
    library_entry = models.ForeignKey(
        "performance.LibraryEntry",
        verbose_name="指标库指标（版本）",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="indicators",
        db_index=False,
    )
    # Interim (period) targets: checked against the annual 指标值 by the indicator service.
    period_kind = models.CharField(
        "分期目标", max_length=10, choices=PeriodKind.choices, blank=True
    )
    period_mode = models.CharField(
        "分期口径", max_length=12, choices=PeriodMode.choices, blank=True
    )
    period_target_1 = PlainFigureField(
        "第1期目标值", max_digits=24, decimal_places=6, null=True, blank=True
    )
    period_target_2 = PlainFigureField(
        "第2期目标值", max_digits=24, decimal_places=6, null=True, blank=True
    )
    period_target_3 = PlainFigureField(
        "第3期目标值", max_digits=24, decimal_places=6, null=True, blank=True
    )
    period_target_4 = PlainFigureField(
        "第4期目标值", max_digits=24, decimal_places=6, null=True, blank=True
    )
    lock_version = models.PositiveIntegerField("修改版本号", default=1, editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "绩效指标"
        verbose_name_plural = "绩效指标"
        ordering = ["goal", "order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__isnull=True) | Q(weight__gte=0),
                name="indicator_weight_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(operator="") | Q(operator__in=[">=", ">", "=", "<", "<="]),
                name="indicator_operator_valid",
            ),
            models.CheckConstraint(
                condition=Q(period_kind="", period_mode="", **_NO_PERIOD_TARGETS)
                | Q(
                    period_kind="half",
                    period_target_1__isnull=False,
                    period_target_2__isnull=False,
                    period_target_3__isnull=True,
                    period_target_4__isnull=True,
                )
                & ~Q(period_mode="")
                | Q(period_kind="quarter", **_ALL_PERIOD_TARGETS) & ~Q(period_mode=""),
                name="indicator_period_complete",
            ),
            models.CheckConstraint(
                condition=~Q(period_mode="cumulative")
                | Q(period_target_2__gte=F("period_target_1"))
                & (
                    Q(period_target_3__isnull=True)
                    | Q(
                        period_target_3__gte=F("period_target_2"),
                        period_target_4__gte=F("period_target_3"),
                    )
                ),
                name="indicator_period_cumulative_ordered",
            ),
            models.CheckConstraint(
                condition=_all_of(
                    Q(**{f"period_target_{n}__isnull": True}) | Q(**{f"period_target_{n}__gte": 0})
                    for n in range(1, 5)
                ),
                name="indicator_period_non_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["goal", "order"], name="indicator_goal_order"),
            models.Index(
                fields=["library_entry"],
                condition=Q(library_entry__isnull=False),
                name="indicator_library_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.level1} / {self.level2 or '—'} / {self.level3}"

    @property
    def needs_attention(self) -> bool:
        findings = self.findings  # most have none: no generator for them (lists of 750 rows)
        return bool(findings) and any(f.get("severity") == "error" for f in findings)


class GoalTask(models.Model):
    """年度主要任务 of a unit-overall goal (task name and content)."""

    goal = models.ForeignKey(
        PerformanceGoal, verbose_name="绩效目标", on_delete=models.CASCADE, related_name="tasks"
    )
    name = models.CharField("任务名称", max_length=200)
    content = models.TextField("主要内容", blank=True)
    order = models.PositiveIntegerField("排序", default=0)
    lock_version = models.PositiveIntegerField("修改版本号", default=1, editable=False)

    class Meta:
        verbose_name = "年度主要任务"
        verbose_name_plural = "年度主要任务"
        ordering = ["goal", "order", "id"]

    def __str__(self) -> str:
        return self.name
