"""The daily reminder sweep: windows with work due, and events worth a warning.

``reminders_sweep`` is what beat runs once a day (any number of extra runs is harmless): for
every active reporting window that has opened it finds the units with work still to do and
notifies their staff — when the window opens, again when the deadline is within
``lead_days``, and once more when it has passed, then also escalated to the unit's
主管部门审核人. Each notification's occasion key names the window, the stage and the unit, so
the ``(recipient, occasion_key)`` unique constraint lets each person get each reminder once
however often the sweep runs or its task is redelivered.

The same sweep raises the event warnings of domain.md §7 for submitted work: red and yellow
monitoring lights, "完全不可能" forecasts, a 差 self-evaluation grade and a deviation — once
per report, entry or evaluation (see ``events.event_notices`` for how it shares keys with the
cycle's services, which warn as soon as a person saves), and escalates review steps waiting
longer than the bureau's working days to the next level, once per stay (``reviews``).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from ... import dispatch
from ...models import Notification, ReportingWindow
from .events import events_sweep
from .reviews import review_escalation_sweep
from .windows import window_key, window_sweep

__all__ = [
    "events_sweep",
    "mail_catch_up",
    "reminders_sweep",
    "review_escalation_sweep",
    "window_key",
    "window_sweep",
]

# Mail not sent this long after its notification was created is queued again by the sweep.
MAIL_GRACE = dt.timedelta(minutes=15)
MAIL_CATCH_UP = dt.timedelta(days=3)


def mail_catch_up(*, now: dt.datetime | None = None) -> int:
    """Queue mail again for recent notifications never e-mailed (a lost publish, SMTP retries
    exhausted, a worker that died mid-send); ``deliver_email`` claims each row first, so a row
    another worker is sending right now is left to it."""
    now = now or timezone.now()
    pending = list(
        Notification.objects.filter(
            emailed_at__isnull=True,
            created_at__lte=now - MAIL_GRACE,
            created_at__gte=now - MAIL_CATCH_UP,
        )
        .exclude(recipient__email="")
        .values_list("pk", flat=True)
    )
    if pending:

        def queue() -> None:
            for notification_id in pending:
                dispatch.enqueue(dispatch.SEND_NOTIFICATION_EMAIL, notification_id)

        transaction.on_commit(queue)
    return len(pending)


def reminders_sweep(*, today: dt.date | None = None) -> int:
    """Run every active window's reminders and the event warnings; returns new notifications.

    Each window is its own transaction, so one window's failure (retried by the task) does not
    undo the others, and no transaction stays open for a whole province. Mail that never went
    out for earlier notifications is queued again.
    """
    today = today or timezone.localdate()
    created = 0
    windows = ReportingWindow.objects.filter(is_active=True, opens_on__lte=today).order_by("pk")
    for window in windows:
        with transaction.atomic():
            created += window_sweep(window=window, today=today)
    with transaction.atomic():
        created += events_sweep(today=today)
    with transaction.atomic():
        created += review_escalation_sweep(today=today)
    with transaction.atomic():
        from ..rectifications import rectification_reminders  # builds on the reminders

        created += rectification_reminders(today=today)
    mail_catch_up()
    return created
