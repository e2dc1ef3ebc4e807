"""Units (the 单位 tree) in the admin, scoped to what the user may see; writes through
``services.units``."""

from __future__ import annotations

from django.contrib import admin

from ..models import Unit
from ..services import units as unit_services
from .accounts import MembershipInline  # also registers users, memberships, groups …
from .scoping import ScopedAdminMixin
from .writes import WritesThroughServices, delete_each


@admin.register(Unit)
class UnitAdmin(ScopedAdminMixin, WritesThroughServices, admin.ModelAdmin):
    unit_lookup = ""
    list_display = ["code", "name", "kind", "parent", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    readonly_fields = ["path", "created_at", "updated_at"]
    inlines = [MembershipInline]

    def save_model(self, request, obj, form, change):
        saved = unit_services.unit_save(
            unit=obj if change else None, data=form.cleaned_data, actor=request.user
        )
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        unit_services.unit_delete(unit=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        delete_each(queryset, lambda unit: self.delete_model(request, unit))
