"""Nightly housekeeping: files nobody can use any more.

An admin import is previewed before 确认导入: the upload waits in ``imports/preview/`` under a
random token kept in the user's session. A preview that is never confirmed (the user left, or
uploaded a corrected file instead) would stay there for good; once the session that holds its
token has expired (``SESSION_COOKIE_AGE``) nobody can confirm it, so the nightly task deletes it.

A background job's files (the uploaded import in ``jobs/in/``, the export or error report in
``jobs/out/``) are kept ``JOB_FILE_RETENTION_DAYS`` days after the job finished, then deleted;
the job row keeps its figures, errors and result, and ``files_expired_at`` says when its files
went, so a late download gets a clear answer (410) instead of a missing file.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

from ..choices import JOB_FINISHED
from ..models import Job

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


def expire_job_files(*, now: dt.datetime | None = None) -> int:
    """Delete the files of jobs finished more than ``JOB_FILE_RETENTION_DAYS`` ago; returns how
    many jobs lost their files. Files already missing are taken as deleted; a job still queued,
    running or stalled (it may be re-queued) is never touched. Each job's row is updated after its files are gone, so a run
    stopped halfway is finished by the next."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.JOB_FILE_RETENTION_DAYS)
    due = (
        Job.objects.filter(status__in=JOB_FINISHED, finished_at__lt=cutoff)
        .exclude(input_file="", output_file="")
        .only("id", "input_file", "output_file")
    )
    expired = 0
    for job in due.iterator(chunk_size=500):
        for stored in (job.input_file, job.output_file):
            if stored:
                stored.storage.delete(stored.name)  # no error when it is already gone
        Job.objects.filter(pk=job.pk).update(input_file="", output_file="", files_expired_at=now)
        expired += 1
    if expired:
        logger.info("deleted the files of %d jobs finished before %s", expired, cutoff)
    return expired
