"""The HTTP answer that hands out a stored file (evidence downloads of the admin and the API)."""

from __future__ import annotations

from django.http import FileResponse

BLOCK = 64 * 1024


def download_response(stored, *, filename: str, content_type: str) -> FileResponse:
    """``stored`` (an open file) as a download the browser never renders: attachment
    disposition with the UTF-8 name, no type sniffing, a sandbox, no caching, 64 KiB blocks."""
    response = FileResponse(
        stored, as_attachment=True, filename=filename, content_type=content_type
    )
    response.block_size = BLOCK
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
