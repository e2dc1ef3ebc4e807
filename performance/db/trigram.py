"""Trigram similarity in queries, alike on PostgreSQL (pg_trgm) and SQLite (the Python twin).

``Similarity(a, b)`` is ``similarity(a, b)``; the lookup ``name__similar=q`` is ``a % b`` on
PostgreSQL (the trigram GIN index answers it) and ``trgm_similar(a, b)`` on SQLite, where both
functions are registered on every connection from :mod:`performance.text`.
"""

from __future__ import annotations

from django.db import models
from django.db.backends.signals import connection_created
from django.db.models import FloatField, Func, Lookup

from .. import text


class Similarity(Func):
    """``similarity(a, b)`` between 0 and 1 (pg_trgm; the Python twin on SQLite)."""

    function = "similarity"
    output_field = FloatField()


@models.CharField.register_lookup
class TrigramSimilar(Lookup):
    """``field__similar=value``: trigram similarity at least 0.3 (pg_trgm's ``%``)."""

    lookup_name = "similar"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} %% {rhs}", [*lhs_params, *rhs_params]

    def as_sqlite(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"trgm_similar({lhs}, {rhs})", [*lhs_params, *rhs_params]


def register_sqlite_functions(sender=None, connection=None, **kwargs) -> None:
    """Give a SQLite connection ``similarity`` and ``trgm_similar`` (deterministic)."""
    if connection is None or connection.vendor != "sqlite":
        return
    raw = connection.connection
    raw.create_function("similarity", 2, text.similarity, deterministic=True)
    raw.create_function("trgm_similar", 2, lambda a, b: int(text.similar(a, b)), deterministic=True)


connection_created.connect(register_sqlite_functions, dispatch_uid="performance.trigram")
