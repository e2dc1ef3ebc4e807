"""Fast set-based writes for many rows, for the paths that recompute or import in bulk.

Django's ``QuerySet.bulk_update`` builds a ``CASE WHEN pk = … THEN …`` per field per row: for
tens of thousands of rows most of the time goes into compiling that SQL. Here, on PostgreSQL:

- a few rows: one ``UPDATE t SET f = v.f … FROM (VALUES (…), (…)) AS v WHERE t.id = v.id``;
- many rows (``COPY_FROM`` and up): ``COPY`` into a temporary table, then one
  ``UPDATE … FROM`` it. A ``VALUES`` list of 10,000 rows is a 100,000-parameter statement that
  the driver adapts value by value and the server parses; ``COPY`` streams the same rows in
  bulk and costs a fraction of either;
- inserts (:func:`bulk_insert_rows`): ``COPY`` straight into the table.

Other databases (SQLite for the demo) get ``executemany``. Values are prepared as
``Model.save()`` would prepare them (``get_db_prep_save``), skipping only the field types whose
preparation is the identity on PostgreSQL for the Python values the model holds.

``objects`` may be model instances or any objects with the model's attribute names (the
recompute's light rows): pass ``model=`` then.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any

from django.db import connections, router, transaction
from django.db.models import Field, Model
from django.db.models.expressions import BaseExpression
from django.db.models.fields import AutoFieldMixin

DEFAULT_BATCH = 1000
COPY_FROM = 200  # rows; below this one VALUES statement is cheaper than a temporary table
COPY_BATCH = 50_000  # rows per COPY + UPDATE (bounded memory on both sides)
# Field types whose get_db_prep_save returns its (already right-typed) input on PostgreSQL.
_PLAIN_TYPES = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "DecimalField",
        "ForeignKey",
        "IntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SmallIntegerField",
        "TextField",
    }
)
_temp_names = itertools.count()


def _json_text(encoder: type[json.JSONEncoder] | None) -> Callable[[Any], Any]:
    """JSON text of a value; lists of strings (notes, mostly the same few) encoded once each."""
    dumps = json.dumps if encoder is None else partial(json.dumps, cls=encoder)
    seen: dict[tuple, str] = {}

    def text(value):
        if value is None:
            return None
        if type(value) is list and all(type(item) is str for item in value):
            key = tuple(value)
            found = seen.get(key)
            if found is None:
                found = dumps(value)
                if len(seen) < 10_000:
                    seen[key] = found
            return found
        return dumps(value)

    return text


def _preparer(field: Field, connection) -> Callable[[Any], Any] | None:
    """How to turn an attribute value into a driver value; None when it needs nothing."""
    kind = field.get_internal_type()
    if kind == "ForeignKey":
        kind = field.target_field.get_internal_type()
    if connection.vendor == "postgresql" and kind in _PLAIN_TYPES:
        return None
    if connection.vendor == "postgresql" and kind == "JSONField":
        # JSON text, which PostgreSQL reads into jsonb: what get_db_prep_save's Jsonb wrapper
        # sends, without a wrapper object and three method calls per value.
        return _json_text(field.encoder)
    return lambda value: field.get_db_prep_save(value, connection)


def prepared_rows(
    objects: Iterable[Any], fields: Sequence[Field], connection, *, with_pk: Field | None = None
) -> list[list[Any]]:
    """``[pk?, value, …]`` per object, prepared for the driver."""
    columns = ([with_pk] if with_pk is not None else []) + list(fields)
    attnames = (["pk"] if with_pk is not None else []) + [c.attname for c in fields]
    preps = [_preparer(c, connection) for c in columns]
    if not any(preps):
        return [[getattr(obj, name) for name in attnames] for obj in objects]
    pairs = list(zip(attnames, preps, strict=True))
    return [
        [getattr(obj, name) if prep is None else prep(getattr(obj, name)) for name, prep in pairs]
        for obj in objects
    ]


def bulk_update_rows(
    objects: Sequence[Any],
    fields: Sequence[str],
    *,
    batch_size: int = DEFAULT_BATCH,
    model: type[Model] | None = None,
) -> int:
    """Write ``fields`` of ``objects`` (all of one model) to the database; returns the count."""
    if not objects:
        return 0
    model = model or type(objects[0])
    connection = connections[router.db_for_write(model)]
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    rows = prepared_rows(objects, columns, connection, with_pk=meta.pk)
    return _update(connection, model, columns, rows, batch_size)


def bulk_update_values(
    model: type[Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    batch_size: int = DEFAULT_BATCH,
) -> int:
    """Like :func:`bulk_update_rows` for plain ``(pk, value, …)`` rows in ``fields`` order."""
    if not rows:
        return 0
    connection = connections[router.db_for_write(model)]
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    preps = [_preparer(c, connection) for c in [meta.pk, *columns]]
    if any(preps):
        rows = [
            [value if prep is None else prep(value) for value, prep in zip(row, preps, strict=True)]
            for row in rows
        ]
    return _update(connection, model, columns, rows, batch_size)


def _update(connection, model, columns, rows, batch_size: int) -> int:
    if connection.vendor == "postgresql" and len(rows) >= COPY_FROM:
        _copy_update(connection, model, columns, rows)
    elif connection.vendor == "postgresql":
        _values_update(connection, model, columns, rows, batch_size)
    else:
        _executemany_update(connection, model, columns, rows, batch_size)
    return len(rows)


def _values_update(connection, model, columns, rows, batch_size: int) -> None:
    meta, quote = model._meta, connection.ops.quote_name
    pk = meta.pk
    batch_size = max(1, min(batch_size, 60000 // (len(columns) + 1)))
    casts = [pk.db_type(connection)] + [c.db_type(connection) for c in columns]
    placeholder = "(" + ", ".join(f"%s::{cast}" for cast in casts) + ")"
    names = ", ".join(quote(n) for n in ["_pk", *(c.column for c in columns)])
    assignments = ", ".join(f"{quote(c.column)} = v.{quote(c.column)}" for c in columns)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            batch = rows[start : start + batch_size]
            cursor.execute(
                f"UPDATE {quote(meta.db_table)} AS t SET {assignments} FROM (VALUES "
                + ", ".join([placeholder] * len(batch))
                + f") AS v({names}) WHERE t.{quote(pk.column)} = v._pk",
                [value for row in batch for value in row],
            )


def _copy_update(connection, model, columns, rows) -> None:
    meta, quote = model._meta, connection.ops.quote_name
    pk = meta.pk
    temp = f"_bulk_{meta.db_table}_{next(_temp_names)}"[:63]
    definitions = ", ".join(
        [f"_pk {pk.db_type(connection)}"]
        + [f"{quote(c.column)} {c.db_type(connection)}" for c in columns]
    )
    names = ", ".join(["_pk", *(quote(c.column) for c in columns)])
    assignments = ", ".join(f"{quote(c.column)} = v.{quote(c.column)}" for c in columns)
    rows = sorted(rows, key=lambda row: row[0])  # pk order: neighbouring rows share pages
    with transaction.atomic(using=connection.alias, savepoint=False), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {temp} ({definitions}) ON COMMIT DROP")
        for start in range(0, len(rows), COPY_BATCH):
            batch = rows[start : start + COPY_BATCH]
            with cursor.cursor.copy(f"COPY {temp} ({names}) FROM STDIN") as copy:
                for row in batch:
                    copy.write_row(row)
            # The batch's key range spelt out: without it the planner may merge-join from the
            # first row of the whole target table.
            cursor.execute(
                f"UPDATE {quote(meta.db_table)} AS t SET {assignments} FROM {temp} AS v"
                f" WHERE t.{quote(pk.column)} = v._pk"
                f" AND t.{quote(pk.column)} BETWEEN %s AND %s",
                [batch[0][0], batch[-1][0]],
            )
            cursor.execute(f"TRUNCATE {temp}")
        cursor.execute(f"DROP TABLE {temp}")


def _executemany_update(connection, model, columns, rows, batch_size: int) -> None:
    meta, quote = model._meta, connection.ops.quote_name
    sql = (
        f"UPDATE {quote(meta.db_table)} SET "
        + ", ".join(f"{quote(c.column)} = %s" for c in columns)
        + f" WHERE {quote(meta.pk.column)} = %s"
    )
    params = [row[1:] + row[:1] for row in rows]
    with connection.cursor() as cursor:
        for start in range(0, len(params), batch_size):
            cursor.executemany(sql, params[start : start + batch_size])


def _prepare_rows(
    rows: Sequence[Sequence[Any]], preps: Sequence[Callable[[Any], Any] | None]
) -> list[list[Any]]:
    """Apply each column's preparer; a value that is the very object of the row before (bulk
    writers pass one ``now``, one deadline, one ``changes`` dict to every row) is prepared once."""
    last: list[tuple[Any, Any]] = [(_UNSET, None)] * len(preps)
    prepared = []
    for row in rows:
        out = []
        for index, (value, prep) in enumerate(zip(row, preps, strict=True)):
            if prep is None:
                out.append(value)
                continue
            before, done = last[index]
            if value is not before:
                done = prep(value)
                last[index] = (value, done)
            out.append(done)
        prepared.append(out)
    return prepared


_UNSET = object()


def bulk_insert_rows(
    model: type[Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    json_encoder: type[json.JSONEncoder] | None = None,
) -> int:
    """Insert ``rows`` (attribute values in ``fields`` order; JSON as Python objects, encoded
    with ``json_encoder`` when given) without reading ids back; returns the count. For
    append-only tables such as the audit log, where nothing needs the new rows' ids."""
    if not rows:
        return 0
    connection = connections[router.db_for_write(model)]
    meta, quote = model._meta, connection.ops.quote_name
    columns = [meta.get_field(name) for name in fields]
    preps = [_preparer(c, connection) for c in columns]
    if json_encoder is not None:
        preps = [
            _json_text(json_encoder) if c.get_internal_type() == "JSONField" else prep
            for c, prep in zip(columns, preps, strict=True)
        ]
    if any(preps):
        rows = _prepare_rows(rows, preps)
    names = ", ".join(quote(c.column) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The driver's own COPY: wrapped so a constraint violation is Django's IntegrityError
            # (callers catch it to retry without the conflicting rows), as for execute().
            sql = f"COPY {quote(meta.db_table)} ({names}) FROM STDIN"
            with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {quote(meta.db_table)} ({names}) VALUES ({placeholders})",
                [list(row) for row in rows],
            )
    return len(rows)


def bulk_create_rows(objects: Sequence[Model], *, batch_size: int = DEFAULT_BATCH) -> list:
    """Insert new model instances and set their primary keys, like ``bulk_create``.

    On PostgreSQL, for a model with an auto primary key: the keys are drawn from its sequence in
    one query and the rows ``COPY``ed in (Django's ``INSERT … RETURNING`` of many rows spends
    most of its time compiling the statement and binding every value). Each field is prepared
    as ``bulk_create`` prepares it (``pre_save`` — ``auto_now`` included — then
    ``get_db_prep_save``). Anything else falls back to ``bulk_create(batch_size=…)``.
    """
    objects = list(objects)
    if not objects:
        return objects
    model = type(objects[0])
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    if (
        connection.vendor != "postgresql"
        or not isinstance(meta.pk, AutoFieldMixin)
        or meta.parents
        or any(obj._is_pk_set() for obj in objects)
    ):
        return model.objects.bulk_create(objects, batch_size=batch_size)
    fields = [f for f in meta.concrete_fields if f is not meta.pk and not f.generated]
    for obj in objects:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
    values = [[f.pre_save(obj, True) for f in fields] for obj in objects]
    if any(isinstance(v, BaseExpression) for row in values for v in row):
        return model.objects.bulk_create(objects, batch_size=batch_size)
    preps = [_preparer(f, connection) for f in fields]
    quote = connection.ops.quote_name
    names = ", ".join(quote(c.column) for c in [meta.pk, *fields])
    with transaction.atomic(using=connection.alias, savepoint=False), connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objects)],
        )
        keys = [key for (key,) in cursor.fetchall()]
        sql = f"COPY {quote(meta.db_table)} ({names}) FROM STDIN"
        with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
            for key, row in zip(keys, values, strict=True):
                copy.write_row(
                    [key] + [v if p is None else p(v) for v, p in zip(row, preps, strict=True)]
                )
    for obj, key in zip(objects, keys, strict=True):
        obj.pk = key
        obj._state.adding = False
        obj._state.db = connection.alias
    return objects
