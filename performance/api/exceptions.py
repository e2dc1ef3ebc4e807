"""One JSON shape for every error: ``{"code", "detail", "errors": {field: [messages]}}``.

- DRF and Django ``ValidationError`` (bad input, invalid transition, missing comment) → 400
  with field-level messages; nested fields are flattened to dotted keys (``indicators.0.level3``)
  and a service's ``__all__`` errors appear under ``non_field_errors``.
- ``StaleObjectError`` (or any ``ValidationError`` with code ``"stale"``) → 409 under
  ``lock_version``.
- ``PermissionDenied`` from a service → 403 carrying the service's Chinese reason.
- 401 / 404 / 405 / 429 … keep DRF's status and its (translated) message; a job's download
  after its files' retention is 410 ``files_expired`` (:class:`FilesExpired`).
- A URL under ``/api/`` that matches no route is a JSON 404 too (``not_found``, the project's
  ``handler404``), not Django's HTML page.
- A body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``, or with more fields or files than Django takes,
  is 413 ``request_too_large`` naming the limit (Django's ``RequestDataTooBig`` & co. answered
  an HTML 400); a body that is not JSON is 400 ``parse_error`` (``parsers``). Outside the
  API's views the same answers come from ``performance.web.error_pages``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views.defaults import page_not_found
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import set_rollback

from projects.services.locking import StaleObjectError

from ..web.error_pages import too_large_detail

INVALID_INPUT = _("提交的数据有误，请按字段提示修改。")
STALE = _("数据已被其他用户修改，请刷新后在最新内容上重新操作。")
NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY
INDEX = re.compile(r"\[(\d+)\]")


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = STALE
    default_code = "stale"


class RequestTooLarge(exceptions.APIException):
    """413: the body is over one of Django's limits (the detail names it)."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("提交的数据过大。")
    default_code = "request_too_large"


class FilesExpired(exceptions.APIException):
    """410: a job's files were deleted after their retention (the detail says when)."""

    status_code = status.HTTP_410_GONE
    default_code = "files_expired"


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as ``{"a.0.b": ["message", …]}``."""
    errors: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for field, messages in _flatten(value, name).items():
                errors.setdefault(field, []).extend(messages)
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            if detail:
                errors.setdefault(prefix or NON_FIELD, []).extend(str(item) for item in detail)
        else:
            for index, value in enumerate(detail):
                if value:
                    errors.update(_flatten(value, f"{prefix}.{index}" if prefix else str(index)))
    else:
        errors.setdefault(prefix or NON_FIELD, []).append(str(detail))
    return errors


def _field_name(field: str) -> str:
    """Services key rows as ``entries[2].value_raw``; the API spells it ``entries.2.value_raw``."""
    return NON_FIELD if field == "__all__" else INDEX.sub(r".\1", field)


def _django_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            _field_name(field): [str(m) for m in messages]
            for field, messages in exc.message_dict.items()
        }
    return {NON_FIELD: [str(m) for m in exc.messages]}


def _django_code(exc: DjangoValidationError) -> str:
    code = getattr(exc, "code", None)
    if code:
        return code
    errors = exc.error_dict.values() if hasattr(exc, "error_dict") else [exc.error_list]
    for error_list in errors:
        for error in error_list:
            if getattr(error, "code", None):
                return error.code
    return "invalid"


def _body(code: str, detail: Any, errors: dict[str, list[str]] | None = None) -> dict:
    return {"code": code, "detail": str(detail), "errors": errors or {}}


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    """``REST_FRAMEWORK["EXCEPTION_HANDLER"]``: map every known error to the shared shape."""
    too_large = too_large_detail(exc)
    if too_large is not None:
        # Logged as Django logs it when it answers these itself (django.security.*).
        logging.getLogger(f"django.security.{type(exc).__name__}").warning("%s", exc)
        exc = RequestTooLarge(too_large)
    if isinstance(exc, DjangoValidationError):
        set_rollback()
        code = _django_code(exc)
        if isinstance(exc, StaleObjectError) or code == "stale":
            return Response(
                _body("stale", STALE, {"lock_version": [str(STALE)]}),
                status=status.HTTP_409_CONFLICT,
            )
        errors = _django_errors(exc)
        first = next((m for messages in errors.values() for m in messages), INVALID_INPUT)
        return Response(_body(code, first, errors), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    if not isinstance(exc, exceptions.APIException):
        return None
    set_rollback()
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = f"{int(exc.wait)}"
    if isinstance(exc, exceptions.ValidationError):
        body = _body("invalid", INVALID_INPUT, _flatten(exc.detail))
    else:
        codes = exc.get_codes()
        body = _body(codes if isinstance(codes, str) else exc.default_code, exc.detail)
    return Response(body, status=exc.status_code, headers=headers)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler404``: the API's JSON error under ``/api/``, Django's 404 page elsewhere."""
    if request.path.startswith("/api/"):
        body = _body("not_found", exceptions.NotFound.default_detail)
        return JsonResponse(body, status=404, json_dumps_params={"ensure_ascii": False})
    return page_not_found(request, exception)
