"""Performance goals, their indicators and tasks in the admin. Every write goes through a service."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.html import format_html

from projects.admin.scoping import (
    ScopedAdminMixin,
    ServiceErrorsAsMessagesMixin,
    record_formset_result,
)
from projects.admin.versioning import (
    EXPECTED_VERSION,
    MISSING_VERSION,
    VersionedForm,
    without_version,
)
from projects.admin.writes import WritesThroughServices, delete_each
from projects.numbers import PLAIN, figure

from ..field_specs import GOAL, INDICATOR, TASK
from ..models import GoalTask, Indicator, PerformanceGoal
from ..services import goals as goal_services
from .common import render_findings
from .documents import ReviewedDocumentAdmin, may_edit
from .excel import TargetImportExportMixin
from .workflow import GoalWorkflowAdminMixin


class IndicatorInline(admin.TabularInline):
    model = Indicator
    form = VersionedForm
    extra = 0
    fields = [
        "order",
        "level1",
        "level2",
        "level3",
        "raw_value",
        "weight",
        "explanation",
        "parsed_display",
        "findings_display",
        EXPECTED_VERSION,
    ]

    @admin.display(description="解析结果")
    def parsed_display(self, obj):
        if not obj.pk:
            return "—"
        if obj.operator:
            value = figure(obj.target_value, PLAIN, empty="?")
            return f"{obj.get_operator_display()} {value}{obj.target_unit}（{obj.get_direction_display()}）"
        return obj.get_kind_display()

    @admin.display(description="解析提示")
    def findings_display(self, obj):
        return render_findings(obj.findings)

    def has_change_permission(self, request, obj=None):
        return goal_is_editable_by(request, obj) and super().has_change_permission(request, obj)

    has_add_permission = has_change_permission
    has_delete_permission = has_change_permission

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if self.has_change_permission(request, obj) else without_version(fields)

    def get_readonly_fields(self, request, obj=None):
        return spec_read_only(self.fields, INDICATOR.filled)


def spec_read_only(fields, filled) -> list[str]:
    """The shown ``fields`` a row spec does not let the unit fill."""
    return [name for name in fields if name not in (*filled, EXPECTED_VERSION)]


def deleted_row_version(inline_form) -> int:
    """The version a row ticked for deletion was shown with; Django does not validate such rows,
    so a missing one is refused here (a stale row is refused by the service)."""
    version = inline_form.cleaned_data.get(EXPECTED_VERSION)
    if version is None:
        raise ValidationError(MISSING_VERSION, code="version_missing")
    return version


def goal_is_editable_by(request, goal) -> bool:
    """Inline rows of a goal are editable only where the workflow allows this user to edit (a
    new goal's rows are, its add page being for editors)."""
    return goal is None or may_edit(request, goal)


class GoalTaskInline(admin.TabularInline):
    model = GoalTask
    form = VersionedForm
    extra = 0
    fields = ["order", "name", "content", EXPECTED_VERSION]

    def get_readonly_fields(self, request, obj=None):
        return spec_read_only(self.fields, TASK.filled)

    def has_change_permission(self, request, obj=None):
        return goal_is_editable_by(request, obj) and super().has_change_permission(request, obj)

    has_add_permission = has_change_permission
    has_delete_permission = has_change_permission

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if self.has_change_permission(request, obj) else without_version(fields)


@admin.register(PerformanceGoal)
class PerformanceGoalAdmin(TargetImportExportMixin, GoalWorkflowAdminMixin, ReviewedDocumentAdmin):
    spec = GOAL
    add_fields = ("scope", "project", "unit", "year")
    list_display = [
        "year",
        "scope",
        "subject",
        "unit",
        "version",
        "status",
        "indicator_count",
        "error_badge",
        "warning_badge",
    ]
    list_filter = ["year", "scope", "status", "quality_grade", "unit__parent"]
    search_fields = ["project__code", "project__name", "unit__code", "unit__name", "overall_goal"]
    list_select_related = ["project", "unit"]
    autocomplete_fields = ["project", "unit"]
    inlines = [IndicatorInline, GoalTaskInline]
    actions = ["quality_review_selected"]
    fieldsets = [
        (None, {"fields": ["scope", "project", "unit", "year", "version", "previous", "status"]}),
        (
            "目标",
            {"fields": ["overall_goal", "midterm_goal", "adjustment_reason", EXPECTED_VERSION]},
        ),
        (
            "预算情况（整体目标）",
            {
                "fields": [
                    "budget_total",
                    ("budget_government", "budget_fiscal_special", "budget_unit_funds"),
                    ("budget_basic", "budget_project"),
                ],
                "classes": ["collapse"],
            },
        ),
        (
            "审核",
            {
                "fields": [
                    "last_comment",
                    "quality_grade",
                    "quality_findings_display",
                    "quality_checked_at",
                    "submitted_at",
                    "step_entered_at",
                    "approved_at",
                    "created_by",
                    "lock_version",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(indicators_total=Count("indicators"))

    @admin.display(description="项目/单位")
    def subject(self, obj):
        return obj.project.name if obj.project_id else f"{obj.unit.name}（整体）"

    @admin.display(description="指标数", ordering="indicators_total")
    def indicator_count(self, obj):
        return obj.indicators_total

    @admin.display(description="错误")
    def error_badge(self, obj):
        count = obj.error_count
        return format_html('<b style="color:#ba2121">{}</b>', count) if count else "0"

    @admin.display(description="提示")
    def warning_badge(self, obj):
        return obj.warning_count

    @admin.display(description="智能审核结果")
    def quality_findings_display(self, obj):
        return render_findings(obj.quality_findings)

    def save_model(self, request, obj, form, change):
        data = {k: v for k, v in form.cleaned_data.items() if k in GOAL.filled}
        if change:
            goal_services.goal_update(
                goal=obj,
                data=data,
                actor=request.user,
                expected_version=form.cleaned_data.get(EXPECTED_VERSION),
            )
        else:
            saved = goal_services.goal_create(
                scope=obj.scope,
                year=obj.year,
                unit=obj.unit if obj.unit_id else None,
                project=obj.project,
                actor=request.user,
                data=data,
            )
            obj.pk = saved.pk

    def delete_model(self, request, obj):
        goal_services.goal_delete(goal=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        delete_each(queryset, lambda goal: self.delete_model(request, goal))

    def save_formset(self, request, form, formset, change):
        writes = ROW_WRITES.get(formset.model)
        if writes is None:
            super().save_formset(request, form, formset, change)  # refuses a changed row
            return
        name, spec, save, delete = writes
        new, changed, deleted = [], [], []
        for inline_form in formset.deleted_forms:
            if inline_form.instance.pk:
                delete(
                    **{name: inline_form.instance},
                    actor=request.user,
                    expected_version=deleted_row_version(inline_form),
                )
                deleted.append(inline_form.instance)
        for inline_form in formset.forms:
            if not inline_form.has_changed() or inline_form in formset.deleted_forms:
                continue
            data = {
                k: inline_form.cleaned_data[k] for k in spec.filled if k in inline_form.cleaned_data
            }
            existing = inline_form.instance if inline_form.instance.pk else None
            saved = save(
                goal=form.instance,
                data=data,
                actor=request.user,
                **{name: existing},
                expected_version=inline_form.cleaned_data.get(EXPECTED_VERSION),
            )
            changed.append((saved, inline_form.changed_data)) if existing else new.append(saved)
        record_formset_result(formset, new=new, changed=changed, deleted=deleted)


# The goal page's inline rows and the services that write them: (keyword, spec, save, delete).
ROW_WRITES = {
    Indicator: (
        "indicator",
        INDICATOR,
        goal_services.indicator_save,
        goal_services.indicator_delete,
    ),
    GoalTask: ("task", TASK, goal_services.goal_task_save, goal_services.goal_task_delete),
}


@admin.register(Indicator)
class IndicatorAdmin(
    ServiceErrorsAsMessagesMixin,
    TargetImportExportMixin,
    ScopedAdminMixin,
    WritesThroughServices,
    admin.ModelAdmin,
):
    unit_lookup = "goal__unit"
    list_display = [
        "level3",
        "level1",
        "level2",
        "raw_value",
        "operator",
        "target_value",
        "target_unit",
        "kind",
        "weight",
        "findings_display",
        "goal",
    ]
    list_filter = ["category", "kind", "direction", "goal__year", "goal__status"]
    search_fields = ["level3", "raw_value", "goal__project__name", "goal__project__code"]
    list_select_related = ["goal", "goal__project", "goal__unit"]
    # the parsed reading of 指标值 (findings shown as text), never typed
    readonly_fields = [
        *(name if name != "findings" else "findings_display" for name in INDICATOR.computed),
        "lock_version",
    ]
    exclude = ["findings"]
    raw_id_fields = ["goal"]
    form = VersionedForm

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if self.has_change_permission(request, obj) else without_version(fields)

    def get_readonly_fields(self, request, obj=None):
        # An indicator belongs to its goal for good: a new goal means a new indicator there.
        fields = list(super().get_readonly_fields(request, obj))
        return fields if obj is None else [*fields, "goal"]

    @admin.display(description="解析提示")
    def findings_display(self, obj):
        return render_findings(obj.findings)

    def save_model(self, request, obj, form, change):
        data = {k: v for k, v in form.cleaned_data.items() if k in INDICATOR.filled}
        saved = goal_services.indicator_save(
            goal=obj.goal,
            data=data,
            actor=request.user,
            indicator=obj if change else None,
            expected_version=form.cleaned_data.get(EXPECTED_VERSION) if change else None,
        )
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        goal_services.indicator_delete(indicator=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        delete_each(queryset, lambda indicator: self.delete_model(request, indicator))
