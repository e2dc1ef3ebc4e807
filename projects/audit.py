"""The audit trail: explicit records for every edit, transition and computed/bulk update.

Services call :func:`record` (one object) or :func:`record_many` (bulk paths) inside their
transaction, so a rolled-back change leaves no audit row and a committed one always has one.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from .bulk_writes import bulk_insert_rows
from .models import AuditAction, AuditEntry, Unit

_PLAIN = frozenset({str, int, float, bool})


def to_jsonable(value: Any) -> Any:
    """Values as stored in the audit JSON: Decimals and dates as text, models as their pk."""
    if value is None or type(value) in _PLAIN:  # most values: nothing to convert
        return value
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dt.tzinfo):  # a schedule's time zone
        return str(value)
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


class _Encoder(json.JSONEncoder):
    """JSON for audit changes: what :func:`to_jsonable` would make of the values, at C speed
    (the standard encoder calls ``default`` only for values JSON has no type for)."""

    def default(self, o: Any) -> Any:
        value = to_jsonable(o)
        if value is o:
            return super().default(o)
        return value


AUDIT_COLUMNS = (
    "content_type",
    "object_id",
    "object_repr",
    "unit",
    "actor",
    "action",
    "transition",
    "changes",
    "comment",
    "created_at",
)


def record_many(
    *,
    entries: Iterable[tuple[models.Model, dict]],
    actor,
    action: str,
    comment: str = "",
    batch_size: int = 1000,
    reprs: Mapping[Any, str] | None = None,
) -> int:
    """Bulk paths (imports, recomputes) write their audit rows in bulk too: one ``COPY`` on
    PostgreSQL, without building a model instance per row. ``reprs`` (by pk) replaces
    ``str(obj)`` for callers that did not load what ``__str__`` reads. ``batch_size`` is kept
    for callers; rows are streamed."""
    action = AuditAction(action)
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    now = timezone.now()
    type_ids: dict[type, int] = {}
    rows = []
    for obj, changes in entries:
        model = type(obj)
        if model not in type_ids:
            type_ids[model] = ContentType.objects.get_for_model(model, for_concrete_model=True).pk
        rows.append(
            (
                type_ids[model],
                str(obj.pk),
                (reprs[obj.pk] if reprs is not None else str(obj))[:300],
                obj.pk if isinstance(obj, Unit) else getattr(obj, "unit_id", None) or None,
                actor_id,
                action,
                "",
                changes,
                comment,
                now,
            )
        )
    return bulk_insert_rows(AuditEntry, AUDIT_COLUMNS, rows, json_encoder=_Encoder)


def save_recorded(
    model: type[models.Model],
    instance: models.Model | None,
    data: Mapping[str, Any],
    *,
    fields: Sequence[str],
    actor,
) -> models.Model:
    """Create (``instance`` None) or change a row from ``data``, limited to ``fields``: the row
    locked, ``full_clean()``, saved and recorded field by field (nothing when nothing changed).

    For services whose rows are plain settings (scoring schemes, schedules); the caller checks
    permissions and runs inside a transaction. An unknown key is a field-level error."""
    unknown = [key for key in data if key not in fields]
    if unknown:
        raise ValidationError({key: "未知字段。" for key in unknown})
    created = instance is None
    instance = model() if created else model.objects.select_for_update().get(pk=instance.pk)
    before = {} if created else snapshot(instance, fields)
    for key, value in data.items():
        setattr(instance, key, value)
    instance.full_clean()
    changes = diff(before, snapshot(instance, fields))
    if created or changes:
        instance.save()
        record(
            obj=instance,
            actor=actor,
            action=AuditAction.CREATE if created else AuditAction.UPDATE,
            changes=changes,
        )
    return instance


def delete_recorded(instance: models.Model, *, fields: Sequence[str], actor) -> None:
    """Delete a row, recording the values of ``fields`` it had (see :func:`save_recorded`)."""
    record(
        obj=instance,
        actor=actor,
        action=AuditAction.DELETE,
        changes=diff(snapshot(instance, fields), {}),
    )
    instance.delete()


def history(obj: models.Model) -> models.QuerySet[AuditEntry]:
    """An object's audit rows, newest first."""
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True),
        object_id=str(obj.pk),
    ).select_related("actor")
