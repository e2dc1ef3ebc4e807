"""Session authentication whose CSRF refusal says, in Chinese, what was missing.

DRF's own answer is ``"CSRF Failed: CSRF cookie not set."`` — Django's English reason. Here
it is a 403 ``csrf_failed`` saying what to send (``performance.web.error_pages.csrf_message``;
English with ``Accept-Language: en``).
"""

from __future__ import annotations

from drf_spectacular.authentication import SessionScheme
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from ..web.error_pages import csrf_message


class CsrfFailed(exceptions.PermissionDenied):
    default_code = "csrf_failed"


class SessionAuthentication(authentication.SessionAuthentication):
    def enforce_csrf(self, request: Request) -> None:
        """DRF's check (Django's ``CsrfViewMiddleware``), refused with a readable message."""

        def no_response(request):  # pragma: no cover - never called by process_view
            return None

        check = authentication.CSRFCheck(no_response)
        check.process_request(request)  # reads the CSRF cookie into request.META
        reason = check.process_view(request, None, (), {})
        if reason:
            raise CsrfFailed(csrf_message(reason, api=True))


class ApiSessionScheme(SessionScheme):
    """The OpenAPI security scheme of this class: DRF's (a cookie), under the same name."""

    target_class = "performance.api.authentication.SessionAuthentication"
