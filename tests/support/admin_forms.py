"""Build the POST data a browser would send for an admin change form, from its GET response."""

from __future__ import annotations

from typing import Any

from django import forms


def _value(bound_field) -> Any:
    value = bound_field.value()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return value


def _fields(form, name: str) -> dict[str, Any]:
    """One field's POST data: a multi-widget field (a split date and time) posts ``name_0``…"""
    bound = form[name]
    widget = bound.field.widget
    if isinstance(widget, forms.MultiWidget):
        parts = widget.decompress(bound.value())
        return {f"{bound.html_name}_{i}": "" if p is None else str(p) for i, p in enumerate(parts)}
    return {bound.html_name: _value(bound)}


def admin_form_data(response, **overrides) -> dict[str, Any]:
    """Every field of the admin form and its inlines as currently shown, plus ``overrides``."""
    form = response.context["adminform"].form
    data: dict[str, Any] = {}
    for name in form.fields:
        data.update(_fields(form, name))
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = _value(management[name])
        for inline_form in formset.forms:
            for name in inline_form.fields:
                data[inline_form.add_prefix(name)] = _value(inline_form[name])
    data.update(overrides)
    return {k: v for k, v in data.items() if v != ""} | {
        k: v for k, v in overrides.items() if v == ""
    }
