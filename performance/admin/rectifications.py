"""整改任务 (rectification): the list of a user's tasks (overdue ones marked), the task page
where the unit fills 整改措施/整改成效 and uploads evidence, the 提交整改情况 / 验收销号 /
退回重新整改 buttons, and the add page where a reviewer raises a task by hand. Every write
calls ``services.rectifications`` or ``services.workflow``."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html

from projects.admin.versioning import EXPECTED_VERSION
from projects.permissions import RECTIFICATION_RAISERS, holds_any_role

from ..choices import Status
from ..field_specs import RECTIFICATION
from ..models import Rectification
from ..services import rectifications as rectification_services
from .common import with_second_line
from .documents import ReviewedDocumentAdmin

# What the review states mean for a task (the shared codes, the task's own words).
STATUS_WORDS = {
    Status.DRAFT: "整改中",
    Status.SUBMITTED: "待验收",
    Status.APPROVED: "已销号",
    Status.RETURNED: "退回重新整改",
}


@admin.register(Rectification)
class RectificationAdmin(ReviewedDocumentAdmin):
    spec = RECTIFICATION
    add_fields = ("unit", "year", "project", "problem", "requirement", "deadline")
    list_display = [
        "id",
        "year",
        "subject",
        "cause",
        "deadline_display",
        "state",
        "review_by",
    ]
    list_filter = ["year", "cause", "status", "review_by", "unit__parent"]
    search_fields = ["problem", "project__code", "project__name", "unit__code", "unit__name"]
    list_select_related = ["project", "unit"]
    raw_id_fields = ["project"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("unit", "year"),
                    "project",
                    ("cause", "review_by"),
                    ("report", "evaluation", "spot_check"),
                    "problem",
                    "requirement",
                    ("deadline", "state"),
                    ("raised_by", "raised_at"),
                ]
            },
        ),
        ("整改情况（单位填写）", {"fields": ["measures", "result", EXPECTED_VERSION]}),
        (
            "验收",
            {"fields": ["last_comment", "submitted_at", "closed_at", "lock_version"]},
        ),
    ]

    @admin.display(description="项目/单位")
    def subject(self, obj):
        if obj.project_id:
            return with_second_line(obj.project.name, f"{obj.unit.code} {obj.unit.name}")
        return with_second_line(obj.unit.name, obj.unit.code)

    @admin.display(description="整改期限", ordering="deadline")
    def deadline_display(self, obj):
        if obj.status != Status.APPROVED and obj.deadline < timezone.localdate():
            days = (timezone.localdate() - obj.deadline).days
            return format_html(
                '<strong style="color:#ba2121">{}（逾期 {} 天）</strong>', obj.deadline, days
            )
        return obj.deadline

    @admin.display(description="整改状态", ordering="status")
    def state(self, obj):
        return STATUS_WORDS.get(obj.status, obj.get_status_display())

    def has_add_permission(self, request):
        # raised by hand by a 主管部门审核人 or 财政审核人 (the service checks the unit)
        return holds_any_role(request.user, RECTIFICATION_RAISERS) and super().has_add_permission(
            request
        )

    def has_delete_permission(self, request, obj=None):
        return False  # no cancel: a task raised wrongly is accepted with a comment

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": list(self.add_fields)})]
        return super().get_fieldsets(request, obj)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            rectification_services.rectification_update(
                actor=request.user,
                rectification=obj,
                data={k: v for k, v in data.items() if k in RECTIFICATION.filled},
                expected_version=data.get(EXPECTED_VERSION),
            )
            return
        task = rectification_services.rectification_raise(
            actor=request.user,
            unit=data["unit"],
            year=data["year"],
            project=data.get("project"),
            problem=data.get("problem", ""),
            requirement=data.get("requirement", ""),
            deadline=data.get("deadline"),
        )
        obj.pk = obj.id = task.pk
        self.message_user(request, f"已发起“{task}”，已通知该单位。", level=messages.SUCCESS)
