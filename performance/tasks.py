"""Celery tasks: thin, idempotent, each calling one service with ids."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from .services import goals as goal_services

RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(name="performance.reparse_indicators", acks_late=True, **RETRY)
def reparse_indicators(goal_ids: list[int] | None = None) -> int:
    """Re-read 指标值 with the current parser; safe to run twice (unchanged rows are skipped)."""
    return goal_services.indicators_reparse(goal_ids=goal_ids)


@shared_task(name="performance.send_notification_email", acks_late=True, **RETRY)
def send_notification_email(notification_id: int) -> bool:
    """Mail one notification; a redelivered task finds it claimed and sends nothing."""
    from .services.notifications import deliver_email

    return deliver_email(notification_id=notification_id)
