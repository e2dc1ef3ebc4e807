"""Template filters of the dashboard and the printable tables."""

from __future__ import annotations

from django import template

from ..admin.dashboard.charts import format_figure

register = template.Library()


@register.filter
def figure(value) -> str:
    """A Decimal or int as published (93.46, 100, 0.5); "—" for None."""
    return format_figure(value)
