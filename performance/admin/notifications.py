"""Notifications in the admin: read/unread per user, through ``notifications.mark_read`` /
``mark_unread``; opening one (its page, or its title in the list: ``<id>/open/``, which goes on
to its object) marks it read. Nobody edits one; superusers may delete them
(``notifications.notification_delete``, audited)."""

from __future__ import annotations

from django.contrib import admin
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html

from projects.admin.params import whole_number
from projects.admin.writes import WritesThroughServices, delete_each

from ..models import Notification
from ..services import notifications as notification_services


class ReadFilter(admin.SimpleListFilter):
    title = "阅读状态"
    parameter_name = "read"

    def lookups(self, request, model_admin):
        return [("no", "未读"), ("yes", "已读")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(read_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(read_at__isnull=False)
        return queryset


class MineFilter(admin.SimpleListFilter):
    """Superusers see everyone's notifications; this narrows the list to their own."""

    title = "接收人"
    parameter_name = "mine"

    def lookups(self, request, model_admin):
        return [("1", "只看我的")] if request.user.is_superuser else []

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(recipient=request.user)
        return queryset


@admin.register(Notification)
class NotificationAdmin(WritesThroughServices, admin.ModelAdmin):
    list_display = ["read_state", "title_link", "kind", "unit", "created_at"]
    list_display_links = None
    list_filter = [ReadFilter, MineFilter, "kind"]
    search_fields = ["title", "body", "recipient__username"]
    list_select_related = ["recipient", "unit"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Notification._meta.fields]
    actions = ["mark_read", "mark_unread"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.filter(recipient=request.user)

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if request.user.is_superuser:
            columns.insert(2, "recipient")
            columns[columns.index("title_link")] = self._title_for(request.user.pk)
        return columns

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # written by the services that notify; the reader only marks it read

    def delete_model(self, request, obj):
        notification_services.notification_delete(notification=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        delete_each(queryset, lambda notification: self.delete_model(request, notification))

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Someone else's notification must look exactly like a missing one.
        raise Http404(f"通知 {object_id} 不存在或无权访问。")

    @admin.display(description="状态", ordering="read_at")
    def read_state(self, obj):
        if obj.read_at is None:
            return format_html('<strong style="color:#ba2121">{}</strong>', "未读")
        return "已读"

    @admin.display(description="标题", ordering="title")
    def title_link(self, obj):
        url = reverse("admin:performance_notification_open", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.title)

    def _title_for(self, viewer_id: int):
        """The title column for one viewer: his own notice opens (and reads) it and goes on to
        its object; a superuser looking at someone else's sees it without marking it read."""

        @admin.display(description="标题", ordering="title")
        def title_link(obj):
            if obj.recipient_id == viewer_id:
                return self.title_link(obj)
            url = reverse("admin:performance_notification_change", args=[obj.pk])
            return format_html('<a href="{}">{}</a>', url, obj.title)

        return title_link

    def get_urls(self):
        opened = path(
            "<path:object_id>/open/",
            self.admin_site.admin_view(self.open_view),
            name="performance_notification_open",
        )
        return [opened, *super().get_urls()]

    def open_view(self, request, object_id):
        """Read the notification and go to what it is about (a path on this site only)."""
        notification_id = whole_number(object_id)
        try:
            if notification_id is None:
                raise Notification.DoesNotExist
            target = notification_services.open_notification(
                user=request.user, notification_id=notification_id
            )
        except Notification.DoesNotExist:
            raise Http404(f"通知 {object_id} 不存在或无权访问。") from None
        return HttpResponseRedirect(target)

    @admin.action(description="标记为已读")
    def mark_read(self, request, queryset):
        count = notification_services.mark_read(
            user=request.user, notification_ids=queryset.values_list("pk", flat=True)
        )
        self.message_user(request, f"已将 {count} 条通知标记为已读（只处理发给您本人的通知）。")

    @admin.action(description="标记为未读")
    def mark_unread(self, request, queryset):
        count = notification_services.mark_unread(
            user=request.user, notification_ids=queryset.values_list("pk", flat=True)
        )
        self.message_user(request, f"已将 {count} 条通知标记为未读（只处理发给您本人的通知）。")

    def changelist_view(self, request, extra_context=None):
        unread = notification_services.unread_count(request.user)
        extra_context = {"title": f"我的通知（未读 {unread} 条）", **(extra_context or {})}
        return super().changelist_view(request, extra_context=extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Opening one's own notification reads it, as in any inbox.
        notification_id = whole_number(object_id)
        if request.method == "GET" and notification_id is not None:
            notification_services.mark_read(user=request.user, notification_ids=[notification_id])
        return super().change_view(request, object_id, form_url, extra_context)
