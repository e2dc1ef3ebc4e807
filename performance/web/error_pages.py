"""Django's error handlers for both faces: JSON in the API's shape under ``/api/``, a short
Chinese page (English on request) everywhere else — never Django's English defaults.

- ``bad_request`` (``handler400``): a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` or with too
  many fields or files (413 ``request_too_large``, saying the limit), any other suspicious
  request (400 ``bad_request``).
- ``csrf_failure`` (``CSRF_FAILURE_VIEW``): 403 saying what was missing and what to do.
- ``server_error`` (``handler500``): 500 ``server_error``.

``handler404`` is ``performance.api.exceptions.not_found``. Inside the API's own views the
same cases are answered by ``api_exception_handler`` and ``authentication``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware import csrf
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .middleware import NulInQuery

BODY_TOO_LARGE = _("提交的数据超过 %(limit)s 的上限，请减少一次提交的内容。")
TOO_MANY_FIELDS = _("提交的表单字段超过 %(limit)d 个的上限，请减少一次提交的内容。")
TOO_MANY_FILES = _("一次上传的文件超过 %(limit)d 个的上限。")
BAD_REQUEST = _("请求有误，服务器无法处理。")
NUL_IN_QUERY = _("网址的参数中含有不允许的空字符（NUL），请检查网址。")
SERVER_ERROR = _("服务器内部错误，请稍后重试；如果一直出现，请联系系统管理员。")

CSRF_FAILED = _("安全校验（CSRF）失败，请刷新页面后重新提交。")
# The admin's pages: what the person in front of the browser can do.
PAGE_CSRF = {
    "cookie": _(
        "安全校验（CSRF）失败：浏览器没有发送本站的 Cookie。请允许本站使用 Cookie，刷新页面后重新提交。"
    ),
    "token": _("安全校验（CSRF）失败：页面已过期或表单缺少校验令牌。请刷新页面后重新提交。"),
    "origin": _(
        "安全校验（CSRF）失败：请求不是从本站页面提交的（Origin 或 Referer 头缺失或不符）。"
        "请从本站页面重新提交。"
    ),
}
# The API: what a client sending the admin's session has to send along.
API_CSRF = {
    "cookie": _(
        "CSRF 校验失败：没有 csrftoken Cookie。会话认证的写请求须带上 csrftoken Cookie，"
        "并在请求头 X-CSRFToken 中提交其值；脚本请使用令牌认证（Authorization: Token …）。"
    ),
    "missing": _("CSRF 校验失败：缺少请求头 X-CSRFToken（其值为 csrftoken Cookie 的值）。"),
    "token": _(
        "CSRF 校验失败：请求头 X-CSRFToken 与 csrftoken Cookie 不符，请重新读取 Cookie 后重试。"
    ),
    "origin": _("CSRF 校验失败：请求的 Origin 或 Referer 头缺失或不是本站。"),
}

SITE = _("预算绩效目标管理")
BACK = _("返回工作台")
TITLES = {
    400: _("请求有误"),
    403: _("安全校验失败"),
    413: _("提交的数据过大"),
    500: _("服务器内部错误"),
}


def too_large_detail(exc: BaseException) -> str | None:
    """The message for Django's body limits (``RequestDataTooBig`` & co.), else ``None``."""
    if isinstance(exc, RequestDataTooBig):
        size = filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE).replace("\xa0", " ")
        return str(BODY_TOO_LARGE) % {"limit": size}
    if isinstance(exc, TooManyFieldsSent):
        return str(TOO_MANY_FIELDS) % {"limit": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS}
    if isinstance(exc, TooManyFilesSent):
        return str(TOO_MANY_FILES) % {"limit": settings.DATA_UPLOAD_MAX_NUMBER_FILES}
    return None


def csrf_message(reason: str, *, api: bool) -> str:
    """Django's English CSRF rejection ``reason`` as a message for a person or an API client."""
    if reason == csrf.REASON_NO_CSRF_COOKIE or reason.startswith("CSRF cookie "):
        kind = "cookie"
    elif reason == csrf.REASON_CSRF_TOKEN_MISSING:
        kind = "missing" if api else "token"
    elif reason.startswith("CSRF token from"):
        kind = "token"
    elif reason.startswith(("Origin checking failed", "Referer checking failed")):
        kind = "origin"
    else:
        return str(CSRF_FAILED)
    return str((API_CSRF if api else PAGE_CSRF)[kind])


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _json(code: str, detail: str, status: int) -> JsonResponse:
    body = {"code": code, "detail": str(detail), "errors": {}}
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def _page(request: HttpRequest, status: int, message: str) -> HttpResponse:
    context = {
        "status": status,
        "title": TITLES[status],
        "message": message,
        "site": SITE,
        "back": BACK,
        "language": get_language() or settings.LANGUAGE_CODE,
    }
    html = render_to_string("error_page.html", context, request=None)
    return HttpResponse(html, status=status)


def bad_request(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    """``handler400``: 413 for the body limits, 400 for anything else Django refused."""
    detail = too_large_detail(exception) if exception is not None else None
    if detail is not None:
        if _is_api(request):
            return _json("request_too_large", detail, 413)
        return _page(request, 413, detail)
    message = NUL_IN_QUERY if isinstance(exception, NulInQuery) else BAD_REQUEST
    if _is_api(request):
        return _json("bad_request", message, 400)
    return _page(request, 400, str(message))


def too_large_page(request: HttpRequest, message: str) -> HttpResponse:
    """413 for an upload the upload handler stopped (``web.uploads``), saying the limit."""
    if _is_api(request):
        return _json("request_too_large", message, 413)
    return _page(request, 413, message)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: what failed and what to do, for the admin and the API alike."""
    message = csrf_message(reason, api=_is_api(request))
    if _is_api(request):
        return _json("csrf_failed", message, 403)
    return _page(request, 403, message)


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: the API's JSON under ``/api/``, a Chinese page elsewhere."""
    if _is_api(request):
        return _json("server_error", SERVER_ERROR, 500)
    return _page(request, 500, str(SERVER_ERROR))
