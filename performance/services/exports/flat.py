"""The flat import template as xlsx: exactly the columns an import reads, one row per indicator."""

from __future__ import annotations

import io

from django.db.models import QuerySet

from projects.models import Unit

from ...models import Indicator
from ...resources import COLUMNS, TargetTemplateResource, template_indicators
from .workbook import SheetWriter, new_workbook

WIDTHS = [8, 10, 30, 24, 30, 12, 14, 12, 14, 30, 16, 30, 8]


def write(workbook, *, root: Unit, units: QuerySet[Unit], year: int) -> list[SheetWriter]:
    indicators = Indicator.objects.filter(goal__unit__in=units.values("pk"), goal__year=year)
    return [write_indicators(workbook, indicators)]


def write_indicators(workbook, queryset: QuerySet) -> SheetWriter:
    """The template rows of the current project goals in ``queryset`` (goals or indicators)."""
    resource = TargetTemplateResource()
    writer = SheetWriter(
        workbook,
        "绩效目标",
        header=[("header", [column.header for column in COLUMNS])],
        freeze="A2",
        widths=WIDTHS,
    )
    for indicator in template_indicators(queryset).iterator(chunk_size=2000):
        writer.row(resource.template_row(indicator))
    writer.close()
    return writer


def template_xlsx(queryset: QuerySet) -> bytes:
    """The flat template of ``queryset`` as xlsx bytes (the admin's 导出 button)."""
    workbook = new_workbook()
    write_indicators(workbook, queryset)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
