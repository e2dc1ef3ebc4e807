"""Bad input the admin's own code lets through to the database, refused before it gets there.

- A NUL character in the querystring of any page outside the API (``?status__exact=%00``):
  PostgreSQL refuses NUL in every text parameter, so a list filter, the dashboard or the print
  view answered 500. Here it is a 400 page (``error_pages.bad_request``). The API refuses NUL
  per field (its filters and serializers validate it), so ``/api/`` is left to them.
- A bulk action on selected rows whose ids are not ids (``_selected_action=abc``, or past 64
  bits): Django's changelist filters ``pk__in`` with them unchecked, a ``ValueError`` (or an
  ``OverflowError`` on SQLite). Here the list is shown again with a message, as Django does
  when nothing is selected.
- A list filter the list cannot apply (``?year__exact=abc``): Django redirects to ``?e=1`` and
  shows the whole list without a word; here it also says why.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.db import connection
from django.db.models import Field, IntegerField
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

INVALID_SELECTION = "所选的记录无效，请在列表中重新勾选后再执行操作。"
INVALID_FILTER = "筛选条件无效，已显示全部记录，请重新选择筛选条件。"


class NulInQuery(SuspiciousOperation):
    """A NUL character in the querystring (answered 400 by ``error_pages.bad_request``)."""


def _has_nul(request: HttpRequest) -> bool:
    return any(
        "\x00" in key or any("\x00" in value for value in values)
        for key, values in request.GET.lists()
    )


def _valid_pk(field: Field, value: str) -> bool:
    """Whether ``value`` can be compared with primary keys of ``field`` in a query."""
    if "\x00" in value:
        return False
    try:
        prepared = field.get_prep_value(field.to_python(value))
    except (ValidationError, ValueError, TypeError, OverflowError):
        return False
    if isinstance(field, IntegerField) and prepared is not None:
        low, high = connection.ops.integer_field_range(field.get_internal_type())
        return (low is None or prepared >= low) and (high is None or prepared <= high)
    return True


class AdminInputMiddleware:
    """After ``MessageMiddleware``: refuses the inputs above before a view sees them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/") and _has_nul(request):
            raise NulInQuery("NUL character in the querystring")
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if (
            response.status_code == 302
            and match is not None
            and (match.url_name or "").endswith("_changelist")
            and response.get("Location", "").endswith(f"?{ERROR_FLAG}=1")
        ):
            messages.warning(request, INVALID_FILTER)
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        model_admin = getattr(view_func, "model_admin", None)
        match = request.resolver_match
        if (
            model_admin is None
            or request.method != "POST"
            or not (match.url_name or "").endswith("_changelist")
            or "action" not in request.POST
        ):
            return None
        field = model_admin.model._meta.pk
        selected = request.POST.getlist(ACTION_CHECKBOX_NAME)
        if all(_valid_pk(field, value) for value in selected):
            return None
        messages.warning(request, INVALID_SELECTION)
        return HttpResponseRedirect(request.get_full_path())
