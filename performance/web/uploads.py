"""Uploads: capped while they stream, names kept as the client sent them.

Django caps the form fields of a request (``DATA_UPLOAD_MAX_MEMORY_SIZE``) but not its file
parts: any upload could fill the disk. :class:`LimitedUploadHandler` goes first in
``FILE_UPLOAD_HANDLERS`` and counts each file's bytes and all files' bytes as they arrive. Past
``max(ATTACHMENT_MAX_BYTES, IMPORT_MAX_BYTES)`` for one file, or ``UPLOAD_MAX_REQUEST_BYTES``
for the request, it stops the upload (the rest of the body is read and discarded, so the
client gets an answer rather than a reset connection) and marks the request: the API answers
413 (``api.parsers``) and the admin a 413 page (:class:`UploadLimitMiddleware`), both naming
the limit; nothing is stored. Parts smaller than ``FILE_UPLOAD_MAX_MEMORY_SIZE`` stay in memory,
larger ones go to a temporary file in ``FILE_UPLOAD_TEMP_DIR`` chunk by chunk: an upload is
never held whole in memory.

Django also strips path separators and non-printable characters from a part's file name
before any handler sees it, so ``../../etc/passwd`` arrived as ``passwd`` and a name with a
bidi override as a harmless-looking one. The handler parses the body itself with
:class:`RawNameMultiPartParser` (Django's parser, through the documented
``handle_raw_input`` hook), which keeps the name as sent on each file as ``raw_name``: the
evidence service refuses such a name with a clear message instead of storing a silently
renamed file.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParser
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _

from ..filetypes import size_text

FILE_TOO_LARGE = _("上传的文件“%(name)s”超过 %(limit)s 的上限，未保存任何文件。")
REQUEST_TOO_LARGE = _("一次上传的文件合计超过 %(limit)s 的上限，未保存任何文件。")
UNNAMED = "未命名"


def max_file_bytes() -> int:
    """The largest file part any upload may carry: attachments' and imports' caps."""
    return max(settings.ATTACHMENT_MAX_BYTES, settings.IMPORT_MAX_BYTES)


def refusal_of(request: HttpRequest) -> str | None:
    """Why the handler stopped this request's upload (a sentence naming the limit), if it did."""
    refused = getattr(request, "upload_refused", None)
    if refused is None:
        return None
    if refused["name"] is None:
        return str(REQUEST_TOO_LARGE) % {"limit": size_text(refused["limit"])}
    return str(FILE_TOO_LARGE) % {"name": refused["name"], "limit": size_text(refused["limit"])}


class RawNameMultiPartParser(MultiPartParser):
    """Django's multipart parser, keeping each file's name as sent in ``file.raw_name``.

    A name Django would drop altogether (``..``, only separators or control characters) keeps
    its part, named ``未命名``, so the refusal can say what was wrong with it."""

    _raw_name = ""

    def sanitize_file_name(self, file_name: str) -> str:
        self._raw_name = html.unescape(file_name)
        return super().sanitize_file_name(file_name) or UNNAMED

    def handle_file_complete(self, old_field_name, counters) -> None:
        super().handle_file_complete(old_field_name, counters)
        field = force_str(old_field_name, self._encoding, errors="replace")
        files = self._files.getlist(field)
        if files and not hasattr(files[-1], "raw_name"):
            files[-1].raw_name = self._raw_name


class LimitedUploadHandler(FileUploadHandler):
    """First of ``FILE_UPLOAD_HANDLERS``: caps each file and the request while they stream."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.total = 0
        self.current = 0
        self.parsing = False

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if self.parsing or self.request is None:
            return None  # the inner parse below: let Django's loop run
        self.parsing = True
        parser = RawNameMultiPartParser(META, input_data, self.request.upload_handlers, encoding)
        return parser.parse()

    def new_file(self, field_name, file_name, *args, **kwargs) -> None:
        super().new_file(field_name, file_name, *args, **kwargs)
        self.current = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.current += len(raw_data)
        self.total += len(raw_data)
        if self.current > max_file_bytes():
            self._refuse(self.file_name, max_file_bytes())
        if self.total > settings.UPLOAD_MAX_REQUEST_BYTES:
            self._refuse(None, settings.UPLOAD_MAX_REQUEST_BYTES)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the memory or temporary-file handler after this one keeps the file

    def _refuse(self, name: str | None, limit: int) -> None:
        if self.request is not None:
            self.request.upload_refused = {"name": name, "limit": limit}
        raise StopUpload(connection_reset=False)


class UploadLimitMiddleware:
    """Outside the API: a request whose upload the handler stopped gets a 413 page naming the
    limit before any view sees its truncated form (the API's parser answers it itself)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        if request.method != "POST" or request.path.startswith("/api/"):
            return None
        if not request.content_type.startswith("multipart/"):
            return None
        request.POST  # noqa: B018 - parse now (the CSRF check usually already has)
        message = refusal_of(request)
        if message is None:
            return None
        from .error_pages import too_large_page

        return too_large_page(request, message)
