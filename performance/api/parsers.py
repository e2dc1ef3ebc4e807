"""The API's parsers. JSON: orjson, so no body can exhaust the stack, with messages in Chinese.

DRF's parser calls ``json.load``, whose decoder recurses once per ``[`` or ``{``: 100,000 of
them were a ``RecursionError`` (a 500). orjson parses without recursion (refusing more than
1024 levels), and the parsed body may nest at most ``MAX_DEPTH`` levels: DRF's fields recurse
too (``str()`` of a value 1000 lists deep is a ``RecursionError`` in ``CharField``), and no
request of this API nests more than four. orjson also refuses what JSON does not allow (NaN,
Infinity, lone surrogates, invalid UTF-8). Every refusal is a 400 ``parse_error`` saying where the body went wrong, in Chinese
(English with ``Accept-Language: en``) rather than the decoder's English. DRF reads the body
of a JSON parser through ``request.body``, so Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` still
bounds it (413, see ``exceptions``). The form and multipart parsers are DRF's, refusing a bad
charset or a malformed multipart body in Chinese too.
"""

from __future__ import annotations

from typing import Any

import orjson
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from ..web.uploads import refusal_of
from .exceptions import RequestTooLarge

MAX_DEPTH = 32  # arrays and objects inside each other; orjson itself stops at 1024
NOT_JSON = _("请求体不是合法的 JSON：第 %(line)d 行第 %(column)d 列有误。")
TOO_DEEP = _("请求体的 JSON 嵌套超过 %(limit)d 层。")
NOT_UTF8 = _("请求体不是合法的 UTF-8 编码。")
NOT_IN_CHARSET = _("请求体不是合法的 %(charset)s 编码。")
UNKNOWN_CHARSET = _("不支持请求头 Content-Type 中的字符集“%(charset)s”。")
NULL_BODY = _("请求体应为 JSON 对象，不能是 null。")
BAD_MULTIPART = _(
    "上传的表单（multipart/form-data）格式有误，请检查请求体与 Content-Type 头的 boundary。"
)
UTF8 = {"utf8", "utf-8", "ascii", "us-ascii"}


def text_encoding(parser_context: dict | None) -> str:
    """The body's charset (the request's, else ``DEFAULT_CHARSET``), if it is a text codec.

    DRF's own check with a Chinese message: a bytes-to-bytes codec (``bz2_codec``) would
    decompress the body past ``DATA_UPLOAD_MAX_MEMORY_SIZE``.
    """
    encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
    try:
        "".encode(encoding)
    except (LookupError, UnicodeError):
        raise ParseError(str(UNKNOWN_CHARSET) % {"charset": encoding[:40]}) from None
    return encoding


class JSONParser(parsers.JSONParser):
    """``application/json`` bodies, parsed by orjson (UTF-8, or the charset the request names)."""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        raw = stream.read()
        encoding = text_encoding(parser_context)
        if encoding.lower() not in UTF8:
            try:
                raw = raw.decode(encoding)
            except UnicodeDecodeError:
                raise ParseError(str(NOT_IN_CHARSET) % {"charset": encoding}) from None
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as error:
            raise ParseError(_message(raw, error)) from None
        if data is None:
            raise ParseError(NULL_BODY)
        if _deeper_than(data, MAX_DEPTH):
            raise ParseError(str(TOO_DEEP) % {"limit": MAX_DEPTH})
        return data


def _deeper_than(data: Any, limit: int) -> bool:
    """Whether arrays and objects nest more than ``limit`` levels in ``data`` (no recursion)."""
    stack = [(data, 1)] if isinstance(data, dict | list) else []
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        for child in value.values() if isinstance(value, dict) else value:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
    return False


def _message(raw: bytes | str, error: orjson.JSONDecodeError) -> str:
    """Why ``raw`` was refused, in the caller's language."""
    if isinstance(raw, bytes):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return str(NOT_UTF8)
    if "depth limit" in error.msg:
        return str(TOO_DEEP) % {"limit": MAX_DEPTH}
    return str(NOT_JSON) % {"line": error.lineno, "column": error.colno}


class FormParser(parsers.FormParser):
    """DRF's form parser, refusing an unknown charset in Chinese like the JSON parser."""

    def parse(self, stream, media_type=None, parser_context=None):
        text_encoding(parser_context)
        return super().parse(stream, media_type, parser_context)


class MultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser (Django's, with its limits), refusing in Chinese.

    An upload over a file or request cap (``web.uploads.LimitedUploadHandler`` stopped it while
    it streamed) is a 413 ``request_too_large`` naming the limit, and no view sees the rest."""

    def parse(self, stream, media_type=None, parser_context=None):
        text_encoding(parser_context)
        try:
            parsed = super().parse(stream, media_type, parser_context)
        except ParseError:
            raise ParseError(BAD_MULTIPART) from None
        request = (parser_context or {}).get("request")
        message = refusal_of(getattr(request, "_request", request)) if request else None
        if message is not None:
            raise RequestTooLarge(message)
        return parsed
