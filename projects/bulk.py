"""Fast set-based writes for many rows, for the paths that recompute or import in bulk.

Django's ``QuerySet.bulk_update`` builds a ``CASE WHEN pk = … THEN …`` per field per row: for
tens of thousands of rows most of the time goes into compiling that SQL. Here:

- PostgreSQL: one ``UPDATE t SET f = v.f … FROM (VALUES (…), (…)) AS v WHERE t.id = v.id`` per
  batch, every value cast to its column type;
- other databases (SQLite for the demo): ``executemany`` of ``UPDATE … WHERE id = %s``.

Values go through each field's ``get_db_prep_save`` exactly as ``Model.save()`` would.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections, router
from django.db.models import Model

DEFAULT_BATCH = 1000


def bulk_update_rows(
    objects: Sequence[Model], fields: Sequence[str], *, batch_size: int = DEFAULT_BATCH
) -> int:
    """Write ``fields`` of ``objects`` (all of one model) to the database; returns the count."""
    if not objects:
        return 0
    model = type(objects[0])
    connection = connections[router.db_for_write(model)]
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    pk = meta.pk
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    rows = [
        [pk.get_db_prep_save(obj.pk, connection)]
        + [c.get_db_prep_save(getattr(obj, c.attname), connection) for c in columns]
        for obj in objects
    ]
    batch_size = max(1, min(batch_size, 60000 // (len(columns) + 1)))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            casts = [pk.db_type(connection)] + [c.db_type(connection) for c in columns]
            placeholder = "(" + ", ".join(f"%s::{cast}" for cast in casts) + ")"
            names = ", ".join(quote(n) for n in ["_pk", *(c.column for c in columns)])
            assignments = ", ".join(f"{quote(c.column)} = v.{quote(c.column)}" for c in columns)
            for start in range(0, len(rows), batch_size):
                batch = rows[start : start + batch_size]
                sql = (
                    f"UPDATE {table} AS t SET {assignments} FROM (VALUES "
                    + ", ".join([placeholder] * len(batch))
                    + f") AS v({names}) WHERE t.{quote(pk.column)} = v._pk"
                )
                cursor.execute(sql, [value for row in batch for value in row])
        else:
            sql = (
                f"UPDATE {table} SET "
                + ", ".join(f"{quote(c.column)} = %s" for c in columns)
                + f" WHERE {quote(pk.column)} = %s"
            )
            params = [row[1:] + row[:1] for row in rows]
            for start in range(0, len(params), batch_size):
                cursor.executemany(sql, params[start : start + batch_size])
    return len(objects)
