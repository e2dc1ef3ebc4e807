"""``/admin/results/`` (结果应用): one unit's year — grades, 复核 differences, 整改 open and
closed with their history — read from ``selectors.results`` (as ``/api/v1/results/``), and the
same rows as the 结果应用表 export (``?download=xlsx``, ``services.exports``)."""

from __future__ import annotations

import datetime as dt
import tempfile

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.template.response import TemplateResponse

from projects.choices import UnitKind
from projects.models import Unit
from projects.permissions import visible_units
from projects.years import year_form_field

from ..selectors.results import unit_results
from ..services.exports import export_table
from .publication import SPOOL_BYTES, _errors


class ResultsForm(forms.Form):
    unit = forms.ModelChoiceField(label="单位", queryset=Unit.objects.none(), to_field_name="code")
    year = year_form_field()

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        units = visible_units(user).exclude(kind=UnitKind.FINANCE).order_by("path")
        self.fields["unit"].queryset = units
        self.fields["unit"].label_from_instance = lambda unit: f"{unit.code} {unit.name}"
        self.fields["year"].initial = dt.date.today().year - 1


def results_view(request):
    """GET with unit and year: the unit's results; with ``download=xlsx`` the 结果应用表."""
    bound = {"unit", "year"} <= set(request.GET)
    form = ResultsForm(request.GET if bound else None, user=request.user)
    data = None
    if bound:
        code = request.GET.get("unit", "").strip()
        if code and not form.fields["unit"].queryset.filter(code=code).exists():
            raise Http404("单位不存在或无权访问。")  # a foreign unit looks like a missing one
        if form.is_valid():
            unit, year = form.cleaned_data["unit"], form.cleaned_data["year"]
            if request.GET.get("download") == "xlsx":
                stream = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
                try:
                    result = export_table(
                        actor=request.user, kind="results", unit=unit, year=year, stream=stream
                    )
                except (ValidationError, PermissionDenied) as error:
                    stream.close()
                    _errors(request, error)
                except BaseException:
                    stream.close()
                    raise
                else:
                    stream.seek(0)
                    return FileResponse(
                        stream,
                        as_attachment=True,
                        filename=result.filename,
                        content_type=result.content_type,
                    )
            data = unit_results(user=request.user, unit=unit, year=year)
    context = {
        **admin.site.each_context(request),
        "title": "结果应用",
        "form": form,
        "results": data,
    }
    return TemplateResponse(request, "admin/performance/results.html", context)
