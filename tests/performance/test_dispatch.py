"""Services queue Celery work by task name (``performance.dispatch``), never by importing the
tasks: the names must be registered, and a queued task still runs eagerly in the unit tests."""

from __future__ import annotations

import subprocess
import sys

import pytest
from celery import current_app

from performance import dispatch, tasks

DISPATCHED = {
    dispatch.SEND_NOTIFICATION_EMAIL: tasks.send_notification_email,
    dispatch.IMPORT_TARGETS: tasks.import_targets,
    dispatch.RECOMPUTE_JOB: tasks.recompute_job,
    dispatch.RECOMPUTE_CHUNK: tasks.recompute_chunk,
    dispatch.SEND_NOTIFICATION_DIGEST: tasks.send_notification_digest,
}


@pytest.mark.parametrize("name", sorted(DISPATCHED))
def test_every_task_the_services_queue_is_registered_under_its_name(name):
    assert current_app.tasks[name] is DISPATCHED[name]._get_current_object()
    assert name.startswith("performance.")


def test_the_registry_is_filled_when_django_starts_not_by_a_service_importing_the_tasks():
    code = (
        "import django, os, sys; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings.test';"
        "django.setup(); from celery import current_app;"
        "print('performance.import_targets' in current_app.tasks)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "True", result.stderr


@pytest.mark.django_db
def test_a_notification_mail_queued_by_name_is_sent_in_process_after_commit(
    filler, django_capture_on_commit_callbacks
):
    from django.core import mail

    from performance.choices import NotificationKind
    from performance.services.notifications import notify

    with django_capture_on_commit_callbacks(execute=True):
        notification = notify(
            recipient=filler, kind=NotificationKind.WINDOW_DUE, occasion_key="k", title="到期"
        )
        assert mail.outbox == []  # nothing runs before the commit

    assert [(m.subject, m.to) for m in mail.outbox] == [("【绩效管理】到期", [filler.email])]
    notification.refresh_from_db()
    assert notification.emailed_at is not None
