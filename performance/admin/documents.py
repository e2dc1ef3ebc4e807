"""The admin of any reviewed document, and of documents filled row by row.

:class:`ReviewedDocumentAdmin` (goals, monitoring reports, self-evaluations; next spot checks
and rectifications): the workflow buttons and the audit trail (``WorkflowAdminMixin``), rows
scoped to the user's units, a change page that is editable only where the workflow lets this
user edit (view-only otherwise, buttons kept), its editable fields exactly the field spec's
``filled`` (everything else the layout shows is read-only, so a form cannot offer a field the
service would drop), and a service's refusal as an admin message.

:class:`FilledDocumentAdmin` (monitoring reports, self-evaluations) adds the per-indicator rows
inline (:class:`IndicatorRowInline`), the 计算 button, and one save of the document and its
changed rows through the document's fill service.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse

from projects.admin.scoping import (
    ScopedAdminMixin,
    ServiceErrorsAsMessagesMixin,
    record_formset_result,
    report_service_error,
)
from projects.admin.versioning import EXPECTED_VERSION, VersionedForm, without_version
from projects.admin.writes import WritesThroughServices

from ..field_specs import DocumentSpec, RowSpec
from ..services import derived_figures, workflow
from .workflow import WorkflowAdminMixin


def may_edit(request, obj) -> bool:
    """Whether this user may edit ``obj`` now: the workflow's ``edit`` (its state and the
    kind's editors). ``None`` (no object yet) is not editable."""
    return obj is not None and workflow.EDIT in workflow.allowed_actions(obj, request.user)


class ReviewedDocumentAdmin(
    ServiceErrorsAsMessagesMixin,
    WorkflowAdminMixin,
    ScopedAdminMixin,
    WritesThroughServices,
    admin.ModelAdmin,
):
    """A reviewed document's admin. Subclasses set ``spec`` and ``fieldsets`` (the layout);
    ``add_fields`` are the fixed fields chosen when a document is created on the add page."""

    spec: DocumentSpec
    add_fields: tuple[str, ...] = ()
    form = VersionedForm

    def has_change_permission(self, request, obj=None):
        # Reviewers and approved documents get a view-only page; the workflow buttons remain.
        if obj is not None and not may_edit(request, obj):
            return False
        return super().has_change_permission(request, obj)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and self.has_change_permission(request, obj):
            return fieldsets
        # read-only pages have nothing to save (and a read-only version would show as a field)
        return [
            (name, {**opts, "fields": without_version(opts["fields"])}) for name, opts in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        """Everything the layout shows except what the unit fills (and, on the add page, what
        identifies the new document)."""
        editable = {*self.spec.filled, EXPECTED_VERSION, *(self.add_fields if obj is None else ())}
        shown = flatten_fieldsets(self.get_fieldsets(request, obj))
        return [name for name in shown if name not in editable]


class IndicatorRowForm(forms.ModelForm):
    """One per-indicator row: each value typed against the indicator's target (the row spec's
    ``typed`` fields) that the user changed must read, or the field shows why not."""

    typed: tuple[str, ...] = ()

    def clean(self):
        cleaned = super().clean()
        row = self.instance
        changed = [name for name in self.typed if name in self.changed_data]
        if row.pk and changed:
            target = derived_figures.indicator_target(row.indicator)
            for name in changed:
                message = derived_figures.value_error(
                    cleaned.get(name), indicator=row.indicator, target=target
                )
                if message:
                    self.add_error(name, message)
        return cleaned


class IndicatorRowInline(admin.TabularInline):
    """The rows of a filled document, one per indicator: made when the document is, never added
    or deleted here, editable (the row spec's ``filled`` only) where the document is."""

    row_spec: RowSpec
    form = IndicatorRowForm
    extra = 0
    can_delete = False

    def get_formset(self, request, obj=None, **kwargs):
        if "form" not in kwargs:
            kwargs["form"] = type(self.form.__name__, (self.form,), {"typed": self.row_spec.typed})
        return super().get_formset(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return [name for name in self.get_fields(request, obj) if name not in self.row_spec.filled]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("indicator")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return may_edit(request, obj) and super().has_change_permission(request, obj)


class FilledDocumentAdmin(ReviewedDocumentAdmin):
    """A document the unit fills row by row and the engine computes. Subclasses implement
    :meth:`compute` and :meth:`fill` (their services) and :meth:`computed_message`."""

    compute_label = "计算"

    def has_delete_permission(self, request, obj=None):
        return False

    def compute(self, request, obj):
        """Recompute ``obj`` through its service; returns the recomputed document."""
        raise NotImplementedError

    def computed_message(self, obj) -> str:
        raise NotImplementedError

    def fill(self, request, obj, *, data: dict, rows: list, expected_version: int | None):
        """Save what the user changed through the document's fill service."""
        raise NotImplementedError

    def save_related(self, request, form, formsets, change):
        """The write of a change page: one service call with the document's and the rows'
        changed fields (``save_model`` writes nothing for an existing document)."""
        if not change:
            return
        rows = self.changed_rows(formsets, self.spec.row.filled)
        data = {k: form.cleaned_data.get(k) for k in self.spec.filled if k in form.changed_data}
        if data or rows:
            self.fill(
                request,
                form.instance,
                data=data,
                rows=rows,
                expected_version=form.cleaned_data.get(EXPECTED_VERSION),
            )

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
