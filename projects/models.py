"""Units (单位 tree), memberships and roles, budget projects, budgets, execution and the audit log.

Amounts are ``Decimal`` in 万元 with six places, enough for 元 and 分 (6280元 = 0.628万元).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import Continuity, FundSource, ProjectCategory, Role, UnitKind
from .fields import AmountField
from .numbers import AMOUNT as AMOUNT_FIGURE
from .numbers import figure
from .units_tree import role_unit_refusal, unit_parent_refusal
from .years import year_in_range

AMOUNT = {"max_digits": 20, "decimal_places": 6}

unit_code_validator = RegexValidator(
    r"^[0-9A-Za-z]{1,20}$", "单位编码只能包含数字和字母，最长 20 位。"
)
# Budgets, ceilings and forecasts in 万元 are never negative (an execution record is the one
# signed amount: a correction books a negative amount against the payment it corrects).
non_negative_amount = MinValueValidator(Decimal("0"), message=_("金额（万元）不能为负数。"))

project_code_validator = RegexValidator(
    r"^[0-9A-Za-z\-]{1,32}$", "项目编码只能包含数字、字母和短横线，最长 32 位。"
)


class Unit(models.Model):
    """A node of the 财政局 → 主管部门 → 预算单位 tree.

    ``path`` is the materialised path of codes (``/F/305/305004/``) kept by ``save()`` so a
    subtree is one indexed prefix query: that is what ``visible_units`` relies on.
    """

    code = models.CharField(
        "单位编码", max_length=20, unique=True, validators=[unit_code_validator]
    )
    name = models.CharField("单位名称", max_length=200)
    kind = models.CharField("单位类型", max_length=20, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级单位",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    path = models.CharField("层级路径", max_length=255, editable=False, db_index=True)
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "单位"
        verbose_name_plural = "单位"
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="finance", parent__isnull=True) | ~Q(kind="finance"),
                name="unit_finance_is_root",
            ),
            models.CheckConstraint(
                condition=Q(kind="finance") | Q(parent__isnull=False),
                name="unit_non_finance_has_parent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def save(self, *args, **kwargs) -> None:
        old_path = self.path
        self.path = self.compute_path()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "path" not in update_fields:
            kwargs["update_fields"] = [*update_fields, "path"]
        super().save(*args, **kwargs)
        if old_path and old_path != self.path:
            # Moving or recoding a unit moves its whole subtree.
            for child in Unit.objects.filter(path__startswith=old_path).exclude(pk=self.pk):
                child.path = self.path + child.path[len(old_path) :]
                Unit.objects.filter(pk=child.pk).update(path=child.path)

    def clean(self) -> None:
        parent = self.parent if self.parent_id else None
        refusal = unit_parent_refusal(self.kind, parent.kind if parent else None)
        if refusal:
            raise ValidationError({"parent": refusal})
        if parent is not None and self.pk and self.path and parent.path.startswith(self.path):
            raise ValidationError({"parent": "上级单位不能是本单位或其下级单位。"})

    def compute_path(self) -> str:
        prefix = self.parent.path if self.parent_id else "/"
        return f"{prefix}{self.code}/"

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1

    def ancestors(self) -> models.QuerySet[Unit]:
        """This unit and every unit above it."""
        codes = [c for c in self.path.split("/") if c]
        return Unit.objects.filter(code__in=codes)


class Membership(models.Model):
    """A user's role in a unit; the role applies to the unit and every unit below it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="用户",
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    unit = models.ForeignKey(
        Unit, verbose_name="单位", on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField("角色", max_length=20, choices=Role.choices)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "成员角色"
        verbose_name_plural = "成员角色"
        ordering = ["unit__path", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="membership_unique_role"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.unit.name} · {self.get_role_display()}"

    def clean(self) -> None:
        if not self.unit_id or self.role not in Role.values:
            return  # the field's own error says what is missing
        refusal = role_unit_refusal(self.role, self.unit.kind)
        if refusal:
            raise ValidationError({"role": refusal})


class Project(models.Model):
    """A budget project (预算项目) of a unit for one budget year.

    The database keeps a code unique per unit and year; ``services.project_save`` refuses a
    code that another unit the editor can see already has that year. A code held only by
    units the editor cannot see is as good as free for them: refusing it would tell a unit
    which codes other units use (the budget system's codes are unique anyway).
    """

    code = models.CharField("项目编码", max_length=32, validators=[project_code_validator])
    name = models.CharField("项目名称", max_length=300)
    unit = models.ForeignKey(
        Unit, verbose_name="预算单位", on_delete=models.PROTECT, related_name="projects"
    )
    year = models.PositiveSmallIntegerField("预算年度")
    category = models.CharField("项目类型", max_length=20, choices=ProjectCategory.choices)
    continuity = models.CharField(
        "新增/延续", max_length=20, choices=Continuity.choices, default=Continuity.CONTINUING
    )
    period_start = models.DateField("实施期开始", null=True, blank=True)
    period_end = models.DateField("实施期结束", null=True, blank=True)
    leader = models.CharField("项目负责人", max_length=50, blank=True)
    phone = models.CharField("联系电话", max_length=30, blank=True)
    managing_office = models.CharField("资金归口处室", max_length=100, blank=True)
    overview = models.TextField("项目概况", blank=True)
    basis = models.TextField("立项依据", blank=True)
    lock_version = models.PositiveIntegerField("版本号", default=1, editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "预算项目"
        verbose_name_plural = "预算项目"
        ordering = ["unit__code", "year", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "year", "code"], name="project_unique_code_per_unit_year"
            ),
            models.CheckConstraint(condition=year_in_range(), name="project_year_range"),
            models.CheckConstraint(
                condition=Q(period_start__isnull=True)
                | Q(period_end__isnull=True)
                | Q(period_end__gte=models.F("period_start")),
                name="project_period_ordered",
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "year"], name="project_unit_year"),
            models.Index(fields=["year", "code"], name="project_year_code"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.year}）"

    def clean(self) -> None:
        if self.unit_id and self.unit.kind == UnitKind.FINANCE:
            raise ValidationError(
                {"unit": "项目必须属于主管部门或预算单位，不能直接挂在财政局下。"}
            )
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValidationError({"period_end": "实施期结束日期不能早于开始日期。"})


class ProjectBudget(models.Model):
    """The budget of a project from one fund source: the initial and the adjusted amount."""

    project = models.ForeignKey(
        Project, verbose_name="项目", on_delete=models.CASCADE, related_name="budgets"
    )
    fund_source = models.CharField("资金来源", max_length=20, choices=FundSource.choices)
    amount = AmountField(
        "年初预算（万元）", **AMOUNT, default=Decimal("0"), validators=[non_negative_amount]
    )
    adjusted_amount = AmountField(
        "调整后预算（万元）", **AMOUNT, default=Decimal("0"), validators=[non_negative_amount]
    )

    class Meta:
        verbose_name = "项目预算"
        verbose_name_plural = "项目预算"
        ordering = ["project", "fund_source"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "fund_source"], name="budget_unique_fund_source"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="budget_amount_non_negative"),
            models.CheckConstraint(
                condition=Q(adjusted_amount__gte=0), name="budget_adjusted_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.name} · {self.get_fund_source_display()} · {figure(self.adjusted_amount, AMOUNT_FIGURE)}万元"


class ExecutionBatch(models.Model):
    """One batch of the treasury payment feed (支出执行导入): its identity and what it added.

    A batch is ``(source, batch_id)``; ``rows_digest`` (of the normalised rows) tells a re-send
    of the same rows (nothing to do) from a different batch under a used id (refused)."""

    source = models.CharField("来源系统", max_length=50)
    batch_id = models.CharField("批次号", max_length=64)
    file_digest = models.CharField("文件摘要", max_length=64, blank=True)
    rows_digest = models.CharField("内容摘要", max_length=64)
    row_count = models.PositiveIntegerField("行数", default=0)
    reversal_count = models.PositiveIntegerField("冲销行数", default=0)
    amount_total = AmountField("金额合计（万元）", **AMOUNT, default=Decimal("0"))
    project_count = models.PositiveIntegerField("涉及项目数", default=0)
    filename = models.CharField("文件名", max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="导入人",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField("导入时间", auto_now_add=True)

    class Meta:
        verbose_name = "支出执行批次"
        verbose_name_plural = "支出执行批次"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["source", "batch_id"], name="execution_batch_unique")
        ]
        indexes = [models.Index(fields=["-created_at"], name="execution_batch_recent")]

    def __str__(self) -> str:
        return f"{self.source} 批次 {self.batch_id}"


class ExecutionRecord(models.Model):
    """A payment (or a correction, negative) against a project; their sum is executed-to-date.

    Rows of the treasury feed carry their batch, source and row id; a reversal (冲销) row
    points at the row it corrects."""

    project = models.ForeignKey(
        Project, verbose_name="项目", on_delete=models.CASCADE, related_name="executions"
    )
    date = models.DateField("支出日期")
    amount = AmountField("金额（万元）", **AMOUNT)
    fund_source = models.CharField(
        "资金来源", max_length=20, choices=FundSource.choices, blank=True
    )
    note = models.CharField("摘要", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="录入人",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField("录入时间", auto_now_add=True)
    batch = models.ForeignKey(
        ExecutionBatch,
        verbose_name="导入批次",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="records",
    )
    source = models.CharField("来源系统", max_length=50, blank=True)
    source_row_id = models.CharField("来源行号", max_length=64, blank=True)
    reverses = models.ForeignKey(
        "self",
        verbose_name="冲销的记录",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversals",
        db_index=False,
    )

    class Meta:
        verbose_name = "支出执行记录"
        verbose_name_plural = "支出执行记录"
        ordering = ["project", "date", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="execution_amount_non_zero"),
            models.UniqueConstraint(
                fields=["source", "source_row_id"],
                condition=~Q(source_row_id=""),
                name="execution_unique_source_row",
            ),
            models.CheckConstraint(
                condition=Q(reverses__isnull=True) | Q(amount__lt=0),
                name="execution_reversal_negative",
            ),
            models.CheckConstraint(
                condition=Q(batch__isnull=True) | ~Q(source_row_id=""),
                name="execution_batch_row_has_id",
            ),
        ]
        indexes = [
            models.Index(fields=["project", "date"], name="execution_project_date"),
            models.Index(
                fields=["reverses"],
                condition=Q(reverses__isnull=False),
                name="execution_reverses",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.name} {self.date} {figure(self.amount, AMOUNT_FIGURE)}万元"


class AuditAction(models.TextChoices):
    CREATE = "create", "新增"
    UPDATE = "update", "修改"
    DELETE = "delete", "删除"
    TRANSITION = "transition", "流转"
    COMPUTE = "compute", "计算"
    IMPORT = "import", "导入"
    DOWNLOAD = "download", "下载"


class AuditEntry(models.Model):
    """Who changed what, when, and why: one row per edit, transition or computed update."""

    content_type = models.ForeignKey(
        ContentType, verbose_name="对象类型", on_delete=models.CASCADE, related_name="+"
    )
    object_id = models.CharField("对象ID", max_length=64)
    target = GenericForeignKey("content_type", "object_id")
    object_repr = models.CharField("对象", max_length=300)
    unit = models.ForeignKey(
        Unit,
        verbose_name="单位",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_entries",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_entries",
    )
    action = models.CharField("操作", max_length=20, choices=AuditAction.choices)
    transition = models.CharField("流转", max_length=50, blank=True)
    changes = models.JSONField("变更内容", default=dict, blank=True)
    comment = models.TextField("意见/说明", blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "操作记录"
        verbose_name_plural = "操作记录"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="audit_object"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_action_display()} {self.object_repr}"
