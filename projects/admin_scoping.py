"""Admin plumbing shared by both apps: every queryset and choice list scoped to visible units."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from .models import Project, Unit
from .permissions import visible_units


class ScopedAdminMixin:
    """Limit rows to the user's visible units; ``unit_lookup`` is the path to the Unit."""

    unit_lookup = "unit"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        lookup = "pk__in" if self.unit_lookup == "" else f"{self.unit_lookup}__in"
        return queryset.filter(**{lookup: visible_units(request.user)})

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Django redirects to the index for a missing object; an object outside the user's
        # units must look exactly like one that does not exist: a 404.
        raise Http404(f"{opts.verbose_name} {object_id} 不存在或无权访问。")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not request.user.is_superuser:
            if db_field.related_model is Unit:
                kwargs["queryset"] = visible_units(request.user)
            elif db_field.related_model is Project:
                kwargs["queryset"] = Project.objects.filter(
                    unit__in=visible_units(request.user)
                ).select_related("unit")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ScopedInlineMixin(ScopedAdminMixin):
    pass


def is_service_refusal(request) -> bool:
    """Whether an error raised in a change form becomes a message and a reload of the page: only
    while saving (POST). On a GET — the role may not open the page at all — it stays a 403:
    reloading would redirect the page to itself for ever."""
    return request.method == "POST"


def report_service_error(modeladmin: admin.ModelAdmin, request, error: Exception) -> None:
    """Show a service's refusal (validation, permission, stale version) as an admin message."""
    if isinstance(error, ValidationError):
        text = "；".join(
            f"{msg}"
            for msgs in getattr(error, "message_dict", {"": error.messages}).values()
            for msg in msgs
        )
    elif isinstance(error, PermissionDenied):
        text = str(error) or "没有权限执行此操作。"
    else:
        text = str(error)
    modeladmin.message_user(request, text, level=messages.ERROR)


def record_formset_result(formset, *, new, changed, deleted) -> None:
    """Tell the admin's change message what a service-driven inline save did."""
    formset.new_objects, formset.changed_objects, formset.deleted_objects = new, changed, deleted
