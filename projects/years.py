"""The budget years the service accepts: one declaration read by the models' check constraints and
validators, the admin forms, the API serializers and the import readers."""

from __future__ import annotations

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q

FIRST_YEAR = 2000
LAST_YEAR = 2100


def year_validators() -> list:
    """Model-field validators for a budget year."""
    return [MinValueValidator(FIRST_YEAR), MaxValueValidator(LAST_YEAR)]


def year_in_range(field: str = "year") -> Q:
    """The check-constraint condition for a budget-year column."""
    return Q(**{f"{field}__gte": FIRST_YEAR}) & Q(**{f"{field}__lte": LAST_YEAR})


def is_budget_year(value: object) -> bool:
    """Whether ``value`` is an int inside the accepted range (bools are not years)."""
    return (
        isinstance(value, int) and not isinstance(value, bool) and FIRST_YEAR <= value <= LAST_YEAR
    )


def year_out_of_range_message(year: object = None) -> str:
    """The sentence a person reads when a year is not one the service accepts."""
    given = f"年度 {year} 超出范围，" if year not in (None, "") else "年度"
    return f"{given}应为 {FIRST_YEAR} 至 {LAST_YEAR} 之间的整数。"


def year_form_field(**kwargs) -> forms.IntegerField:
    """An admin form field for a budget year."""
    kwargs.setdefault("label", "年度")
    return forms.IntegerField(min_value=FIRST_YEAR, max_value=LAST_YEAR, **kwargs)
