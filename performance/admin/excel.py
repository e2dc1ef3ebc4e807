"""Excel in and out of the admin: 导入, 导出 and 导出报表 on the goal and indicator lists.

导入 (``import/`` and ``process_import/``, and the list's button) is the 数据导入 page of kind
``targets`` (``admin.imports``: upload, every row validated, preview, 确认导入 — all or
nothing; a file over ``IMPORT_ASYNC_ROWS`` rows becomes a background Job).
导出 is django-import-export's export view (format choice, the list's filters, the download):
xlsx through the flat writer (``exports.flat``), csv through :class:`TargetTemplateResource`
and :class:`FormulaSafeCSV`. Its querystring carries the list's filters; filters the list
cannot apply (a field the model does not have, a year that is not a number) send the user back
to the list with a message, as the list itself does, instead of a 500. 导出报表 streams the
official layouts of ``performance.services.exports``.
"""

from __future__ import annotations

import datetime as dt
import tempfile

from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import content_disposition_header
from import_export.admin import ExportMixin
from import_export.formats import base_formats
from import_export.forms import ExportForm

from projects.admin.scoping import report_service_error

from ..resources import FormulaSafeCSV, TargetTemplateResource
from ..services.exports import EXPORT_KINDS, export_table, flat
from ..services.imports import get_kind, import_refusal
from .forms import TableForm
from .imports import import_confirm, import_page

INVALID_EXPORT_FILTER = "导出的筛选条件无效，未导出任何数据。请在列表中重新选择筛选条件后再导出。"


class ExportTableForm(TableForm):
    kinds = EXPORT_KINDS


class TargetImportExportMixin(ExportMixin):
    """导入 (through the import service), 导出 (the flat template) and 导出报表 buttons."""

    resource_classes = [TargetTemplateResource]
    export_form_class = ExportForm  # the template's columns are fixed: no column picking
    import_export_change_list_template = "admin/performance/excel/change_list.html"

    def get_export_formats(self):
        return [base_formats.XLSX, FormulaSafeCSV]

    def has_import_permission(self, request) -> bool:
        return import_refusal(request.user, get_kind("targets")) is None

    def has_export_permission(self, request) -> bool:
        return request.user.has_perm("performance.view_indicator")

    def get_export_data(self, file_format, request, queryset, **kwargs):
        """xlsx through the streaming writer (text stays text: "=100%" is a 指标值, not a
        formula, so the file re-imports unchanged); csv through the resource."""
        if isinstance(file_format, base_formats.XLSX):
            if not self.has_export_permission(request):
                raise PermissionDenied
            return flat.template_xlsx(queryset)
        return super().get_export_data(file_format, request, queryset, **kwargs)

    def export_action(self, request):
        """django-import-export's export, back to the list when its filters do not apply."""
        try:
            return super().export_action(request)
        except IncorrectLookupParameters:
            messages.error(request, INVALID_EXPORT_FILTER)
            return HttpResponseRedirect(self._admin_url("changelist"))

    def _do_file_export(self, file_format, request, queryset, export_form=None):
        """django-import-export's file response with the Chinese filename kept (RFC 5987).

        It writes ``filename="绩效目标…"`` raw, which Django's header check turns into a MIME
        word no browser reads; ``content_disposition_header`` writes ``filename*=utf-8''…``.
        """
        response = super()._do_file_export(file_format, request, queryset, export_form)
        filename = self.get_export_filename(request, queryset, file_format)
        response["Content-Disposition"] = content_disposition_header(True, filename)
        return response

    def get_export_filename(self, request, queryset, file_format):
        return f"绩效目标导入模板_{dt.date.today():%Y%m%d}.{file_format.get_extension()}"

    def get_urls(self):
        info = self.get_model_info()
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_action), name="{}_{}_import".format(*info)),
            path(
                "process_import/",
                view(self.process_import),
                name="{}_{}_process_import".format(*info),
            ),
            path(
                "export-table/",
                view(self.export_table_view),
                name="{}_{}_export_table".format(*info),
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "has_import_permission": self.has_import_permission(request),
            "has_export_table": True,
        }
        return super().changelist_view(request, extra_context)

    def _admin_url(self, name: str) -> str:
        app_label, model_name = self.get_model_info()
        return reverse(f"admin:{app_label}_{model_name}_{name}")

    # -- import -----------------------------------------------------------------------------

    def import_action(self, request):
        """导入: the 数据导入 page of kind ``targets`` (``imports.import_page``)."""
        return import_page(request, "targets")

    def process_import(self, request):
        """确认导入 of kind ``targets`` (``imports.import_confirm``)."""
        return import_confirm(request, "targets")

    # -- official layouts -------------------------------------------------------------------

    def export_table_view(self, request):
        if not self.has_export_permission(request):
            raise PermissionDenied
        form = ExportTableForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            target = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - FileResponse closes it
            try:
                result = export_table(
                    actor=request.user,
                    kind=form.cleaned_data["kind"],
                    unit=form.cleaned_data["unit"],
                    year=form.cleaned_data["year"],
                    data_month=form.cleaned_data.get("data_month"),
                    stream=target,
                )
            except (ValidationError, PermissionDenied) as error:
                target.close()
                report_service_error(self, request, error)
            else:
                target.seek(0)
                return FileResponse(
                    target,
                    as_attachment=True,
                    filename=result.filename,
                    content_type=result.content_type,
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "导出报表",
            "form": form,
        }
        return TemplateResponse(request, "admin/performance/excel/export_table.html", context)
