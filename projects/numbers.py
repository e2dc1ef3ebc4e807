"""Numbers as people write them: the one place every screen, printed table and message formats a figure.

``figure(value, kind)`` never writes an exponent, never rounds (stored values are already rounded by
the scheme) and drops the trailing zeros the published tables do not print. Amounts keep the two
places of the budget tables (万元, ``6656.23``); rates and scores read as published (``93.46%``,
``99.35``). The API stays machine-shaped and does not use this module.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

AMOUNT = "amount"
RATE = "rate"
SCORE = "score"
PLAIN = "plain"
KINDS = (AMOUNT, RATE, SCORE, PLAIN)

NONE_SHOWN = "—"
AMOUNT_PLACES = 2


def _decimal(value: Decimal | int | float | str) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        # repr of a float is its shortest exact decimal (0.1 → "0.1", not 0.1000000000000000055…)
        return Decimal(repr(value))
    return Decimal(str(value).strip())


def _plain(number: Decimal) -> str:
    """The shortest exact positional form: 28.000000 → 28, 9E+1 → 90, 0.000001 → 0.000001."""
    text = format(number, "f")  # positional and exact: no context precision, no rounding
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def figure(
    value: Decimal | int | float | str | None, kind: str = PLAIN, *, empty: str = NONE_SHOWN
) -> str:
    """``value`` as people write it for ``kind`` (AMOUNT, RATE, SCORE or PLAIN); None → ``empty``.

    Text that is not a number (a target written as words) is returned unchanged.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown figure kind {kind!r}")
    if value is None or value == "":
        return empty
    if isinstance(value, bool):
        return "是" if value else "否"
    try:
        number = _decimal(value)
    except (InvalidOperation, ValueError):
        return str(value)
    if not number.is_finite():
        return str(value)
    text = _plain(number)
    if kind == RATE:
        return f"{text}%"
    if kind == AMOUNT:
        whole, _, places = text.partition(".")
        if len(places) < AMOUNT_PLACES:
            places = places.ljust(AMOUNT_PLACES, "0")
        return f"{whole}.{places}"
    return text
