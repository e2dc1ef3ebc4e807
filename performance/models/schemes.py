"""Scoring schemes (评分方案): weights, rounding, grade bands and light thresholds as data."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from projects.fields import RateField, ScoreField
from projects.years import year_validators

from ..choices import Category, Rounding

WEIGHT = {"max_digits": 7, "decimal_places": 2}
# As many places as the columns the figures are stored in hold: rates of monitoring reports
# have 2, scores and totals 4. More would be rounded a second time by the database.
RATE_PLACES = [MinValueValidator(0), MaxValueValidator(2)]
SCORE_PLACES = [MinValueValidator(0), MaxValueValidator(4)]


def validate_required_indicators(value) -> None:
    """A list of {"name": 三级名称, "aliases": [其他写法…]}; anything else is a field error."""
    from django.core.exceptions import ValidationError

    message = '应为列表，每项形如 {"name": "预算执行率", "aliases": ["部门预算执行率"]}。'
    if not isinstance(value, list):
        raise ValidationError(message)
    for entry in value:
        if not isinstance(entry, dict) or set(entry) - {"name", "aliases"}:
            raise ValidationError(message)
        name, aliases = entry.get("name"), entry.get("aliases", [])
        if not isinstance(name, str) or not name.strip() or not isinstance(aliases, list):
            raise ValidationError(message)
        if not all(isinstance(alias, str) and alias.strip() for alias in aliases):
            raise ValidationError(message)


def default_unit_required_indicators() -> list[dict]:
    """Every scheme's 整体 goals must carry 预算执行率 (domain §3); schemes may add more."""
    return [{"name": "预算执行率", "aliases": ["部门预算执行率"]}]


class ScoringScheme(models.Model):
    """How a self-evaluation is scored; editable in the admin, stored with each evaluation."""

    code = models.SlugField("方案编码", max_length=50, unique=True)
    name = models.CharField("方案名称", max_length=100)
    description = models.TextField("说明", blank=True)
    is_default = models.BooleanField(
        "默认方案",
        default=False,
        help_text="没有为本单位或上级单位指定方案时使用；必须有一个默认方案，否则这些单位无法监控、自评和汇总。",
    )

    execution_weight = ScoreField("预算执行率分值", **WEIGHT, default=Decimal("10"))
    weight_fund_management = ScoreField("资金管理分值", **WEIGHT, default=Decimal("0"))
    weight_cost = ScoreField(
        "成本指标分值",
        **WEIGHT,
        default=Decimal("0"),
        help_text="为 0 时成本指标计入产出指标分值（全国通用口径）。",
    )
    weight_output = ScoreField("产出指标分值", **WEIGHT, default=Decimal("50"))
    weight_benefit = ScoreField("效益指标分值", **WEIGHT, default=Decimal("30"))
    weight_satisfaction = ScoreField("满意度指标分值", **WEIGHT, default=Decimal("10"))
    cost_required = models.BooleanField(
        "必须设置成本指标", default=True, help_text="2021 年起的指标体系要求设置成本指标。"
    )
    unit_required_indicators = models.JSONField(
        "整体目标必备的投入管理指标",
        default=default_unit_required_indicators,
        blank=True,
        validators=[validate_required_indicators],
        help_text='部门（单位）整体绩效目标必须设置的三级指标，如 [{"name": "预算执行率", '
        '"aliases": ["部门预算执行率"]}]；缺少时智能审核报错。',
    )

    rate_rounding = models.CharField(
        "执行率舍入方式", max_length=10, choices=Rounding.choices, default=Rounding.HALF_UP
    )
    rate_places = models.PositiveSmallIntegerField(
        "执行率保留小数位（百分数）", default=2, validators=RATE_PLACES
    )
    score_rounding = models.CharField(
        "得分舍入方式", max_length=10, choices=Rounding.choices, default=Rounding.HALF_UP
    )
    score_places = models.PositiveSmallIntegerField(
        "得分保留小数位", default=2, validators=SCORE_PLACES
    )
    total_rounding = models.CharField(
        "总分舍入方式", max_length=10, choices=Rounding.choices, default=Rounding.HALF_UP
    )
    total_places = models.PositiveSmallIntegerField(
        "总分保留小数位", default=2, validators=SCORE_PLACES
    )

    grade_excellent_min = ScoreField("“优”最低分", **WEIGHT, default=Decimal("90"))
    grade_good_min = ScoreField("“良”最低分", **WEIGHT, default=Decimal("80"))
    grade_fair_min = ScoreField("“中”最低分", **WEIGHT, default=Decimal("60"))

    over_achievement_ratio = RateField("超额完成提示阈值（%）", **WEIGHT, default=Decimal("120"))
    light_red_below = RateField("红灯：低于（%）", **WEIGHT, default=Decimal("60"))
    light_yellow_below = RateField("黄灯：低于（%）", **WEIGHT, default=Decimal("80"))
    light_blue_from = RateField("蓝灯：不低于（%）", **WEIGHT, default=Decimal("120"))

    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "评分方案"
        verbose_name_plural = "评分方案"
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="scheme_single_default"
            ),
            models.CheckConstraint(
                condition=Q(
                    execution_weight__gte=0,
                    weight_fund_management__gte=0,
                    weight_cost__gte=0,
                    weight_output__gte=0,
                    weight_benefit__gte=0,
                    weight_satisfaction__gte=0,
                ),
                name="scheme_weights_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(
                    grade_excellent_min__gt=F("grade_good_min"),
                    grade_good_min__gt=F("grade_fair_min"),
                    grade_fair_min__gte=0,
                ),
                name="scheme_grade_bands_ordered",
            ),
            models.CheckConstraint(
                condition=Q(
                    light_red_below__lt=F("light_yellow_below"),
                    light_yellow_below__lt=F("light_blue_from"),
                ),
                name="scheme_light_thresholds_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def category_weights(self) -> dict[str, Decimal]:
        """Weights per scored category; cost only when it has its own weight."""
        weights = {
            Category.FUND_MANAGEMENT.value: self.weight_fund_management,
            Category.COST.value: self.weight_cost,
            Category.OUTPUT.value: self.weight_output,
            Category.BENEFIT.value: self.weight_benefit,
            Category.SATISFACTION.value: self.weight_satisfaction,
        }
        return {key: value for key, value in weights.items() if value}

    @property
    def total_weight(self) -> Decimal:
        return self.execution_weight + sum(self.category_weights().values(), Decimal("0"))

    def clean(self) -> None:
        if self.total_weight != Decimal("100"):
            raise ValidationError(
                {
                    "execution_weight": f"预算执行率与各类指标分值合计应为 100 分，当前为 {self.total_weight} 分。"
                }
            )

    def to_engine(self):
        """The pure-engine view of this scheme (``performance.scoring.Scheme``)."""
        from ..scoring import Grade, Scheme
        from ..scoring import Rounding as EngineRounding

        return Scheme(
            execution_weight=self.execution_weight,
            category_weights=self.category_weights(),
            rate_rounding=EngineRounding(self.rate_rounding),
            rate_places=self.rate_places,
            score_rounding=EngineRounding(self.score_rounding),
            score_places=self.score_places,
            total_rounding=EngineRounding(self.total_rounding),
            total_places=self.total_places,
            grade_bands=(
                (self.grade_excellent_min, Grade.EXCELLENT),
                (self.grade_good_min, Grade.GOOD),
                (self.grade_fair_min, Grade.FAIR),
                (Decimal("0"), Grade.POOR),
            ),
            over_achievement_ratio=self.over_achievement_ratio,
            light_red_below=self.light_red_below,
            light_yellow_below=self.light_yellow_below,
            light_blue_from=self.light_blue_from,
        )


class SchemeAssignment(models.Model):
    """Which scheme a unit (and every unit below it, unless overridden) is scored with, from a
    year on or in every year; ``performance.selectors.schemes`` reads them."""

    unit = models.ForeignKey(
        "projects.Unit",
        verbose_name="单位",
        on_delete=models.CASCADE,
        related_name="scheme_assignments",
    )
    scheme = models.ForeignKey(
        ScoringScheme, verbose_name="评分方案", on_delete=models.PROTECT, related_name="assignments"
    )
    from_year = models.PositiveSmallIntegerField(
        "起始年度",
        null=True,
        blank=True,
        validators=year_validators(),
        help_text="从该年度起适用，直到起始年度更晚的指定；不填表示适用于所有年度。"
        "目标审核、监控和自评按各自的年度取方案，已开展的自评保留开展时的方案。",
    )

    class Meta:
        verbose_name = "评分方案适用单位"
        verbose_name_plural = "评分方案适用单位"
        ordering = ["unit__path", "from_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "from_year"], name="scheme_assignment_unit_year_unique"
            ),
            models.UniqueConstraint(
                fields=["unit"],
                condition=Q(from_year__isnull=True),
                name="scheme_assignment_unit_undated_unique",
                violation_error_message="该单位已有不限年度的评分方案指定，请修改原指定或填写起始年度。",
            ),
        ]

    def __str__(self) -> str:
        since = f"（{self.from_year}年起）" if self.from_year else ""
        return f"{self.unit} → {self.scheme}{since}"
