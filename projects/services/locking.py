"""Optimistic concurrency for every versioned model: a write prepared on an older
``lock_version`` is refused with :class:`StaleObjectError` (someone else saved first)."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from .accounts import membership_add as membership_add  # users and memberships live there


class StaleObjectError(ValidationError):
    """Raised when a write is based on an outdated ``lock_version`` (someone else saved first)."""

    def __init__(self, obj) -> None:
        super().__init__(f"“{obj}”已被其他用户修改，请刷新后在最新内容上重新修改。", code="stale")


def check_lock_version(obj, expected: int | None) -> None:
    """Optimistic concurrency: refuse a write prepared on an older version of ``obj``."""
    if expected is None:
        return
    current = type(obj).objects.filter(pk=obj.pk).values_list("lock_version", flat=True).first()
    if current is not None and int(expected) != current:
        raise StaleObjectError(obj)
