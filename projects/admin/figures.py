"""Decimals on admin pages as people write them: lists and read-only fields go through ``figure``.

Django's admin prints a ``DecimalField`` with all its stored places (``28.000000``) and a Decimal
returned by a display method in whatever form it has (``9E+1``). ``install()`` (called once from
``PerformanceAdminConfig.ready``) wraps the admin's ``display_for_field``/``display_for_value`` where
the changelist and the read-only fields look them up, so a number field shows through
:func:`projects.numbers.figure` with the field's ``figure_kind`` (``projects.fields``), and a bare
Decimal reads ``PLAIN``. Everything else is Django's own display, unchanged.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.admin import helpers, utils
from django.contrib.admin.templatetags import admin_list
from django.db import models

from ..numbers import PLAIN, figure

_django_display_for_field = utils.display_for_field
_django_display_for_value = utils.display_for_value


def display_for_field(value: Any, field: Any, empty_value_display: str, avoid_link: bool = False):
    """Django's ``display_for_field``, with a decimal field's value shown through ``figure``."""
    if (
        isinstance(field, models.DecimalField)
        and not getattr(field, "flatchoices", None)
        and value not in field.empty_values
    ):
        return figure(value, getattr(field, "figure_kind", PLAIN))
    return _django_display_for_field(value, field, empty_value_display, avoid_link=avoid_link)


def display_for_value(value: Any, empty_value_display: str, boolean: bool = False):
    """Django's ``display_for_value``, with a Decimal shown through ``figure`` (never ``9E+1``)."""
    if isinstance(value, Decimal) and not boolean:
        return figure(value, PLAIN)
    return _django_display_for_value(value, empty_value_display, boolean=boolean)


def install() -> None:
    """Point the changelist and the read-only fields at the functions above (idempotent)."""
    for module in (helpers, admin_list):
        module.display_for_field = display_for_field
        module.display_for_value = display_for_value
