"""Reading what people type into monitoring reports and self-evaluations: choice codes from
codes or Chinese labels, numbers, indicator ids, and field-level refusals that keep their code."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from ..choices import DeviationCause, Likelihood, QualitativeBand


class FieldProblem(Exception):
    """Input a person must fix: ``field`` of one row, with a Chinese message."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def refuse(errors: Mapping[str, str | list[str]], code: str) -> ValidationError:
    """A field-level ValidationError whose ``code`` is readable as ``error.code`` too (Django
    drops the code of a dict), like the workflow's refusals."""
    error = ValidationError(
        {
            field: [
                ValidationError(m, code=code) for m in (msgs if isinstance(msgs, list) else [msgs])
            ]
            for field, msgs in errors.items()
        }
    )
    error.code = code
    return error


def _choice(value, choices, field: str, what: str) -> str:
    """A choice code from its code or Chinese label (also the label without 保障: 经费 → 经费保障)."""
    text = (value or "").strip() if isinstance(value, str) else value
    if not text:
        return ""
    for code, label in choices:
        if text in (code, label) or (len(text) >= 2 and label.startswith(text)):
            return code
    options = "、".join(label for _, label in choices)
    raise FieldProblem(field, f"无法识别的{what}「{text}」，应为：{options}")


def band_code(value) -> str:
    return _choice(value, QualitativeBand.choices, "band", "完成情况")


def cause_code(value) -> str:
    return _choice(value, DeviationCause.choices, "deviation_cause", "偏差原因")


def likelihood_code(value) -> str:
    return _choice(value, Likelihood.choices, "likelihood", "完成可能性")


def decimal_or_none(value, field: str) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, float):
        value = str(value)
    try:
        number = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError):
        raise FieldProblem(field, f"「{value}」不是有效的数字") from None
    if not number.is_finite():
        raise FieldProblem(field, f"「{value}」不是有效的数字")
    return number


def indicator_id_of(value) -> int | None:
    """An indicator id from an id, its text or an Indicator."""
    value = getattr(value, "pk", value)
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
