"""指标库: the library's entries in the admin — a department's 个性 entries proposed to the
finance bureau, confirmed or returned there, retired (never deleted), revised as new versions.

Every write is a service of ``services.library``; the workflow buttons are the library's rows of
the one workflow table (提交确认, 确认, 退回, 停用/撤销, 修订).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError

from projects.admin.scoping import report_service_error
from projects.admin.versioning import EXPECTED_VERSION, VersionedForm
from projects.choices import ProjectCategory
from projects.permissions import visible_units

from ..field_specs import LIBRARY_ENTRY
from ..models import LibraryEntry
from ..models.library import categories_of, project_category_mask
from ..selectors import library as library_selectors
from ..services import library as library_services
from ..services import workflow
from .documents import ReviewedDocumentAdmin

LIBRARY_SUCCESS = {
    workflow.SUBMIT: "“{obj}”已提交财政确认。",
    workflow.APPROVE: "“{obj}”已确认，可供各单位引用。",
    workflow.RETURN: "“{obj}”已退回，归口单位已收到退回意见。",
    workflow.RETIRE: "“{obj}”已停用（指标不删除，已引用的目标保留原版本）。",
    workflow.REVISE: "已生成新版本“{obj}”（草稿），修改后请提交确认。",
}


class LibraryEntryForm(VersionedForm):
    project_categories = forms.MultipleChoiceField(
        label="适用项目类型",
        choices=ProjectCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="不选表示全部类型。",
    )

    class Meta:
        model = LibraryEntry
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "project_categories" in self.fields:
            self.initial["project_categories"] = categories_of(
                self.instance.project_categories or 0
            )

    def clean_project_categories(self) -> int:
        return project_category_mask(self.cleaned_data.get("project_categories") or [])


@admin.register(LibraryEntry)
class LibraryEntryAdmin(ReviewedDocumentAdmin):
    spec = LIBRARY_ENTRY
    form = LibraryEntryForm
    bulk_review = False  # each confirmation goes through the library's own services
    add_fields = ("unit", "is_common")
    workflow_actions = (
        workflow.SUBMIT,
        workflow.APPROVE,
        workflow.RETURN,
        workflow.RETIRE,
        workflow.REVISE,
    )
    list_display = (
        "code_version",
        "level3",
        "levels",
        "nature_unit",
        "is_common",
        "unit",
        "status",
        "frozen_mark",
    )
    list_display_links = ("code_version", "level3")
    list_filter = ("status", "is_common", "level1", "goal_scope", "category")
    search_fields = ("code", "level1", "level2", "level3")
    list_select_related = ("unit",)
    ordering = ("code", "version")
    fieldsets = [
        (
            "指标",
            {
                "fields": [
                    ("unit", "is_common"),
                    ("level1", "level2"),
                    "level3",
                    ("nature", "measure_unit", "direction"),
                    ("reference_value", "reference_weight"),
                    EXPECTED_VERSION,
                ]
            },
        ),
        ("说明", {"fields": ["explanation", "basis", "scoring_standard"]}),
        (
            "适用范围",
            {"fields": ["is_required", "goal_scope", "project_categories", "function_class"]},
        ),
        (
            "审核",
            {
                "fields": [
                    ("code", "version", "previous"),
                    ("status", "frozen_at"),
                    "last_comment",
                    "retire_reason",
                ]
            },
        ),
    ]

    @admin.display(description="编码·版本", ordering="code")
    def code_version(self, obj: LibraryEntry) -> str:
        return f"{obj.code} v{obj.version}"

    @admin.display(description="一级/二级")
    def levels(self, obj: LibraryEntry) -> str:
        return f"{obj.level1.removesuffix('指标')}·{obj.level2.removesuffix('指标')}"

    @admin.display(description="性质·单位")
    def nature_unit(self, obj: LibraryEntry) -> str:
        return f"{obj.get_nature_display()} {obj.measure_unit}".strip()

    @admin.display(description="冻结")
    def frozen_mark(self, obj: LibraryEntry) -> str:
        return "🔒" if obj.frozen_at else ""

    def get_queryset(self, request):
        return library_selectors.entries_for(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "unit":
            # the owner: a department or the finance bureau the user may write entries for
            kwargs["queryset"] = visible_units(request.user).exclude(kind="unit")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request):
        return library_services.may_write_some_entries(request.user)

    def has_delete_permission(self, request, obj=None):
        return False  # entries are retired, never deleted (superusers too)

    def save_model(self, request, obj, form, change):
        data = {k: form.cleaned_data[k] for k in self.spec.filled if k in form.cleaned_data}
        if change:
            library_services.library_entry_update(
                entry=obj,
                actor=request.user,
                data=data,
                expected_version=form.cleaned_data.get(EXPECTED_VERSION),
            )
            return
        data["is_common"] = form.cleaned_data.get("is_common", False)
        saved = library_services.library_entry_create(
            actor=request.user, owner=form.cleaned_data["unit"], data=data
        )
        obj.pk = saved.pk

    def workflow_context(self, request, obj):
        context = super().workflow_context(request, obj)
        context["workflow_library"] = True  # the buttons say 提交确认 / 确认
        return context

    def run_workflow_action(self, request, obj, action: str):
        """The library's steps through its services (notifications included)."""
        comment = request.POST.get("comment", "")
        expected = request.POST.get("lock_version")
        expected = int(expected) if (expected or "").isdigit() else None
        steps = {
            workflow.SUBMIT: library_services.library_entry_propose,
            workflow.APPROVE: library_services.library_entry_confirm,
            workflow.RETURN: library_services.library_entry_return,
        }
        try:
            if action in steps:
                obj = steps[action](
                    entry=obj, actor=request.user, comment=comment, expected_version=expected
                )
            elif action == workflow.RETIRE:
                obj = library_services.library_entry_retire(
                    entry=obj, actor=request.user, reason=comment, expected_version=expected
                )
            elif action == workflow.REVISE:
                obj = library_services.library_entry_revise(
                    entry=obj, actor=request.user, data={}, reason=comment
                )
            else:
                return self.run_extra_action(request, obj, action)
        except (ValidationError, PermissionDenied) as error:
            report_service_error(self, request, error)
            return obj
        self.message_user(request, LIBRARY_SUCCESS[action].format(obj=obj), messages.SUCCESS)
        return obj
