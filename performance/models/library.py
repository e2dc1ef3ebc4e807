"""The indicator library (指标库): entries units pick indicators from.

One row is one *version* of one library indicator. ``code`` (指标编码) is stable across versions
(``GX-0001`` for 共性 entries the finance bureau keeps, ``<department code>-0001`` for a
department's 个性 entries); a revision of a confirmed entry is version n+1 reviewed again, and
version n stays confirmed until n+1 is confirmed (then it is ``superseded``). Entries are
retired, never deleted: indicators keep the version they referenced (``PROTECT``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from projects.choices import ProjectCategory
from projects.fields import ScoreField

from ..choices import (
    LIBRARY_OPEN,
    Category,
    Direction,
    LibraryGoalScope,
    LibraryStatus,
    Nature,
)
from .review import ReviewedDocument

library_code_validator = RegexValidator(
    r"^[0-9A-Za-z]{1,20}-[0-9]{4,6}$",
    "指标编码应为“归口单位编码-序号”，如 GX-0001、027-0007。",
)
function_class_validator = RegexValidator(
    r"^[0-9]{3}([0-9]{2}){0,2}$",
    "支出功能分类应为 3、5 或 7 位数字（类、款、项），如 208、20802。",
)

# 适用项目类型 as a bit mask (0 = every type), one bit per project category.
CATEGORY_BITS = {
    ProjectCategory.PERSONNEL: 1,
    ProjectCategory.OPERATING: 2,
    ProjectCategory.SPECIAL: 4,
}
ALL_CATEGORIES_MASK = sum(CATEGORY_BITS.values())


def project_category_mask(codes) -> int:
    """The bit mask of a collection of project category codes (empty → 0, every type)."""
    return sum(CATEGORY_BITS[ProjectCategory(code)] for code in set(codes or ()))


def categories_of(mask: int) -> list[str]:
    """The project category codes of a mask, in declaration order (0 → [], every type)."""
    return [code.value for code, bit in CATEGORY_BITS.items() if mask & bit]


class LibraryEntry(ReviewedDocument):
    """One version of one 指标库 indicator, owned by the finance bureau (共性) or a department."""

    status = models.CharField(
        "状态", max_length=20, choices=LibraryStatus.choices, default=LibraryStatus.DRAFT
    )
    code = models.CharField("指标编码", max_length=32, validators=[library_code_validator])
    version = models.PositiveIntegerField("版本", default=1)
    previous = models.OneToOneField(
        "self",
        verbose_name="上一版本",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="next_version",
    )
    unit = models.ForeignKey(
        "projects.Unit",
        verbose_name="归口单位",
        on_delete=models.PROTECT,
        related_name="library_entries",
    )
    is_common = models.BooleanField("共性指标", default=False)
    is_required = models.BooleanField(
        "必选", default=False, help_text="共性指标：每个适用的绩效目标都应设置。"
    )
    goal_scope = models.CharField(
        "适用目标",
        max_length=10,
        choices=LibraryGoalScope.choices,
        default=LibraryGoalScope.PROJECT,
    )
    level1 = models.CharField("一级指标", max_length=50)
    level2 = models.CharField("二级指标", max_length=50)
    level3 = models.CharField("三级指标", max_length=300)
    category = models.CharField(
        "指标类别", max_length=20, choices=Category.choices, default=Category.OTHER
    )
    nature = models.CharField("指标性质", max_length=12, choices=Nature.choices)
    direction = models.CharField("指标方向", max_length=20, choices=Direction.choices)
    measure_unit = models.CharField(
        "度量单位", max_length=20, blank=True, help_text="定量指标必填，如 %、人、万元。"
    )
    reference_value = models.CharField("参考值", max_length=100, blank=True)
    reference_weight = ScoreField(
        "参考分值",
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    explanation = models.TextField("指标解释", blank=True)
    basis = models.TextField("指标值设定依据及数据来源", blank=True)
    scoring_standard = models.TextField("评(扣)分标准", blank=True)
    project_categories = models.PositiveSmallIntegerField(
        "适用项目类型", default=0, help_text="不选表示全部类型。"
    )
    function_class = models.CharField(
        "适用支出功能分类",
        max_length=7,
        blank=True,
        validators=[function_class_validator],
        help_text="类（3 位）、款（5 位）或项（7 位）；不填表示全部。",
    )
    search_text = models.TextField("检索文本", blank=True, editable=False)
    frozen_at = models.DateTimeField(
        "冻结时间",
        null=True,
        blank=True,
        help_text="已被批复的绩效目标引用后，名称、度量单位和指标性质不再修改。",
    )
    retire_reason = models.TextField("停用原因", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="创建人",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "指标库指标"
        verbose_name_plural = "指标库"
        ordering = ["code", "version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="library_code_version_unique"),
            models.UniqueConstraint(
                fields=["code"],
                condition=Q(status=LibraryStatus.APPROVED),
                name="library_one_confirmed",
            ),
            models.UniqueConstraint(
                fields=["code"],
                condition=Q(status__in=LIBRARY_OPEN),
                name="library_one_open",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="library_version_positive"),
            models.CheckConstraint(
                condition=Q(nature__in=[">=", "="], direction="positive")
                | Q(nature="<=", direction="negative")
                | Q(nature="qualitative", direction="qualitative"),
                name="library_direction_matches_nature",
            ),
            models.CheckConstraint(
                condition=Q(nature="qualitative") | ~Q(measure_unit=""),
                name="library_quantitative_has_unit",
            ),
            models.CheckConstraint(
                condition=Q(project_categories__lte=ALL_CATEGORIES_MASK),
                name="library_categories_mask",
            ),
            models.CheckConstraint(
                condition=Q(is_required=False) | Q(is_common=True),
                name="library_required_is_common",
            ),
            models.CheckConstraint(
                condition=Q(reference_weight__isnull=True)
                | Q(reference_weight__gte=0, reference_weight__lte=100),
                name="library_reference_weight_range",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "level1", "level2"], name="library_status_levels"),
            models.Index(fields=["unit", "status"], name="library_unit_status"),
        ]

    def __str__(self) -> str:
        return f"{self.code}「{self.level3}」v{self.version}"

    @property
    def label(self) -> str:
        """How findings and messages name the entry: 指标库指标 027-0007「参保人员满意度」（v2）."""
        return f"指标库指标 {self.code}「{self.level3}」（v{self.version}）"

    @property
    def project_category_codes(self) -> list[str]:
        return categories_of(self.project_categories)
