"""Notifications: each reminder reaches each recipient once per occasion.

``notify`` inserts with the ``(recipient, occasion_key)`` unique constraint as the guard, so a
scheduler tick that runs twice, or a redelivered task, creates nothing new. Mail goes out after
commit and only for rows this call actually created: one mail per notification, except inside
:func:`batch` (bulk review, bulk submit), where each recipient gets one digest mail listing his
new notices. The inbox rows stay one per occasion either way.

Who is told what (the README's "谁会收到通知"): a document reaching a review step tells that
step's reviewers (``review:``), an approval and a return tell the unit's staff (``approved:``,
``returned:``), a step waiting too long tells the next level once (``escalate:``, the daily
sweep). The actor is never told of his own action.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from projects import audit
from projects.models import AuditAction, Unit
from projects.permissions import DEPT_REVIEWERS, UNIT_STAFF, users_with_roles
from projects.services.invitations import invite_link

from .. import dispatch
from ..choices import NotificationKind
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

    Returns the new row, or ``None`` when it existed already (or inside :func:`silenced`).
    """
    if _SILENT.get():
        return None
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
        collecting = _BATCH.get()
        if collecting is not None:
            collecting.append(notification.pk)
        else:
            transaction.on_commit(lambda: _queue_email(notification.pk))
    return notification


def notify_many(*, recipients: Iterable, **fields) -> int:
    return sum(1 for user in recipients if notify(recipient=user, **fields) is not None)


def recipients_for(unit: Unit, roles: Iterable[str], *, exclude=None) -> list:
    """Active holders of ``roles`` on ``unit`` or above, without ``exclude`` (the actor: nobody
    is told of his own action)."""
    excluded = getattr(exclude, "pk", None)
    return [user for user in users_with_roles(unit, roles) if user.pk != excluded]


def occasion_key(occasion: str, obj: models.Model) -> str:
    """``<occasion>:<model>:<pk>:v<lock_version>``: one stay of one document at one step (every
    transition bumps the lock version, nothing else does while it is under review), so a
    resubmission after a return is a new occasion and a re-run of a sweep is not."""
    return f"{occasion}:{obj._meta.model_name}:{obj.pk}:v{obj.lock_version}"


def notify_step_reached(*, obj, roles: Iterable[str], actor, link: str = "") -> int:
    """Tell the reviewers of the step ``obj`` has just reached (holders of ``roles``, its approve
    roles, on its unit or above) that it waits for them."""
    noun = obj._meta.verbose_name
    return notify_many(
        recipients=recipients_for(obj.unit, roles, exclude=actor),
        kind=NotificationKind.REVIEW_WAITING,
        occasion_key=occasion_key("review", obj),
        title=f"待您审核：{noun}“{obj}”（{obj.get_status_display()}）"[:200],
        body=f"{obj.unit}报送的{noun}“{obj}”已到您的审核环节，请及时审核。",
        link=link,
        unit=obj.unit,
    )


def notify_approved(*, obj, what: str, actor, link: str = "") -> int:
    """Tell the unit's staff that ``obj`` was approved (``what``: "已通过主管部门审核，已报财政",
    "已获财政批复" …)."""
    noun = obj._meta.verbose_name
    comment = f"审核意见：{obj.last_comment}" if obj.last_comment else ""
    return notify_many(
        recipients=recipients_for(obj.unit, UNIT_STAFF, exclude=actor),
        kind=NotificationKind.APPROVED,
        occasion_key=occasion_key("approved", obj),
        title=f"{noun}{what}：{obj}"[:200],
        body=comment,
        link=link,
        unit=obj.unit,
    )


# Inside :func:`silenced` nobody is told anything.
_SILENT: ContextVar[bool] = ContextVar("notifications_silenced", default=False)


@contextmanager
def silenced() -> Iterator[None]:
    """Load history without news: the demo's published approvals happened long ago, so the
    transitions that recreate them tell nobody."""
    token = _SILENT.set(True)
    try:
        yield
    finally:
        _SILENT.reset(token)


def is_silenced() -> bool:
    """Whether notices are being dropped (:func:`silenced`): bulk writers skip finding
    recipients for notices nobody will get."""
    return _SILENT.get()


# --- digests for bulk operations -------------------------------------------------------------------

# The notification ids created (with a recipient who has an e-mail address) inside the current
# :func:`batch`, or None outside one.
_BATCH: ContextVar[list[int] | None] = ContextVar("notification_batch", default=None)


@contextmanager
def batch(subject: str) -> Iterator[None]:
    """Collect the mail of every notification created inside (bulk review, a bulk submit) and,
    after commit, send each recipient one digest mail instead of one mail per notice. Nested
    batches belong to the outermost one."""
    if _BATCH.get() is not None:
        yield
        return
    collected: list[int] = []
    token = _BATCH.set(collected)
    try:
        yield
    finally:
        _BATCH.reset(token)
        if collected:
            ids = list(collected)
            transaction.on_commit(
                lambda: dispatch.enqueue(dispatch.SEND_NOTIFICATION_DIGEST, subject, ids)
            )


def _claim(ids: Iterable[int], now: dt.datetime) -> list[Notification]:
    """Claim the unsent, unclaimed (or stale-claimed) rows of ``ids`` for this worker."""
    free = Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=now - MAIL_CLAIM_TIMEOUT)
    Notification.objects.filter(pk__in=list(ids), emailed_at__isnull=True).filter(free).update(
        email_claimed_at=now
    )
    return list(
        Notification.objects.filter(pk__in=list(ids), email_claimed_at=now, emailed_at__isnull=True)
        .select_related("recipient")
        .order_by("recipient_id", "pk")
    )


def deliver_digest(*, subject: str, notification_ids: Iterable[int]) -> int:
    """Send each recipient of ``notification_ids`` one mail listing his notices (claimed like
    :func:`deliver_email`, so a row is mailed once whichever path sends it); returns the number
    of mails sent."""
    from django.core.mail import send_mail

    now = timezone.now()
    by_recipient: dict[int, list[Notification]] = {}
    for row in _claim(notification_ids, now):
        by_recipient.setdefault(row.recipient_id, []).append(row)
    sent = 0
    for rows in by_recipient.values():
        ids = [row.pk for row in rows]
        lines = [f"{index}. {_mail_text(row)}" for index, row in enumerate(rows, 1)]
        try:
            send_mail(
                subject=f"【绩效管理】{subject}：您有 {len(rows)} 条新通知",
                message="\n\n".join(lines),
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[rows[0].recipient.email],
            )
        except Exception:
            Notification.objects.filter(pk__in=ids).update(email_claimed_at=None)
            raise
        Notification.objects.filter(pk__in=ids).update(emailed_at=timezone.now())
        sent += 1
    return sent


def open_url(notification: Notification) -> str:
    """The absolute address that opens (and reads) ``notification``, or "" without SITE_URL."""
    if not settings.SITE_URL:
        return ""
    path = reverse("admin:performance_notification_open", args=[notification.pk])
    return settings.SITE_URL + path


def _mail_text(notification: Notification) -> str:
    parts = [notification.title]
    if notification.body and notification.body != notification.title:
        parts.append(notification.body)
    if notification.kind == NotificationKind.ACCOUNT_INVITE:
        # built now, never stored: the token is only in the mail
        parts.append(f"设置密码：{invite_link(notification.recipient)}")
        return "\n".join(parts)
    url = open_url(notification)
    if url:
        parts.append(f"查看：{url}")
    return "\n".join(parts)


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
            message=_mail_text(notification),
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


def open_notification(*, user, notification_id: int) -> str:
    """Mark the user's own notification read and return where to go: its link when that is a
    path on this site, else its own page. Another user's id is ``Notification.DoesNotExist``
    (it looks missing)."""
    notification = Notification.objects.get(pk=notification_id, recipient=user)
    if notification.read_at is None:
        mark_read(user=user, notification_ids=[notification.pk])
    link = notification.link or ""
    own_page = reverse("admin:performance_notification_change", args=[notification.pk])
    on_this_site = (
        link.startswith("/")
        and not link.startswith(("//", "/\\"))
        and url_has_allowed_host_and_scheme(link, allowed_hosts=set())
    )
    return link if on_this_site else own_page


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
