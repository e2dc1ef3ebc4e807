"""The flat import template as rows: exactly the columns an import reads, one row per indicator.

The columns are the import's (``imports.columns.COLUMNS``); :func:`template_row` gives each
its value, and every writer of the template uses it: the xlsx here (the admin's 导出 button,
``export_table(kind="targets_flat")``) and the admin's csv (``performance.resources``).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from projects.models import ProjectBudget, Unit
from projects.selectors import ZERO

from ...choices import GoalScope
from ...field_specs import PERIOD_FIELDS
from ...models import Indicator, PerformanceGoal
from ...selectors.versions import current_goals
from ..imports.columns import (
    PERIOD_COLUMNS,
    PERIOD_KEYS,
    PERIOD_LABELS,
    PROJECT_TYPE_LABELS,
    TEMPLATE_COLUMNS,
    UNIT_COLUMNS,
    Column,
)
from .workbook import SheetWriter, new_workbook

WIDTHS = [8, 10, 30, 24, 30, 12, 14, 12, 14, 30, 16, 30, 8]
PERIOD_WIDTHS = [10, 12, 12, 12, 12]

# What the template reads of an indicator: an export of 300,000 rows otherwise spends most of
# its time reading timestamps and JSON the template never shows.
TEMPLATE_FIELDS = (
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
    *PERIOD_FIELDS,
)


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


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _amount(indicator: Indicator) -> Decimal | None:
    amount = getattr(indicator, "project_amount", None)
    if amount is None:  # an indicator not read through template_indicators
        amount = sum((b.amount for b in indicator.goal.project.budgets.all()), start=Decimal(0))
    return amount_text(amount)


# Each column's value; text as text (a 年度 cell is "2022", as the published files have it).
VALUES: dict[str, Callable[[Indicator], Any]] = {
    "year": lambda i: _text(i.goal.year),
    "unit_code": lambda i: _text(i.goal.unit.code),
    "unit_name": lambda i: _text(i.goal.unit.name),
    "project_code": lambda i: _text(i.goal.project.code),
    "project_name": lambda i: _text(i.goal.project.name),
    "project_type": lambda i: PROJECT_TYPE_LABELS.get(i.goal.project.category, ""),
    "amount": _amount,
    "level1": lambda i: _text(i.level1),
    "level2": lambda i: _text(i.level2),
    "level3": lambda i: _text(i.level3),
    "raw_value": lambda i: _text(i.raw_value),
    "explanation": lambda i: _text(i.explanation),
    "weight": lambda i: plain_decimal(i.weight),
    "period": lambda i: PERIOD_LABELS.get((i.period_kind, i.period_mode), ""),
    **{key: (lambda i, key=key: plain_decimal(getattr(i, key))) for key in PERIOD_KEYS[1:]},
}


def template_row(indicator: Indicator, columns: tuple[Column, ...] = TEMPLATE_COLUMNS) -> list:
    """One indicator as a template row, in the order of ``columns`` (the period-plan columns
    only where :func:`template_columns` says so)."""
    return [VALUES[column.key](indicator) for column in columns]


def template_columns(indicators: QuerySet[Indicator], base: tuple[Column, ...]) -> tuple:
    """``base``, with 分期方式 and 第1–4期目标值 when any of ``indicators`` has a period plan.

    Only then: a file without plans keeps the published tables' columns (and re-importing it
    leaves plans alone, as absent columns do); one with plans carries them all, blanks for the
    indicators without one (re-importing it leaves those without one).
    """
    if not indicators.exclude(period_kind="").exists():
        return base
    return (*base, *PERIOD_COLUMNS)


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
        .only(*TEMPLATE_FIELDS)
        .annotate(project_amount=_project_amount())
        .order_by("goal__unit__code", "goal__year", "goal__project__code", "order", "pk")
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


def write(workbook, *, root: Unit, units: QuerySet[Unit], year: int) -> list[SheetWriter]:
    indicators = Indicator.objects.filter(goal__unit__in=units.values("pk"), goal__year=year)
    return [write_indicators(workbook, indicators)]


def write_indicators(workbook, queryset: QuerySet) -> SheetWriter:
    """The template rows of the current project goals in ``queryset`` (goals or indicators)."""
    indicators = template_indicators(queryset)
    columns = template_columns(indicators, TEMPLATE_COLUMNS)
    widths = WIDTHS + PERIOD_WIDTHS[: len(columns) - len(TEMPLATE_COLUMNS)]
    writer = SheetWriter(
        workbook,
        "绩效目标",
        header=[("header", [column.header for column in columns])],
        freeze="A2",
        widths=widths,
    )
    for indicator in indicators.iterator(chunk_size=2000):
        writer.row(template_row(indicator, columns))
    writer.close()
    return writer


def template_xlsx(queryset: QuerySet) -> bytes:
    """The flat template of ``queryset`` as xlsx bytes (the admin's 导出 button)."""
    workbook = new_workbook()
    write_indicators(workbook, queryset)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- the 整体 flat layout (issue 18): the unit goals' indicators, no project columns ----------

UNIT_WIDTHS = [8, 10, 30, 14, 16, 30, 16, 40, 8]


def unit_template_row(indicator: Indicator, columns: tuple[Column, ...] = UNIT_COLUMNS) -> list:
    """One 整体 indicator as a row of the 整体 layout, in the order of ``columns``."""
    return [VALUES[column.key](indicator) for column in columns]


def write_unit(workbook, *, root: Unit, units: QuerySet[Unit], year: int) -> list[SheetWriter]:
    """The current 整体 goals of ``units`` in ``year`` as the 整体 flat layout (re-imports
    unchanged through the target import)."""
    goals = current_goals(
        PerformanceGoal.objects.filter(scope=GoalScope.UNIT, unit__in=units.values("pk"), year=year)
    )
    indicators = (
        Indicator.objects.filter(goal__in=goals.values("pk"))
        .select_related("goal", "goal__unit")
        .order_by("goal__unit__code", "order", "pk")
    )
    columns = template_columns(indicators, UNIT_COLUMNS)
    writer = SheetWriter(
        workbook,
        "整体绩效目标",
        header=[("header", [column.header for column in columns])],
        freeze="A2",
        widths=UNIT_WIDTHS + PERIOD_WIDTHS[: len(columns) - len(UNIT_COLUMNS)],
    )
    for indicator in indicators.iterator(chunk_size=2000):
        writer.row(unit_template_row(indicator, columns))
    writer.close()
    return [writer]
