"""The writes the admin registry offers a user, for the tests that check each goes through a
service (``tests/projects/admin/test_writes_through_services.py``, ``…/test_admin_writes_audited.py``)."""

from __future__ import annotations

from django.contrib import admin
from django.test import RequestFactory


def label_of(model) -> str:
    return f"{model._meta.app_label}.{model._meta.object_name}"


def registry_writes(user) -> set[tuple[str, str]]:
    """``(model label, kind)`` of every write the admin lets ``user`` attempt: ``add``,
    ``change``, ``delete``, ``action:<name>``, ``inline:<model>``."""
    request = RequestFactory().get("/admin/")
    request.user = user
    kinds = set()
    for model, model_admin in admin.site._registry.items():
        label = label_of(model)
        if model_admin.has_add_permission(request):
            kinds.add((label, "add"))
        if model_admin.has_change_permission(request):
            kinds.add((label, "change"))
        if model_admin.has_delete_permission(request):
            kinds.add((label, "delete"))
        for name in model_admin.get_actions(request):
            kinds.add((label, f"action:{name}"))
        for inline in model_admin.inlines:  # every inline, also those shown only on a change
            if not getattr(inline, "read_only", False):
                kinds.add((label, f"inline:{inline.model._meta.model_name}"))
    return kinds
