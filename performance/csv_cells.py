"""CSV cells that a spreadsheet shows as text: one rule for every csv the service writes or reads.

A cell that starts with one of ``FORMULA_STARTS`` is a formula to Excel and WPS (CSV injection):
every csv export (the admin's 导出, the import template, the figures feed) prefixes it with an
apostrophe, which a spreadsheet shows as plain text, and the import's csv reader takes the
apostrophe off again, so "=100%" (a 指标值) round-trips. Outside the layers: the selectors (the
feed) and the services (imports, exports) both use it.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(value):
    """``value`` as a csv cell a spreadsheet shows as text, never runs as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def formula_unescaped(value):
    """A csv cell as exported by :func:`formula_safe`, back to what was stored."""
    if isinstance(value, str) and value[:1] == "'" and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value
