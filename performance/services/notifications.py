"""Notifications: each reminder reaches each recipient once per occasion.

``notify`` inserts with the ``(recipient, occasion_key)`` unique constraint as the guard, so a
scheduler tick that runs twice, or a redelivered task, creates nothing new. Mail goes out after
commit and only for rows this call actually created.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from projects import audit
from projects.models import AuditAction, Unit
from projects.permissions import DEPT_REVIEWERS, UNIT_STAFF, users_with_roles

from .. import dispatch
from ..models import Notification


def unit_staff(unit: Unit) -> list:
    """The people who fill in and sign off a unit's work (``UNIT_STAFF``)."""
    return users_with_roles(unit, UNIT_STAFF)


def department_reviewers(unit: Unit) -> list:
    """The reviewers of the unit's department (``DEPT_REVIEWERS``)."""
    return users_with_roles(unit, DEPT_REVIEWERS)


def notify(
    *,
    recipient,
    kind: str,
    occasion_key: str,
    title: str,
    body: str = "",
    link: str = "",
    unit: Unit | None = None,
) -> Notification | None:
    """Create the notification unless this recipient already has one for this occasion.

    Returns the new row, or ``None`` when it existed already.
    """
    if Notification.objects.filter(recipient=recipient, occasion_key=occasion_key).exists():
        return None
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient=recipient,
                kind=kind,
                occasion_key=occasion_key[:200],
                title=title[:200],
                body=body,
                link=link[:300],
                unit=unit,
            )
    except IntegrityError:  # a concurrent worker created it first
        return None
    if recipient.email:
        transaction.on_commit(lambda: _queue_email(notification.pk))
    return notification


def notify_many(*, recipients: Iterable, **fields) -> int:
    return sum(1 for user in recipients if notify(recipient=user, **fields) is not None)


def _queue_email(notification_id: int) -> None:
    dispatch.enqueue(dispatch.SEND_NOTIFICATION_EMAIL, notification_id)


# Longer than any send can take (EMAIL_TIMEOUT bounds the SMTP connection), so a live
# worker's claim is never taken over; a dead worker's is, by the next delivery attempt.
MAIL_CLAIM_TIMEOUT = dt.timedelta(minutes=10)


def deliver_email(*, notification_id: int) -> bool:
    """Send one notification by mail. At most one worker sends it at a time: it claims the row
    first (``email_claimed_at``) and marks it sent (``emailed_at``) after the mail server took
    it. A worker that dies between the two leaves a claim that a later attempt (the task's
    redelivery, or ``mail_catch_up``) takes over once it is ``MAIL_CLAIM_TIMEOUT`` old: the mail
    is not lost, and is sent twice only if the server took it and the worker died before the
    mark. Returns whether this call sent it."""
    from django.conf import settings
    from django.core.mail import send_mail

    now = timezone.now()
    claimed = (
        Notification.objects.filter(pk=notification_id, emailed_at__isnull=True)
        .filter(Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=now - MAIL_CLAIM_TIMEOUT))
        .update(email_claimed_at=now)
    )
    if not claimed:
        return False
    notification = Notification.objects.select_related("recipient").get(pk=notification_id)
    try:
        send_mail(
            subject=f"【绩效管理】{notification.title}",
            message=notification.body or notification.title,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[notification.recipient.email],
        )
    except Exception:
        Notification.objects.filter(pk=notification_id).update(email_claimed_at=None)
        raise
    Notification.objects.filter(pk=notification_id).update(emailed_at=timezone.now())
    return True


def mark_read(*, user, notification_ids: Iterable[int]) -> int:
    """Mark the user's own notifications read; others' ids are ignored.

    Not audited: the read state is the recipient's own inbox marker, and ``read_at`` itself
    records when (the recipient is the only one who may set it)."""
    return Notification.objects.filter(
        recipient=user, pk__in=list(notification_ids), read_at__isnull=True
    ).update(read_at=timezone.now())


def mark_unread(*, user, notification_ids: Iterable[int]) -> int:
    """Put the user's own notifications back on the unread list; others' ids are ignored."""
    return Notification.objects.filter(
        recipient=user, pk__in=list(notification_ids), read_at__isnull=False
    ).update(read_at=None)


def unread_count(user) -> int:
    """How many of the user's notifications are unread (the admin header shows it)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


NOTIFICATION_AUDIT_FIELDS = ("recipient", "kind", "title", "occasion_key", "created_at", "read_at")


@transaction.atomic
def notification_delete(*, notification: Notification, actor=None) -> None:
    """Delete a notification (system administrators only; recipients mark theirs read)."""
    if actor is not None and not actor.is_superuser:
        raise PermissionDenied("只有系统管理员可以删除通知。")
    audit.record(
        obj=notification,
        actor=actor,
        action=AuditAction.DELETE,
        changes=audit.diff(audit.snapshot(notification, NOTIFICATION_AUDIT_FIELDS), {}),
    )
    notification.delete()
