"""Excel in and out of the admin: 导入, 导出 and 导出报表 on the goal and indicator lists.

导入 is ours (``import/`` and ``process_import/``): the upload goes to
``performance.services.imports``, is validated as a whole (every error listed with row and
column), previewed, and only written on 确认导入 — all or nothing. A file over
``IMPORT_ASYNC_ROWS`` rows becomes a background Job whose progress shows in 后台任务.
导出 is django-import-export's export view (format choice, the list's filters, the download):
xlsx through the flat writer (``exports.flat``), csv through :class:`TargetTemplateResource`
and :class:`FormulaSafeCSV`. Its querystring carries the list's filters; filters the list
cannot apply (a field the model does not have, a year that is not a number) send the user back
to the list with a message, as the list itself does, instead of a 500. 导出报表 streams the
official layouts of ``performance.services.exports``.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import tempfile

from django import forms
from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST
from import_export.admin import ExportMixin
from import_export.formats import base_formats
from import_export.forms import ExportForm

from projects.admin.scoping import report_service_error

from ..models import Job
from ..resources import FormulaSafeCSV, TargetTemplateResource
from ..services.exports import EXPORT_KINDS, export_table, flat
from ..services.housekeeping import preview_path
from ..services.imports import targets_import, targets_import_submit
from ..services.imports.columns import HEADERS
from ..services.imports.reading import estimate_rows, limit
from .forms import TableForm

INVALID_EXPORT_FILTER = "导出的筛选条件无效，未导出任何数据。请在列表中重新选择筛选条件后再导出。"
SESSION_KEY = "performance_import_uploads"
TMP_NAME = re.compile(r"^[0-9a-f]{32}$")


class TargetUploadForm(forms.Form):
    import_file = forms.FileField(
        label="导入文件",
        help_text="绩效目标导入模板（.xlsx 或 .csv）。先校验全部行并预览，确认后才写入。",
    )
    dry_run = forms.BooleanField(
        label="只校验，不导入", required=False, help_text="大文件在后台校验，结果见“后台任务”。"
    )

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        cap = limit("IMPORT_MAX_BYTES")
        if upload.size > cap:
            raise ValidationError(f"文件超过 {cap // (1024 * 1024)} MB 的上限，请拆分后分批导入。")
        return upload


class ExportTableForm(TableForm):
    kinds = EXPORT_KINDS


class TargetImportExportMixin(ExportMixin):
    """导入 (through the import service), 导出 (the flat template) and 导出报表 buttons."""

    resource_classes = [TargetTemplateResource]
    export_form_class = ExportForm  # the template's columns are fixed: no column picking
    import_export_change_list_template = "admin/performance/excel/change_list.html"
    import_template_name = "admin/performance/excel/import.html"

    def get_export_formats(self):
        return [base_formats.XLSX, FormulaSafeCSV]

    def has_import_permission(self, request) -> bool:
        return request.user.has_perm("performance.add_indicator")

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

    def _context(self, request, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "导入绩效目标",
            "columns": HEADERS,
            "async_rows": limit("IMPORT_ASYNC_ROWS"),
            **extra,
        }

    def import_action(self, request):
        """导入: upload, validate every row, preview; 确认导入 posts to ``process_import``."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = TargetUploadForm(request.POST or None, request.FILES or None)
        context = self._context(request, form=form)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["import_file"]
            data = upload.read()
            dry_run = form.cleaned_data["dry_run"]
            try:
                if estimate_rows(data) > limit("IMPORT_ASYNC_ROWS"):
                    # too large to preview in the request: the job validates (and imports
                    # unless 只校验), all or nothing, and shows its progress
                    outcome = targets_import_submit(
                        actor=request.user, file=data, filename=upload.name, dry_run=dry_run
                    )
                else:
                    outcome = targets_import(
                        actor=request.user, file=data, filename=upload.name, dry_run=True
                    )
            except PermissionDenied as denied:
                report_service_error(self, request, denied)
                return TemplateResponse(request, self.import_template_name, context)
            if isinstance(outcome, Job):
                messages.info(
                    request,
                    f"文件较大，已转入后台任务 #{outcome.pk}{'校验' if dry_run else '导入'}"
                    "（全部行通过校验才会写入），可在此查看进度和结果。",
                )
                return HttpResponseRedirect(
                    reverse("admin:performance_job_change", args=[outcome.pk])
                )
            context["result"] = outcome
            if outcome.ok and not dry_run:
                context["confirm"] = {
                    "tmp_name": self._keep_upload(request, data),
                    "filename": outcome.filename,
                }
        return TemplateResponse(request, self.import_template_name, context)

    def _keep_upload(self, request, data: bytes) -> str:
        """Store the previewed file for 确认导入 under a random token tied to the session."""
        token = secrets.token_hex(16)
        default_storage.save(preview_path(token), ContentFile(data))
        request.session[SESSION_KEY] = [*request.session.get(SESSION_KEY, [])[-9:], token]
        return token

    @method_decorator(require_POST)
    def process_import(self, request):
        """确认导入: import the previewed file, all or nothing (the data may have moved on)."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        token = request.POST.get("tmp_name", "")
        filename = request.POST.get("filename", "upload.xlsx")
        if not TMP_NAME.match(token) or token not in request.session.get(SESSION_KEY, []):
            messages.error(request, "上传的文件已过期，请重新上传。")
            return HttpResponseRedirect(self._admin_url("import"))
        try:
            with default_storage.open(preview_path(token), "rb") as handle:
                data = handle.read()
        except OSError:
            messages.error(request, "上传的文件已过期，请重新上传。")
            return HttpResponseRedirect(self._admin_url("import"))
        try:
            result = targets_import(actor=request.user, file=data, filename=filename)
        except PermissionDenied as denied:
            report_service_error(self, request, denied)
            return HttpResponseRedirect(self._admin_url("import"))
        if not result.ok:  # the data changed since the preview: show why, nothing was written
            return TemplateResponse(
                request,
                self.import_template_name,
                self._context(request, form=TargetUploadForm(), result=result),
            )
        default_storage.delete(preview_path(token))
        request.session[SESSION_KEY] = [
            n for n in request.session.get(SESSION_KEY, []) if n != token
        ]
        messages.success(request, result.summary())
        return HttpResponseRedirect(self._admin_url("changelist"))

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
