"""Scoring schemes, scheme assignments, reporting windows, bureaus' review settings and the
working-day calendar in the admin: readable by every user with the view permission, changed only
through ``services.schemes``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied

from projects.admin.scoping import ScopedAdminMixin
from projects.admin.writes import WritesThroughServices, delete_each
from projects.choices import UnitKind
from projects.permissions import (
    administered_units,
    may_manage_bureau_policy,
    may_manage_schemes,
    may_manage_windows,
)

from ..models import (
    BureauPolicy,
    ReportingWindow,
    SchemeAssignment,
    ScoringScheme,
    WorkCalendarDay,
)
from ..services import schemes


class RulesAdminMixin:
    """Schemes, assignments and windows: everyone with the view permission reads them; only
    ``manager(user)`` (a check of ``projects.permissions``, see the README's administration
    matrix) adds, changes and deletes, through the ``save``/``delete`` services."""

    manager: Callable[[Any], bool]
    save_service: Callable[..., Any]
    delete_service: Callable[..., Any]
    object_arg: str

    def has_add_permission(self, request):
        return self.manager(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.manager(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.manager(request.user) and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        fields = schemes.editable_fields(self.model)
        data = {k: v for k, v in form.cleaned_data.items() if k in fields}
        existing = {self.object_arg: obj} if change else {}
        saved = self.save_service(data=data, actor=request.user, **existing)
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        self.delete_service(**{self.object_arg: obj}, actor=request.user)

    def delete_queryset(self, request, queryset):
        delete_each(queryset, lambda obj: self.delete_model(request, obj))


@admin.register(ScoringScheme)
class ScoringSchemeAdmin(RulesAdminMixin, WritesThroughServices, admin.ModelAdmin):
    manager = staticmethod(may_manage_schemes)
    save_service = staticmethod(schemes.scheme_save)
    delete_service = staticmethod(schemes.scheme_delete)
    object_arg = "scheme"
    list_display = [
        "code",
        "name",
        "is_default",
        "execution_weight",
        "weight_fund_management",
        "weight_cost",
        "weight_output",
        "weight_benefit",
        "weight_satisfaction",
        "rate_rounding",
    ]
    list_filter = ["is_default", "rate_rounding", "cost_required"]
    search_fields = ["code", "name"]
    fieldsets = [
        (None, {"fields": ["code", "name", "description", "is_default", "cost_required"]}),
        (
            "分值",
            {
                "fields": [
                    "execution_weight",
                    "weight_fund_management",
                    "weight_cost",
                    "weight_output",
                    "weight_benefit",
                    "weight_satisfaction",
                ]
            },
        ),
        (
            "舍入",
            {
                "fields": [
                    ("rate_rounding", "rate_places"),
                    ("score_rounding", "score_places"),
                    ("total_rounding", "total_places"),
                ]
            },
        ),
        ("等级", {"fields": ["grade_excellent_min", "grade_good_min", "grade_fair_min"]}),
        (
            "预警阈值",
            {
                "fields": [
                    "over_achievement_ratio",
                    "light_red_below",
                    "light_yellow_below",
                    "light_blue_from",
                ]
            },
        ),
    ]


@admin.register(SchemeAssignment)
class SchemeAssignmentAdmin(
    RulesAdminMixin, ScopedAdminMixin, WritesThroughServices, admin.ModelAdmin
):
    manager = staticmethod(may_manage_schemes)
    save_service = staticmethod(schemes.scheme_assignment_save)
    delete_service = staticmethod(schemes.scheme_assignment_delete)
    object_arg = "assignment"
    list_display = ["unit", "scheme", "from_year"]
    list_select_related = ["unit", "scheme"]
    search_fields = ["unit__code", "unit__name", "scheme__name"]
    autocomplete_fields = ["unit"]


@admin.register(ReportingWindow)
class ReportingWindowAdmin(RulesAdminMixin, WritesThroughServices, admin.ModelAdmin):
    manager = staticmethod(may_manage_windows)
    save_service = staticmethod(schemes.window_save)
    delete_service = staticmethod(schemes.window_delete)
    object_arg = "window"
    list_display = ["title", "kind", "year", "opens_on", "closes_on", "lead_days", "is_active"]
    list_filter = ["kind", "year", "is_active"]
    search_fields = ["title"]


@admin.register(BureauPolicy)
class BureauPolicyAdmin(WritesThroughServices, admin.ModelAdmin):
    """A finance bureau's 审核设置: read by everyone like the schemes (whether items go through
    单位内部审核 and when a step escalates concern every unit below it), changed only by that
    bureau's own 管理员 (``may_manage_bureau_policy``) through ``services.schemes``."""

    list_display = ["bureau", "unit_review_label", "escalation_working_days", "updated_at"]
    list_select_related = ["bureau"]
    fields = ["bureau", "unit_review_required", "escalation_working_days"]

    @admin.display(description="单位内部审核")
    def unit_review_label(self, obj: BureauPolicy) -> str:
        return "开启" if obj.unit_review_required else "关闭"

    def get_readonly_fields(self, request, obj=None):
        return ["bureau"] if obj is not None else []

    def has_add_permission(self, request):
        return may_manage_bureau_policy(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        bureau = obj.bureau if obj is not None else None
        allowed = may_manage_bureau_policy(request.user, bureau)
        return allowed and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # a bureau's settings are changed, never removed

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "bureau" and not request.user.is_superuser:
            kwargs["queryset"] = administered_units(request.user).filter(
                kind=UnitKind.FINANCE, review_policy__isnull=True
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        fields = schemes.editable_fields(BureauPolicy)
        data = {k: v for k, v in form.cleaned_data.items() if k in fields and k != "bureau"}
        bureau = obj.bureau if change else form.cleaned_data["bureau"]
        saved = schemes.bureau_policy_save(
            bureau=bureau, data=data, actor=request.user, policy=obj if change else None
        )
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        raise PermissionDenied("审核设置不能删除，请修改其内容。")

    def delete_queryset(self, request, queryset):
        raise PermissionDenied("审核设置不能删除，请修改其内容。")


@admin.register(WorkCalendarDay)
class WorkCalendarDayAdmin(RulesAdminMixin, WritesThroughServices, admin.ModelAdmin):
    """Holidays and 调休 working days, from the State Council's notice each December."""

    manager = staticmethod(may_manage_windows)
    save_service = staticmethod(schemes.calendar_day_save)
    delete_service = staticmethod(schemes.calendar_day_delete)
    object_arg = "day"
    list_display = ["date", "kind_label", "name"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"
    search_fields = ["name"]

    @admin.display(description="放假/上班", ordering="is_workday")
    def kind_label(self, obj: WorkCalendarDay) -> str:
        return "上班" if obj.is_workday else "放假"
