"""The treasury payment feed (支出执行) written set-based from a staged temporary table.

The import's planner stages the cleaned rows in ``STAGING`` (one row per feed row, with the
resolved ``project_id`` and ``skip`` = 1 for rows already stored); this service re-checks the
editor's role on every unit the rows touch, inserts ordinary rows, then reversal rows (joined
to what now exists), writes the batch row and one audit row per project plus one for the batch.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from .. import audit
from ..models import AuditAction, ExecutionBatch, ExecutionRecord, Project, Unit
from ..permissions import may_edit_unit

STAGING = "tmp_execution"
# One execution row's fields (a file's columns, a JSON batch's keys), as staged.
ROW_FIELDS = (
    "row_id",
    "year",
    "unit_code",
    "project_code",
    "date",
    "amount",
    "fund_source",
    "note",
    "reverses",
)
STAGING_COLUMNS = ("row_no", *ROW_FIELDS, "project_id")
TEXT_COLUMNS = ("row_id", "unit_code", "project_code", "fund_source", "note", "reverses")


def staging_create() -> None:
    """(Re)create the staging table of this connection (dropped at commit on PostgreSQL)."""
    on_commit = " ON COMMIT DROP" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {STAGING}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {STAGING} (row_no integer, row_id varchar(64), "
            "year integer, unit_code varchar(20), project_code varchar(32), date date, "
            "amount decimal(20, 6), fund_source varchar(20), note varchar(200), "
            "reverses varchar(64), project_id bigint, skip integer NOT NULL DEFAULT 0)"
            f"{on_commit}"
        )


def staging_write(rows: list) -> None:
    """Append rows (``STAGING_COLUMNS`` order; dates and amounts may be ISO and plain text):
    ``COPY`` on PostgreSQL, its text written by the csv module per block, else executemany."""
    if not rows:
        return
    names = ", ".join(STAGING_COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # csv: quoting and escaping done in C. Only project_id may be NULL (an unquoted
            # empty field); every text column reads an empty field as ''.
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="\n").writerows(rows)
            with cursor.cursor.copy(
                f"COPY {STAGING} ({names}) FROM STDIN WITH (FORMAT csv, "
                f"FORCE_NOT_NULL ({', '.join(TEXT_COLUMNS)}))"
            ) as copy:
                copy.write(buffer.getvalue())
        else:
            marks = ", ".join(["%s"] * len(STAGING_COLUMNS))
            cursor.executemany(
                f"INSERT INTO {STAGING} ({names}) VALUES ({marks})",
                [[str(v) if isinstance(v, Decimal) else v for v in row] for row in rows],
            )


@transaction.atomic
def execution_batch_ingest(
    *, source: str, batch_id: str, actor, filename: str, rows_digest: str, file_digest: str = ""
) -> ExecutionBatch | None:
    """Insert the staged rows not yet stored as one batch; None when there is none to insert."""
    record, project = ExecutionRecord._meta.db_table, Project._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT p.unit_id FROM {STAGING} t JOIN {project} p ON p.id = t.project_id "
            "WHERE t.skip = 0"
        )
        unit_ids = [unit_id for (unit_id,) in cursor.fetchall()]
        for item in Unit.objects.filter(pk__in=unit_ids):
            if not may_edit_unit(actor, item):
                raise PermissionDenied(
                    gettext("您不能登记单位「%(unit)s」的支出。") % {"unit": item}
                )
        cursor.execute(
            f"SELECT COUNT(*), COALESCE(SUM(amount), 0), COUNT(DISTINCT project_id), "
            f"SUM(CASE WHEN reverses <> '' THEN 1 ELSE 0 END) FROM {STAGING} WHERE skip = 0"
        )
        rows, total, projects, reversals = cursor.fetchone()
        if not rows:
            return None
        batch = ExecutionBatch.objects.create(
            source=source,
            batch_id=batch_id,
            file_digest=file_digest,
            rows_digest=rows_digest,
            row_count=rows,
            reversal_count=reversals or 0,
            amount_total=Decimal(str(total)),
            project_count=projects,
            filename=filename[:255],
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        actor_id = actor.pk if getattr(actor, "pk", None) else None
        now = timezone.now()
        columns = (
            "project_id, date, amount, fund_source, note, created_by_id, created_at, batch_id, "
            "source, source_row_id, reverses_id"
        )
        # No ORDER BY: nothing reads the ids in file order, and sorting a million staged rows
        # spilled to disk (the reversals below are few and keep theirs).
        cursor.execute(
            f"INSERT INTO {record} ({columns}) SELECT t.project_id, t.date, t.amount, "
            "t.fund_source, t.note, %s, %s, %s, %s, t.row_id, NULL FROM "
            f"{STAGING} t WHERE t.skip = 0 AND t.reverses = ''",
            [actor_id, now, batch.pk, source],
        )
        cursor.execute(
            f"INSERT INTO {record} ({columns}) SELECT t.project_id, t.date, t.amount, "
            "t.fund_source, t.note, %s, %s, %s, %s, t.row_id, r.id FROM "
            f"{STAGING} t JOIN {record} r ON r.source = %s AND r.source_row_id = t.reverses "
            "WHERE t.skip = 0 AND t.reverses <> '' ORDER BY t.row_no",
            [actor_id, now, batch.pk, source, source],
        )
        cursor.execute(
            f"SELECT t.project_id, p.unit_id, p.name, COUNT(*), SUM(t.amount) FROM {STAGING} t "
            f"JOIN {project} p ON p.id = t.project_id WHERE t.skip = 0 "
            "GROUP BY t.project_id, p.unit_id, p.name ORDER BY t.project_id"
        )
        per_project = cursor.fetchall()
    names = {pk: name for pk, _unit, name, _n, _s in per_project}
    comment = f"支出执行导入 批次 {batch_id}"
    audit.record_many(
        entries=(
            (
                Project(pk=pk, unit_id=unit_id),
                {
                    "execution_batch": [
                        None,
                        {"batch": batch.pk, "rows": n, "amount": Decimal(str(amount))},
                    ]
                },
            )
            for pk, unit_id, _name, n, amount in per_project
        ),
        actor=actor,
        action=AuditAction.IMPORT,
        comment=comment,
        reprs=names,
    )
    audit.record(
        obj=batch,
        actor=actor,
        action=AuditAction.IMPORT,
        changes={"rows": [None, rows], "amount_total": [None, batch.amount_total]},
        comment=comment,
    )
    return batch
