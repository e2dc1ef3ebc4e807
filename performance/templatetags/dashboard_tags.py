"""Template filters of the dashboard and the printable tables."""

from __future__ import annotations

from django import template

from projects.numbers import KINDS, PLAIN
from projects.numbers import figure as figure_text

register = template.Library()


@register.filter
def figure(value, kind: str = PLAIN) -> str:
    """A Decimal or int as people write it for ``kind`` (amount, rate, score, plain); "—" for None.

    ``{{ row.budget|figure:"amount" }}`` → 28.00, ``{{ row.rate|figure:"rate" }}`` → 93.46%.
    """
    return figure_text(value, kind if kind in KINDS else PLAIN)
