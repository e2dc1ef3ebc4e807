"""The flat import template as xlsx: exactly the columns an import reads, one row per indicator."""

from __future__ import annotations

from django.db.models import QuerySet

from projects.models import Unit

from ...models import Indicator
from ...resources import COLUMNS, TargetTemplateResource, template_indicators
from .workbook import SheetWriter

WIDTHS = [8, 10, 30, 24, 30, 12, 14, 12, 14, 30, 16, 30, 8]


def write(workbook, *, root: Unit, units: QuerySet[Unit], year: int) -> list[SheetWriter]:
    resource = TargetTemplateResource()
    writer = SheetWriter(
        workbook,
        "绩效目标",
        header=[("header", [column.header for column in COLUMNS])],
        freeze="A2",
        widths=WIDTHS,
    )
    indicators = template_indicators(
        Indicator.objects.filter(goal__unit__in=units.values("pk"), goal__year=year)
    )
    for indicator in indicators.iterator(chunk_size=2000):
        writer.row(resource.template_row(indicator))
    writer.close()
    return [writer]
