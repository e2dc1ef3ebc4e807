"""The audit log in the admin: read-only, scoped to the units the user may see."""

from __future__ import annotations

from django.contrib import admin

from ..models import AuditEntry
from .scoping import ScopedAdminMixin
from .writes import ReadOnlyAdminMixin


@admin.register(AuditEntry)
class AuditEntryAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "actor", "action", "transition", "object_repr", "unit", "comment"]
    list_filter = ["action", "content_type", "created_at"]
    search_fields = ["object_repr", "comment", "actor__username", "unit__code"]
    list_select_related = ["actor", "unit", "content_type"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in AuditEntry._meta.fields]
