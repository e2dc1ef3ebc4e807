"""Whole numbers read from a URL or a form, refused rather than crashing the query.

``str.isdigit()`` accepts “²” and “٣”, which ``int()`` refuses or reads; a number past 64
bits is an ``OverflowError`` in SQLite's driver. Both were 500s in the admin.
"""

from __future__ import annotations

BIGINT_MAX = 2**63 - 1


def whole_number(value: object, *, low: int = 0, high: int = BIGINT_MAX) -> int | None:
    """``value`` as an int if it is ASCII digits within ``low``–``high``, else ``None``."""
    text = str(value if value is not None else "").strip()
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if low <= number <= high else None
