"""The flat import template (项目绩效目标导入模板) as a django-import-export resource.

One row per 三级 indicator: 年度, 单位编码, 单位名称, 项目编码, 项目名称, 项目类型, 资金总额(万元),
一级指标, 二级指标, 三级指标, 指标值, and optionally 指标值说明 and 分值 — exactly the columns of
``../shared/fixtures/*_project_targets.csv``. :class:`TargetTemplateResource` exports it (admin
export button, ``export_table(kind="targets_flat")``); importing goes through
``performance.services.imports.targets_import`` instead of the resource's row-by-row import,
because that one keys on a single field and cannot be all-or-nothing across projects.

The official layouts (项目绩效目标表, 整体绩效目标表, 监控表, 自评表) are written by
``performance.services.exports``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from decimal import Decimal

import tablib
from django.db.models import DecimalField, Exists, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from import_export import resources
from import_export.fields import Field
from import_export.formats import base_formats

from projects.choices import ProjectCategory
from projects.models import ProjectBudget
from projects.selectors import ZERO

from .choices import GoalScope, Status
from .models import Indicator, PerformanceGoal
from .models.goals import OPEN_STATUSES


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool = True


# The template's columns in order. ``required`` columns must be present in an import file;
# the cells themselves are checked by the import's row validation.
COLUMNS: tuple[Column, ...] = (
    Column("year", "年度"),
    Column("unit_code", "单位编码"),
    Column("unit_name", "单位名称"),
    Column("project_code", "项目编码"),
    Column("project_name", "项目名称"),
    Column("project_type", "项目类型"),
    Column("amount", "资金总额(万元)"),
    Column("level1", "一级指标"),
    Column("level2", "二级指标"),
    Column("level3", "三级指标"),
    Column("raw_value", "指标值"),
    Column("explanation", "指标值说明", required=False),
    Column("weight", "分值", required=False),
)
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}
HEADER_OF = {column.key: column.header for column in COLUMNS}

# Spellings of a header accepted on import (after :func:`normalize_header`).
HEADER_ALIASES = {
    "预算年度": "年度",
    "资金总额": "资金总额(万元)",
    "项目金额(万元)": "资金总额(万元)",
    "项目资金总额(万元)": "资金总额(万元)",
    "三级指标名称": "三级指标",
    "指标值说明(计算公式)": "指标值说明",
    "权重": "分值",
    "指标分值": "分值",
}

# 项目类型 as published tables write it ↔ ProjectCategory. The first label of each category is
# what exports write, so an exported file re-imports unchanged.
PROJECT_TYPE_LABELS = {
    ProjectCategory.OPERATING: "其他运转类",
    ProjectCategory.SPECIAL: "特定目标类",
    ProjectCategory.PERSONNEL: "人员类",
}
PROJECT_TYPES = {
    "其他运转类": ProjectCategory.OPERATING,
    "运转类": ProjectCategory.OPERATING,
    "运转类(其他运转类)": ProjectCategory.OPERATING,
    "特定目标类": ProjectCategory.SPECIAL,
    "人员类": ProjectCategory.PERSONNEL,
    **{str(choice.value): choice for choice in ProjectCategory},
}


def normalize_header(text: object) -> str:
    """A header cell compared loosely: full-width to ASCII, no spaces, no required-star."""
    name = unicodedata.normalize("NFKC", "" if text is None else str(text))
    name = "".join(name.split()).strip("*")
    return HEADER_ALIASES.get(name, name)


def project_type_of(label: str) -> str | None:
    """ProjectCategory value of a 项目类型 cell, or None when it is not a known type."""
    return PROJECT_TYPES.get("".join(unicodedata.normalize("NFKC", label).split()))


def plain_decimal(value: Decimal | None) -> Decimal | None:
    """``value`` without trailing zeros and never in exponent form (10.00 → 10, 0.50 → 0.5)."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def amount_text(value: Decimal | None) -> Decimal | None:
    """万元 amounts as tables print them: two places, more only when the cents need them."""
    if value is None:
        return None
    if value == value.quantize(Decimal("0.01")):
        return value.quantize(Decimal("0.01"))
    return plain_decimal(value)


def current_goals(queryset: QuerySet[PerformanceGoal] | None = None) -> QuerySet[PerformanceGoal]:
    """The version of each goal that an import updates and an export shows.

    The open version (draft … dept_approved, returned) when an adjustment is under way, else
    the approved one; superseded versions never. The database allows at most one of each.
    """
    queryset = PerformanceGoal.objects.all() if queryset is None else queryset
    open_version = PerformanceGoal.objects.filter(
        scope=OuterRef("scope"),
        project=OuterRef("project"),
        unit=OuterRef("unit"),
        year=OuterRef("year"),
        status__in=OPEN_STATUSES,
    )
    return queryset.exclude(status=Status.SUPERSEDED).exclude(
        Q(status=Status.APPROVED) & Exists(open_version)
    )


def template_indicators(queryset: QuerySet | None = None) -> QuerySet[Indicator]:
    """Indicators of the current project goals in ``queryset`` (goals or indicators), ready for
    the template: related rows joined and the project's 资金总额 annotated (fixed query count)."""
    if queryset is None:
        indicators = Indicator.objects.all()
    elif queryset.model is PerformanceGoal:
        indicators = Indicator.objects.filter(goal__in=queryset.values("pk"))
    else:
        indicators = queryset
    goals = current_goals(PerformanceGoal.objects.filter(scope=GoalScope.PROJECT))
    return (
        indicators.filter(goal__in=goals.values("pk"))
        .select_related("goal", "goal__unit", "goal__project")
        # Only the template's columns: an export of 300,000 rows otherwise spends most of its
        # time reading timestamps and JSON the template never shows.
        .only(*TEMPLATE_COLUMNS)
        .annotate(project_amount=_project_amount())
        .order_by("goal__unit__code", "goal__year", "goal__project__code", "order", "pk")
    )


TEMPLATE_COLUMNS = (
    "goal",
    "level1",
    "level2",
    "level3",
    "raw_value",
    "explanation",
    "weight",
    "order",
    "goal__year",
    "goal__unit__code",
    "goal__unit__name",
    "goal__project__code",
    "goal__project__name",
    "goal__project__category",
)


def _project_amount() -> Coalesce:
    rows = (
        ProjectBudget.objects.filter(project=OuterRef("goal__project"))
        .order_by()
        .values("project")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(
        Subquery(rows, output_field=DecimalField(max_digits=20, decimal_places=6)), ZERO
    )


class TargetTemplateResource(resources.ModelResource):
    """The flat template: one row per indicator of a project's current goal."""

    year = Field(attribute="goal__year", column_name=HEADER_OF["year"])
    unit_code = Field(attribute="goal__unit__code", column_name=HEADER_OF["unit_code"])
    unit_name = Field(attribute="goal__unit__name", column_name=HEADER_OF["unit_name"])
    project_code = Field(attribute="goal__project__code", column_name=HEADER_OF["project_code"])
    project_name = Field(attribute="goal__project__name", column_name=HEADER_OF["project_name"])
    project_type = Field(column_name=HEADER_OF["project_type"])
    amount = Field(column_name=HEADER_OF["amount"])
    level1 = Field(attribute="level1", column_name=HEADER_OF["level1"])
    level2 = Field(attribute="level2", column_name=HEADER_OF["level2"])
    level3 = Field(attribute="level3", column_name=HEADER_OF["level3"])
    raw_value = Field(attribute="raw_value", column_name=HEADER_OF["raw_value"])
    explanation = Field(attribute="explanation", column_name=HEADER_OF["explanation"])
    weight = Field(attribute="weight", column_name=HEADER_OF["weight"])

    class Meta:
        model = Indicator
        fields = tuple(column.key for column in COLUMNS)
        export_order = tuple(column.key for column in COLUMNS)

    def filter_export(self, queryset, **kwargs):
        return template_indicators(queryset)

    def dehydrate_project_type(self, indicator: Indicator) -> str:
        return PROJECT_TYPE_LABELS.get(indicator.goal.project.category, "")

    def dehydrate_amount(self, indicator: Indicator) -> Decimal | None:
        amount = getattr(indicator, "project_amount", None)
        if amount is None:
            amount = sum(
                (b.amount for b in indicator.goal.project.budgets.all()), start=Decimal("0")
            )
        return amount_text(amount)

    def dehydrate_weight(self, indicator: Indicator) -> Decimal | None:
        return plain_decimal(indicator.weight)

    def template_row(self, indicator: Indicator) -> list:
        """One exported row as Python values (used by the streaming xlsx export)."""
        return self.export_resource(indicator)


# A csv cell that starts with one of these is a formula to Excel and WPS (CSV injection): the
# export prefixes it with an apostrophe, which a spreadsheet shows as plain text, and the csv
# reader of the import takes the apostrophe off again, so "=100%" (a 指标值) round-trips.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def formula_unescaped(value):
    if isinstance(value, str) and value[:1] == "'" and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


class FormulaSafeCSV(base_formats.CSV):
    """CSV export whose text cells never start a spreadsheet formula (see ``formula_safe``)."""

    def export_data(self, dataset, **kwargs):
        safe = tablib.Dataset(headers=dataset.headers, title=dataset.title)
        for row in dataset:
            safe.append([formula_safe(cell) for cell in row])
        return super().export_data(safe, **kwargs)
