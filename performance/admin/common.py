"""Shared plumbing of the monitoring and self-evaluation admins: badges, the stale-write guard,
read-only unless the workflow allows editing, the 计算 button and service errors as messages."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from projects.admin.scoping import (
    ScopedAdminMixin,
    is_service_refusal,
    record_formset_result,
    report_service_error,
)
from projects.admin.writes import WritesThroughServices

from ..choices import Grade, Light
from ..services import workflow
from .workflow import WorkflowAdminMixin

LIGHT_COLOURS = {
    Light.GREEN: "#2e7d32",
    Light.YELLOW: "#e0a800",
    Light.RED: "#c62828",
    Light.BLUE: "#1565c0",
}
GRADE_COLOURS = {
    Grade.EXCELLENT: "#2e7d32",
    Grade.GOOD: "#1565c0",
    Grade.FAIR: "#e0a800",
    Grade.POOR: "#c62828",
}
BADGE = (
    '<span class="{}" style="display:inline-block;min-width:2.5em;padding:1px 8px;'
    'border-radius:9px;color:#fff;background:{};text-align:center;white-space:nowrap">{}</span>'
)


def light_badge(value: str) -> str:
    if not value:
        return "—"
    return format_html(
        BADGE, f"light-badge light-{value}", LIGHT_COLOURS[value], Light(value).label
    )


def grade_badge(value: str) -> str:
    if not value:
        return "—"
    return format_html(
        BADGE, f"grade-badge grade-{value}", GRADE_COLOURS[value], Grade(value).label
    )


SEVERITY_STYLE = {"error": "color:#ba2121;font-weight:bold"}
OTHER_SEVERITY_STYLE = "color:#8a6d00"


def render_findings(findings) -> str:
    """The parser's or the review's findings, one line each; errors in bold red."""
    if not findings:
        return "—"
    return format_html_join(
        "",
        '<div style="{}">{}</div>',
        (
            (SEVERITY_STYLE.get(f.get("severity"), OTHER_SEVERITY_STYLE), f.get("message", ""))
            for f in findings
        ),
    )


def can_edit(request, obj) -> bool:
    """Only where the workflow lets this user edit (draft/returned, unit staff)."""
    return obj is not None and workflow.EDIT in workflow.allowed_actions(obj, request.user)


class ServiceSavingAdmin(
    WorkflowAdminMixin, ScopedAdminMixin, WritesThroughServices, admin.ModelAdmin
):
    """Shared plumbing: read-only unless editable, 计算 button, service errors as messages."""

    compute_label = "计算"

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or can_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and self.has_change_permission(request, obj):
            return fieldsets
        return [
            (name, {**opts, "fields": [f for f in opts["fields"] if f != "expected_version"]})
            for name, opts in fieldsets
        ]

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/compute/",
                self.admin_site.admin_view(self.compute_view),
                name="{}_{}_compute".format(*info),
            ),
            *super().get_urls(),
        ]

    def workflow_context(self, request, obj) -> dict[str, Any]:
        context = super().workflow_context(request, obj)
        context["compute_url"] = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_compute", args=[obj.pk]
        )
        return context

    def compute_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self.get_object(request, unquote(object_id))
        if obj is None or not self.has_view_or_change_permission(request, obj):
            raise Http404(f"{self.opts.verbose_name} {object_id} 不存在或无权访问。")
        try:
            obj = self.compute(request, obj)
        except (ValidationError, PermissionDenied) as error:
            report_service_error(self, request, error)
        else:
            self.message_user(request, self.computed_message(obj), level=messages.SUCCESS)
        return HttpResponseRedirect(
            reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[obj.pk])
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (ValidationError, PermissionDenied) as error:
            if not is_service_refusal(request):
                raise
            report_service_error(self, request, error)
            return HttpResponseRedirect(request.get_full_path())

    @staticmethod
    def changed_rows(formsets, fields) -> list[dict[str, Any]]:
        """The inline rows the user changed, as service input ({"indicator": id, field: value})."""
        rows = []
        for formset in formsets:
            changed = []
            for inline_form in formset.forms:
                if not inline_form.instance.pk or not inline_form.has_changed():
                    continue
                row = {"indicator": inline_form.instance.indicator_id}
                row.update(
                    {
                        k: inline_form.cleaned_data.get(k)
                        for k in fields
                        if k in inline_form.changed_data
                    }
                )
                rows.append(row)
                changed.append((inline_form.instance, inline_form.changed_data))
            record_formset_result(formset, new=[], changed=changed, deleted=[])
        return rows
