"""The audit trail: explicit records for every edit, transition and computed/bulk update.

Services call :func:`record` (one object) or :func:`record_many` (bulk paths) inside their
transaction, so a rolled-back change leaves no audit row and a committed one always has one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from .models import AuditAction, AuditEntry, Unit


def to_jsonable(value: Any) -> Any:
    """Values as stored in the audit JSON: Decimals and dates as text, models as their pk."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    return value


def snapshot(obj: models.Model, fields: Sequence[str]) -> dict[str, Any]:
    """The current values of ``fields`` (foreign keys by id), ready for :func:`diff`."""
    data: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        attname = getattr(field, "attname", name)
        data[name] = to_jsonable(getattr(obj, attname))
    return data


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Field-by-field changes as ``{field: [old, new]}``; unchanged fields are left out."""
    changes = {}
    for key in sorted(set(before) | set(after)):
        old, new = to_jsonable(before.get(key)), to_jsonable(after.get(key))
        if old != new:
            changes[key] = [old, new]
    return changes


def _unit_of(obj: models.Model) -> Unit | None:
    if isinstance(obj, Unit):
        return obj
    unit_id = getattr(obj, "unit_id", None)
    if unit_id:
        return Unit(pk=unit_id)
    return None


def record(
    *,
    obj: models.Model,
    actor,
    action: str,
    changes: dict | None = None,
    comment: str = "",
    transition: str = "",
    unit: Unit | None = None,
) -> AuditEntry:
    """Write one audit row for ``obj``."""
    return AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True),
        object_id=str(obj.pk),
        object_repr=str(obj)[:300],
        unit=unit or _unit_of(obj),
        actor=actor if getattr(actor, "pk", None) else None,
        action=AuditAction(action),
        transition=transition,
        changes=to_jsonable(changes or {}),
        comment=comment,
    )


def record_many(
    *,
    entries: Iterable[tuple[models.Model, dict]],
    actor,
    action: str,
    comment: str = "",
    batch_size: int = 1000,
) -> int:
    """Bulk paths (imports, recomputes) write their audit rows in batches too."""
    rows = []
    type_cache: dict[type, ContentType] = {}
    for obj, changes in entries:
        model = type(obj)
        if model not in type_cache:
            type_cache[model] = ContentType.objects.get_for_model(model, for_concrete_model=True)
        unit = _unit_of(obj)
        rows.append(
            AuditEntry(
                content_type=type_cache[model],
                object_id=str(obj.pk),
                object_repr=str(obj)[:300],
                unit_id=unit.pk if unit else None,
                actor=actor if getattr(actor, "pk", None) else None,
                action=AuditAction(action),
                changes=to_jsonable(changes),
                comment=comment,
            )
        )
    AuditEntry.objects.bulk_create(rows, batch_size=batch_size)
    return len(rows)


def history(obj: models.Model) -> models.QuerySet[AuditEntry]:
    """An object's audit rows, newest first."""
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True),
        object_id=str(obj.pk),
    ).select_related("actor")
