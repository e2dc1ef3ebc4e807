"""Fault injection for the worker integration tests; a no-op everywhere else.

The integration tests run real worker processes, so a mock cannot reach them. Instead the test
settings name a folder (``TASK_HOOKS_DIR``, from ``PERF_TASK_HOOKS_DIR``) and a test drops
marker files in it:

- ``<point>.pause``: the task waits at ``checkpoint(point)`` while the file exists (a test can
  then SIGKILL the worker in the middle of the work); ``<point>.reached`` is written on arrival.
- ``<point>.fail`` holding a number N: the next N arrivals raise ``OperationalError``, the
  transient database error the tasks retry on.

Test workers also start every task with an empty ContentType cache: transactional tests flush
the database between tests, so ids cached by a long-lived worker would point nowhere.

Without the setting (production, local runs, unit tests) ``checkpoint`` returns at once and
nothing else happens.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from celery.signals import task_prerun
from django.conf import settings
from django.db import OperationalError

PAUSE_LIMIT_SECONDS = 120


def checkpoint(point: str) -> None:
    folder = getattr(settings, "TASK_HOOKS_DIR", "")
    if not folder:
        return
    base = Path(folder)
    fail = base / f"{point}.fail"
    if fail.exists():
        with open(fail, "r+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            remaining = int(handle.read().strip() or 0)
            if remaining > 0:
                handle.seek(0)
                handle.truncate()
                handle.write(str(remaining - 1))
                handle.flush()
                raise OperationalError(f"模拟的数据库瞬时故障（{point}，剩余 {remaining - 1} 次）")
    pause = base / f"{point}.pause"
    if pause.exists():
        (base / f"{point}.reached").write_text(str(os.getpid()))
        deadline = time.monotonic() + PAUSE_LIMIT_SECONDS
        while pause.exists() and time.monotonic() < deadline:
            time.sleep(0.1)


@task_prerun.connect
def _forget_cached_ids(**kwargs) -> None:
    if getattr(settings, "TASK_HOOKS_DIR", ""):
        from django.contrib.contenttypes.models import ContentType

        ContentType.objects.clear_cache()
