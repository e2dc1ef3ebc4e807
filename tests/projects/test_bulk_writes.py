"""``bulk_insert_rows``: the rows bulk writers share values between (one ``now``, one changes
dict per run) are stored per row exactly as rows with their own objects."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from projects.bulk_writes import _prepare_rows, bulk_insert_rows
from projects.models import AuditAction, AuditEntry, Unit

pytestmark = pytest.mark.django_db


def test_shared_values_are_prepared_once_and_stored_per_row():
    unit = Unit.objects.first() or Unit.objects.create(code="BW1", name="批量写入测试单位")
    now = timezone.now()
    ct = ContentType.objects.get_for_model(Unit).pk
    shared = {"deadline": [None, dt.date(2026, 3, 31)]}
    rows = [
        (ct, str(n), f"对象 {n}", unit.pk, AuditAction.CREATE, "", shared, "批量", now)
        for n in range(3)
    ]
    # A row with its own (different) objects after the shared ones is prepared on its own.
    other = timezone.now() + dt.timedelta(seconds=5)
    rows.append((ct, "9", "对象 9", unit.pk, AuditAction.CREATE, "", {"x": [1, 2]}, "单独", other))
    fields = (
        "content_type",
        "object_id",
        "object_repr",
        "unit",
        "action",
        "transition",
        "changes",
        "comment",
    )
    assert (
        bulk_insert_rows(AuditEntry, (*fields, "created_at"), rows, json_encoder=DjangoJSONEncoder)
        == 4
    )
    stored = {e.object_id: e for e in AuditEntry.objects.filter(object_repr__startswith="对象 ")}
    assert sorted(stored) == ["0", "1", "2", "9"]
    for n in "012":
        assert stored[n].changes == {"deadline": [None, "2026-03-31"]}
        assert stored[n].created_at == now
    assert stored["9"].changes == {"x": [1, 2]} and stored["9"].created_at == other


def test_prepare_rows_calls_a_preparer_once_per_distinct_object():
    calls = []

    def prep(value):
        calls.append(value)
        return f"<{value}>"

    shared, equal_but_other = ["a"], ["a"]
    rows = [(shared, 1), (shared, 2), (equal_but_other, 3), (shared, 4)]
    assert _prepare_rows(rows, [prep, None]) == [
        ["<['a']>", 1],
        ["<['a']>", 2],
        ["<['a']>", 3],
        ["<['a']>", 4],
    ]
    assert len(calls) == 3  # shared, the other list, shared again after it
