"""Stored query counts: every list, export and admin page costs exactly what the table says.

The table is ``tests/support/query_counts.json``, one line per page or call::

    "api:goals": {"postgresql": 7, "sqlite": 7},

A count that moves by a single query fails the test, with the queries of the run listed. The
counts are stored per database backend (savepoints and PostgreSQL-only statements make them
differ); CI runs the unit phase on PostgreSQL, a developer on SQLite, so update both. To
accept a change on purpose, run the query-count tests with ``UPDATE_QUERY_COUNTS=1``, once
per backend, and commit the JSON diff::

    UPDATE_QUERY_COUNTS=1 .venv/bin/python -m pytest -m query_counts -n 0 -p no:randomly
    UPDATE_QUERY_COUNTS=1 DATABASE_URL=postgres://… .venv/bin/python -m pytest -m query_counts -n 0

(``make query-counts`` does the first; with ``DATABASE_URL`` set, the second.) Updating
writes only the counts it measured, for the backend it ran on; the other checks of those
tests (a count that does not grow with the page size) still fail as usual.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path

from django.db import connection
from django.test.utils import CaptureQueriesContext

TABLE = Path(__file__).resolve().with_name("query_counts.json")
LOCK = Path(tempfile.gettempdir()) / "perfgoals-query-counts.lock"
UPDATE = os.environ.get("UPDATE_QUERY_COUNTS", "") not in ("", "0")
HOW_TO_UPDATE = (
    "If the change is intended, store the new counts on SQLite and on PostgreSQL — "
    "`make query-counts` and `DATABASE_URL=postgres://… make query-counts` (the query-count "
    "tests with UPDATE_QUERY_COUNTS=1) — and commit tests/support/query_counts.json "
    "(see tests/support/query_counts.py)."
)


def backend() -> str:
    """The key of the current database in the table: ``sqlite`` or ``postgresql``."""
    return connection.vendor


def stored_counts() -> dict[str, dict[str, int]]:
    """The whole table: ``{key: {backend: count}}``."""
    if not TABLE.exists():
        return {}
    return json.loads(TABLE.read_text("utf-8"))


def stored_keys(prefix: str) -> set[str]:
    """The table's keys that start with ``prefix`` (``"api:"``), to check a test module's list."""
    return {key for key in stored_counts() if key.startswith(prefix)}


def _dump(table: dict[str, dict[str, int]]) -> str:
    """One line per key, keys sorted, so a changed count is a one-line diff."""
    lines = [
        f"  {json.dumps(key, ensure_ascii=False)}: {json.dumps(dict(sorted(counts.items())))}"
        for key, counts in sorted(table.items())
    ]
    return "{\n" + ",\n".join(lines) + "\n}\n"


@contextmanager
def _locked():
    """Serialize read-modify-write of the table between pytest-xdist workers."""
    with LOCK.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _store(key: str, count: int) -> None:
    with _locked():
        table = stored_counts()
        table.setdefault(key, {})[backend()] = count
        # Replaced in one step: a run reading the table meanwhile sees the old or the new one.
        partial = TABLE.with_name(f".{TABLE.name}.{os.getpid()}")
        partial.write_text(_dump(table), "utf-8")
        os.replace(partial, TABLE)


def _listing(queries: Sequence[str]) -> str:
    return "\n".join(f"  {i:>3}. {sql[:400]}" for i, sql in enumerate(queries, start=1))


def assert_query_count(key: str, queries: CaptureQueriesContext | Sequence[str]) -> int:
    """Fail unless the queries captured for ``key`` are exactly as many as the table says
    for this database backend (or, with ``UPDATE_QUERY_COUNTS=1``, store their number).

    Returns the count, so a caller can compare it with other runs of the same page.
    """
    if isinstance(queries, CaptureQueriesContext):
        sql = [q["sql"] for q in queries.captured_queries]
    else:
        sql = list(queries)
    count = len(sql)
    if UPDATE:
        _store(key, count)
        return count
    expected = stored_counts().get(key, {}).get(backend())
    if expected is None:
        raise AssertionError(
            f"{key}: no stored query count for {backend()} ({count} queries now).\n"
            f"{_listing(sql)}\n{HOW_TO_UPDATE}"
        )
    if count != expected:
        raise AssertionError(
            f"{key}: {count} queries on {backend()}, the table says {expected} "
            f"({count - expected:+d}).\n{_listing(sql)}\n{HOW_TO_UPDATE}"
        )
    return count
