"""Every admin write goes through a service: the base of every ModelAdmin on the site.

Django's stock ``save_model``, ``delete_model``, ``delete_queryset``, ``save_formset`` and
``save_related`` write the rows themselves — no permission check beyond the model permission,
no ``full_clean``, no audit row. :class:`WritesThroughServices` sits just before
``admin.ModelAdmin`` (or a third-party admin class) in every ModelAdmin's bases and replaces
them with refusals: an admin that lets someone add, change or delete must override the write
with a service call, and one that forgets fails loudly instead of writing around the audit
trail. Inline rows are saved by their parent's ``save_formset``/``save_related``; an inline
whose rows nobody may add, change or delete is a :class:`ReadOnlyInlineMixin`.

``tests/projects/admin/test_writes_through_services.py`` walks ``admin.site._registry``: every
ModelAdmin is one of these, each write a user may make is overridden in this project's code,
and performing it through the admin leaves an audit row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect

from .scoping import record_formset_result, report_service_error
from .technical import TechnicalFieldsMixin


class UnroutedWrite(ImproperlyConfigured):
    """A ModelAdmin tried Django's stock write: it must call a service instead."""

    def __init__(self, model_admin, method: str) -> None:
        super().__init__(
            f"{type(model_admin).__name__}.{method} is not overridden: admin writes must call "
            "a service (projects/admin/writes.py)."
        )


class WritesThroughServices(TechnicalFieldsMixin):
    """Refuse Django's stock writes; a subclass overrides each write it allows with a service.

    ``read_only``: the admin shows rows and nobody adds, changes or deletes them (checked by the
    registry test against its ``has_*_permission``).
    """

    read_only = False

    def save_model(self, request, obj, form, change):
        raise UnroutedWrite(self, "save_model")

    def delete_model(self, request, obj):
        raise UnroutedWrite(self, "delete_model")

    def delete_queryset(self, request, queryset):
        raise UnroutedWrite(self, "delete_queryset")

    def save_formset(self, request, form, formset, change):
        """Inline rows nobody changed need no write; a changed one needs an override."""
        if formset.deleted_forms or any(
            f.has_changed() for f in formset.forms if f not in formset.deleted_forms
        ):
            raise UnroutedWrite(self, "save_formset")
        record_formset_result(formset, new=[], changed=[], deleted=[])

    def save_related(self, request, form, formsets, change):
        """Many-to-many fields are written by ``form.save_m2m()``: only an override may."""
        many = {f.name for f in form._meta.model._meta.many_to_many}
        if many & set(form.changed_data):
            raise UnroutedWrite(self, "save_related")
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    # A service's refusal of a delete or an action (wrong state, a race) is a message on the
    # page, not a 500; the delete page's transaction and ``delete_each`` have rolled back.
    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as error:
            if request.method != "POST":
                raise
            report_service_error(self, request, error)
            return HttpResponseRedirect(request.get_full_path())

    def response_action(self, request, queryset):
        try:
            return super().response_action(request, queryset)
        except ValidationError as error:
            report_service_error(self, request, error)
            return HttpResponseRedirect(request.get_full_path())


class ReadOnlyAdminMixin(WritesThroughServices):
    """Rows written by services elsewhere (the audit trail, the role groups): view only."""

    read_only = True

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInlineMixin:
    """An inline that only shows rows (they are changed on their own screen, by a service)."""

    read_only = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def delete_each(queryset, delete_one: Callable[[Any], None]) -> None:
    """删除所选 (Django's bulk delete action) through a per-object delete service: all or
    nothing, as the delete page is (Django runs the action outside a transaction)."""
    with transaction.atomic():
        for obj in queryset:
            delete_one(obj)
