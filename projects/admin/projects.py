"""Projects, their budgets and execution records in the admin; writes through the services."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin
from django.utils.html import format_html

from ..models import ExecutionRecord, Project, ProjectBudget
from ..selectors import projects_with_figures
from ..services import projects as project_services
from .scoping import ScopedAdminMixin, ServiceErrorsAsMessagesMixin, record_formset_result
from .versioning import EXPECTED_VERSION, VersionedForm, without_version
from .writes import WritesThroughServices, delete_each


class BudgetForm(forms.ModelForm):
    """A new budget row's amounts start empty (a “0” to type over invited “05.5”): 年初预算 left
    empty is 0 as before, 调整后预算 left empty is the 年初预算 (``project_set_budget``'s default)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            return
        for name, placeholder in (("amount", "0"), ("adjusted_amount", "同年初预算")):
            if name in self.fields:
                self.fields[name].required = False
                self.fields[name].initial = None
                self.initial[name] = None
                self.fields[name].widget.attrs["placeholder"] = placeholder

    def clean(self):
        cleaned = super().clean()
        new = self.instance.pk is None and "amount" in self.fields
        if new and "amount" not in self.errors and cleaned.get("amount") is None:
            cleaned["amount"] = Decimal("0")
        return cleaned


class ProjectBudgetInline(admin.TabularInline):
    model = ProjectBudget
    form = BudgetForm
    extra = 0


class ExecutionRecordInline(admin.TabularInline):
    model = ExecutionRecord
    extra = 0
    fields = ["date", "amount", "fund_source", "note", "created_by"]
    readonly_fields = ["created_by"]


@admin.register(Project)
class ProjectAdmin(
    ServiceErrorsAsMessagesMixin, ScopedAdminMixin, WritesThroughServices, admin.ModelAdmin
):
    # Fits 1366 px: the 21-digit code sits under the name, 单位 is its code (name as a
    # tooltip), 新增/延续 is a filter.
    list_display = [
        "name_and_code",
        "unit_code",
        "year",
        "category",
        "budget_adjusted_display",
        "executed_display",
        "rate_display",
    ]
    list_filter = ["year", "category", "continuity", "unit__parent"]
    search_fields = ["code", "name", "unit__code", "unit__name", "leader"]
    autocomplete_fields = ["unit"]
    readonly_fields = ["lock_version", "created_at", "updated_at"]
    inlines = [ProjectBudgetInline, ExecutionRecordInline]
    form = VersionedForm
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "code",
                    "name",
                    "unit",
                    "year",
                    "category",
                    "continuity",
                    EXPECTED_VERSION,
                ]
            },
        ),
        (
            "实施与联系人",
            {"fields": ["period_start", "period_end", "leader", "phone", "managing_office"]},
        ),
        ("概况与依据", {"fields": ["overview", "basis"]}),
        (
            "系统信息",
            {"fields": ["lock_version", "created_at", "updated_at"], "classes": ["collapse"]},
        ),
    ]

    def get_queryset(self, request):
        return projects_with_figures(super().get_queryset(request))

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and self.has_change_permission(request, obj):
            return fieldsets
        return [
            (name, {**opts, "fields": without_version(opts["fields"])}) for name, opts in fieldsets
        ]

    @admin.display(description="项目名称", ordering="name")
    def name_and_code(self, obj):
        return format_html('{}<span class="second-line">{}</span>', obj.name, obj.code)

    @admin.display(description="单位", ordering="unit__code")
    def unit_code(self, obj):
        return format_html('<span title="{}">{}</span>', obj.unit.name, obj.unit.code)

    @admin.display(description="全年预算（万元）", ordering="budget_adjusted")
    def budget_adjusted_display(self, obj):
        return obj.budget_adjusted

    @admin.display(description="已执行（万元）", ordering="executed")
    def executed_display(self, obj):
        return obj.executed

    @admin.display(description="执行率")
    def rate_display(self, obj):
        if not obj.budget_adjusted:
            return "—"
        return f"{obj.executed * 100 / obj.budget_adjusted:.2f}%"

    def save_model(self, request, obj, form, change):
        data = {
            k: form.cleaned_data[k]
            for k in project_services.PROJECT_FIELDS
            if k in form.cleaned_data
        }
        saved = project_services.project_save(
            data=data,
            actor=request.user,
            project=obj if change else None,
            expected_version=form.cleaned_data.get(EXPECTED_VERSION) if change else None,
        )
        obj.pk, obj.lock_version = saved.pk, saved.lock_version

    def delete_model(self, request, obj):
        project_services.project_delete(project=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        delete_each(queryset, lambda project: self.delete_model(request, project))

    def save_formset(self, request, form, formset, change):
        project = form.instance
        new, changed, deleted = [], [], []
        for inline_form in formset.forms:
            instance = inline_form.instance
            if inline_form in formset.deleted_forms:
                if instance.pk and formset.model is ProjectBudget:
                    project_services.project_budget_delete(budget=instance, actor=request.user)
                elif instance.pk:
                    project_services.execution_delete(record=instance, actor=request.user)
                deleted.append(instance)
                continue
            if not inline_form.has_changed():
                continue
            row = inline_form.cleaned_data
            (
                changed.append((instance, inline_form.changed_data))
                if instance.pk
                else new.append(instance)
            )
            if formset.model is ProjectBudget:
                project_services.project_set_budget(
                    project=project,
                    fund_source=row["fund_source"],
                    amount=row["amount"],
                    adjusted_amount=row["adjusted_amount"],
                    actor=request.user,
                )
            elif instance.pk:
                project_services.execution_update(record=instance, data=row, actor=request.user)
            else:
                project_services.execution_add(
                    project=project,
                    date=row["date"],
                    amount=row["amount"],
                    fund_source=row.get("fund_source", ""),
                    note=row.get("note", ""),
                    actor=request.user,
                )
        record_formset_result(formset, new=new, changed=changed, deleted=deleted)


@admin.register(ProjectBudget)
class ProjectBudgetAdmin(ScopedAdminMixin, WritesThroughServices, admin.ModelAdmin):
    unit_lookup = "project__unit"
    form = BudgetForm
    list_display = ["project", "fund_source", "amount", "adjusted_amount"]
    list_filter = ["fund_source", "project__year"]
    search_fields = ["project__code", "project__name"]
    list_select_related = ["project"]
    autocomplete_fields = ["project"]

    def get_readonly_fields(self, request, obj=None):
        # A budget row belongs to its project: another project's budget is a new row there.
        fields = list(super().get_readonly_fields(request, obj))
        return fields if obj is None else [*fields, "project"]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            project_services.project_budget_update(
                budget=obj,
                data={k: data[k] for k in ("fund_source", *project_services.BUDGET_FIELDS)},
                actor=request.user,
            )
            return
        saved = project_services.project_set_budget(
            project=data["project"],
            fund_source=data["fund_source"],
            amount=data["amount"],
            adjusted_amount=data["adjusted_amount"],
            actor=request.user,
        )
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        project_services.project_budget_delete(budget=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        delete_each(queryset, lambda budget: self.delete_model(request, budget))


@admin.register(ExecutionRecord)
class ExecutionRecordAdmin(ScopedAdminMixin, WritesThroughServices, admin.ModelAdmin):
    unit_lookup = "project__unit"
    list_display = ["project", "date", "amount", "fund_source", "note", "created_by"]
    list_filter = ["fund_source", "project__year", "date"]
    search_fields = ["project__code", "project__name", "note"]
    list_select_related = ["project", "created_by"]
    autocomplete_fields = ["project"]
    date_hierarchy = "date"
    # The feed's identity fields are the import's (issue 18): shown, never typed in.
    readonly_fields = ["created_by", "created_at", "batch", "source", "source_row_id", "reverses"]

    def has_change_permission(self, request, obj=None):
        # A record of an imported batch is read-only (corrected by a reversal row).
        if obj is not None and obj.batch_id:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.batch_id:
            return False
        return super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        # ``execution_update`` corrects date, amount, source and note; the project stays.
        fields = list(super().get_readonly_fields(request, obj))
        return fields if obj is None else [*fields, "project"]

    def save_model(self, request, obj, form, change):
        if change:
            project_services.execution_update(
                record=obj, data=form.cleaned_data, actor=request.user
            )
            return
        saved = project_services.execution_add(
            project=obj.project,
            date=obj.date,
            amount=obj.amount,
            fund_source=obj.fund_source,
            note=obj.note,
            actor=request.user,
        )
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        project_services.execution_delete(record=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        delete_each(queryset, lambda record: self.delete_model(request, record))
