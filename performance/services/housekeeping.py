"""Nightly housekeeping: files nobody can use any more.

An admin import is previewed before 确认导入: the upload waits in ``imports/preview/`` under a
random token kept in the user's session. A preview that is never confirmed (the user left, or
uploaded a corrected file instead) would stay there for good; once the session that holds its
token has expired (``SESSION_COOKIE_AGE``) nobody can confirm it, so the nightly task deletes it.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

logger = logging.getLogger(__name__)

PREVIEW_DIR = "imports/preview"


def preview_path(token: str) -> str:
    return f"{PREVIEW_DIR}/{token}.upload"


def discard_stale_previews(*, now: dt.datetime | None = None) -> int:
    """Delete the import previews older than a session; returns how many were deleted."""
    cutoff = (now or timezone.now()) - dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    try:
        _, names = default_storage.listdir(PREVIEW_DIR)
    except FileNotFoundError:  # no import was ever previewed here
        return 0
    deleted = 0
    for name in names:
        path = f"{PREVIEW_DIR}/{name}"
        try:
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
                deleted += 1
        except FileNotFoundError:  # confirmed (and deleted) meanwhile
            continue
    if deleted:
        logger.info("deleted %d stale import previews", deleted)
    return deleted
