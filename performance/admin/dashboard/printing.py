"""打印报表: the four official tables as clean HTML for printing (A4 landscape).

The rows come from :func:`performance.services.exports.export_html`, which runs the very
layout writers of the xlsx exports, so the printed and the downloaded table cannot differ.
Without a unit and a year the view shows a small form (prefilled from the query string, as the
changelist buttons send it); a unit outside the user's scope is a 404.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.template.response import TemplateResponse
from django.utils import timezone

from projects.permissions import visible_units

from ...services.exports import PRINTABLE_KINDS, export_html
from ..forms import TableForm

# Which admin screen a table belongs to: the user needs its view permission.
KIND_PERMISSIONS = {
    "project_targets": "performance.view_performancegoal",
    "unit_targets": "performance.view_performancegoal",
    "monitoring": "performance.view_monitoringreport",
    "self_evaluation": "performance.view_selfevaluation",
}


class PrintForm(TableForm):
    kinds = PRINTABLE_KINDS

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["unit"].to_field_name = "code"  # links carry ?unit=027001


def _initial(request, units) -> dict:
    initial = {
        key: request.GET[key]
        for key in ("kind", "unit", "year", "data_month")
        if request.GET.get(key)
    }
    initial.setdefault("year", timezone.localdate().year)
    if "unit" not in initial and len(units) == 1:
        initial["unit"] = units[0].code
    return initial


def print_view(request):
    """GET ?kind=&unit=&year=[&data_month=]: the printable table, or the form to choose one."""
    user = request.user
    code = request.GET.get("unit", "").strip()
    if code and not visible_units(user).filter(code=code).exists():
        raise Http404(f"单位「{code}」不存在或您无权查看。")
    kind = request.GET.get("kind", "")
    if kind in KIND_PERMISSIONS and not user.has_perm(KIND_PERMISSIONS[kind]):
        raise PermissionDenied
    ready = all(request.GET.get(key) for key in ("kind", "unit", "year")) and not request.GET.get(
        "choose"
    )
    form = PrintForm(request.GET if ready else None, user=user)
    if not ready:
        form.initial = _initial(request, list(form.fields["unit"].queryset[:2]))
    elif form.is_valid():
        data = form.cleaned_data
        try:
            export = export_html(
                actor=user,
                kind=data["kind"],
                unit=data["unit"],
                year=data["year"],
                data_month=data.get("data_month"),
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            context = {
                "export": export,
                "kinds": PRINTABLE_KINDS,
                "query": {"unit": data["unit"].code, "year": data["year"]},
                "printed_at": timezone.localtime(),
            }
            return TemplateResponse(request, "admin/performance/print/table.html", context)
    context = {
        **admin.site.each_context(request),
        "title": "打印报表",
        "form": form,
    }
    return TemplateResponse(request, "admin/performance/print/form.html", context)
