"""The one way services queue Celery work: by the task's registered name.

The tasks call the services, so the services may not import the tasks (the layers run one way:
tasks → services → selectors → models; import-linter checks it). A service names the task
instead, and the name is looked up in the Celery app's registry, which
``PerformanceConfig.ready`` fills by importing ``performance.tasks`` when Django starts. The
lookup returns the task object itself, so ``CELERY_TASK_ALWAYS_EAGER`` (the unit tests) runs it
in-process as ``task.delay`` always did — ``send_task`` would publish to the broker regardless.

Services call these from ``transaction.on_commit``, so a task never runs before the rows it
reads are committed.
"""

from __future__ import annotations

from collections.abc import Iterable

from celery import current_app, group

# The names the tasks are registered under (``performance.tasks``); stored schedules and queued
# messages refer to them, so they never change.
SEND_NOTIFICATION_EMAIL = "performance.send_notification_email"
IMPORT_TARGETS = "performance.import_targets"  # queued before the framework: an alias
RUN_IMPORT = "performance.run_import"  # an import of any kind (services.imports.import_job)
RECOMPUTE_JOB = "performance.recompute_job"
RECOMPUTE_CHUNK = "performance.recompute_chunk"
SEND_NOTIFICATION_DIGEST = "performance.send_notification_digest"
PUBLICATION_JOB = "performance.publication_job"  # 绩效公开: a department's package (issue 17)
RAISE_RECTIFICATIONS = "performance.raise_rectifications"


def enqueue(name: str, *args) -> None:
    """Queue the task registered as ``name`` with positional ``args``."""
    current_app.tasks[name].delay(*args)


def enqueue_group(name: str, arg_lists: Iterable[tuple]) -> None:
    """Queue the task ``name`` once per argument tuple, published together as a Celery group."""
    task = current_app.tasks[name]
    group(task.si(*args) for args in arg_lists).apply_async()
