"""``/admin/publication/`` (绩效公开): a unit's published workbook for a year, and a
department's package of all its units as a background job (its page shows the progress and,
when finished, the download). Both go through ``services.publication``."""

from __future__ import annotations

import datetime as dt
import tempfile

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from projects.choices import UnitKind
from projects.models import Unit
from projects.permissions import visible_units
from projects.years import year_form_field

from ..services import publication

SPOOL_BYTES = 16 * 1024 * 1024


class PublicationForm(forms.Form):
    unit = forms.ModelChoiceField(label="单位", queryset=Unit.objects.none())
    year = year_form_field()

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = visible_units(user).exclude(kind=UnitKind.FINANCE)
        self.fields["unit"].queryset = self.fields["unit"].queryset.order_by("path")
        self.fields["unit"].label_from_instance = lambda unit: f"{unit.code} {unit.name}"
        self.fields["year"].initial = dt.date.today().year - 1


def _errors(request, error: ValidationError | PermissionDenied) -> None:
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for text in error.message_dict.values():
            for message in text:
                messages.error(request, message)
    else:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))


def publication_view(request):
    """GET with unit and year: the unit's file (a department: the package form); POST: queue a
    department's package and go to its job page."""
    bound = request.method == "POST" or {"unit", "year"} <= set(request.GET)
    form = PublicationForm(
        (request.POST if request.method == "POST" else request.GET) if bound else None,
        user=request.user,
    )
    if bound and form.is_valid():
        unit, year = form.cleaned_data["unit"], form.cleaned_data["year"]
        try:
            if request.method == "POST":
                job = publication.publication_request(actor=request.user, unit=unit, year=year)
                messages.success(request, f"已开始打包“{unit.name}”{year}年各单位的绩效公开文件。")
                return HttpResponseRedirect(reverse("admin:performance_job_change", args=[job.pk]))
            if unit.kind != UnitKind.UNIT:
                messages.info(
                    request, f"“{unit.name}”是主管部门：请用“打包下载各单位”在后台生成 zip。"
                )
            else:
                stream = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
                try:
                    result = publication.publication_download(
                        actor=request.user, unit=unit, year=year, stream=stream
                    )
                except BaseException:
                    stream.close()
                    raise
                stream.seek(0)
                return FileResponse(
                    stream,
                    as_attachment=True,
                    filename=result.filename,
                    content_type=publication.XLSX,
                )
        except Unit.DoesNotExist:
            raise Http404("单位不存在或无权访问。") from None
        except (ValidationError, PermissionDenied) as error:
            _errors(request, error)
    context = {
        **admin.site.each_context(request),
        "title": "绩效公开",
        "form": form,
    }
    return TemplateResponse(request, "admin/performance/publication.html", context)
