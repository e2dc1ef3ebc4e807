"""Number-carrying model fields: each ``DecimalField`` says how people read it.

``AmountField`` (万元), ``RateField`` (%), ``ScoreField`` (scores, weights) and ``PlainFigureField``
(target and actual values, anything else) are ``DecimalField``s that carry a ``figure_kind``: the
admin shows their values through :func:`projects.numbers.figure` (``28.00``, ``93.46%``, ``99.35``)
and their form fields use :class:`FigureInput`, so an input shows ``28.00`` rather than
``28.000000``. ``deconstruct()`` names ``django.db.models.DecimalField``: no migration.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models

from .numbers import AMOUNT, PLAIN, RATE, SCORE, figure


class FigureInput(forms.TextInput):
    """A decimal input showing its value as people write it (no ``28.000000``, no exponent)."""

    def __init__(self, kind: str = PLAIN, attrs: dict[str, Any] | None = None) -> None:
        self.kind = kind
        defaults = {"inputmode": "decimal", "class": f"figure-input figure-{kind}"}
        if kind == AMOUNT:
            defaults["placeholder"] = "0.00"
        super().__init__({**defaults, **(attrs or {})})

    def format_value(self, value: Any) -> str | None:
        """The value in the figure's own form; a rate without its ``%`` so it parses back."""
        if value is None or value == "":
            return None
        if isinstance(value, str):  # what the user typed, shown back unchanged on an error
            return value
        return figure(value, PLAIN if self.kind == RATE else self.kind, empty="")


class FigureField(models.DecimalField):
    """A ``DecimalField`` that knows how people read it (``figure_kind``)."""

    figure_kind = PLAIN

    def formfield(self, **kwargs: Any) -> forms.Field:
        kwargs.setdefault("widget", FigureInput(self.figure_kind))
        return super().formfield(**kwargs)

    def deconstruct(self) -> tuple[str, str, list[Any], dict[str, Any]]:
        """Stored exactly as a ``DecimalField``: changing the kind never needs a migration."""
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DecimalField", args, kwargs


class AmountField(FigureField):
    """An amount in 万元, shown with the budget tables' two places (``28.00``)."""

    figure_kind = AMOUNT


class RateField(FigureField):
    """A percentage, shown as published (``93.46%``, ``100%``)."""

    figure_kind = RATE


class ScoreField(FigureField):
    """A score or weight, shown as published (``99.35``, ``10``)."""

    figure_kind = SCORE


class PlainFigureField(FigureField):
    """A target or actual value: the shortest exact number (``90``, ``0.000001``)."""

    figure_kind = PLAIN
