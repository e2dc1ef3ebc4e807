"""PostgreSQL only: pg_trgm and btree_gin, and the trigram index library search uses.

A hard requirement (design §12.1): without the extensions search and suggestions would rank
differently per server, so the migration stops with the instruction instead of falling back.
Not atomic: the index is built CONCURRENTLY (no write lock on a live library).
"""

from django.db import migrations

EXTENSIONS_NEEDED = (
    "需要 PostgreSQL 扩展 pg_trgm 和 btree_gin：请以数据库所有者执行 "
    "CREATE EXTENSION pg_trgm; CREATE EXTENSION btree_gin;"
)


def create_extensions(schema_editor) -> None:
    """CREATE EXTENSION IF NOT EXISTS pg_trgm, btree_gin, or a Chinese instruction."""
    try:
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            cursor.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    except Exception as error:  # a role without the right, or extensions not installed
        raise RuntimeError(f"{EXTENSIONS_NEEDED}（{error}）") from error


def forwards(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    create_extensions(schema_editor)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS library_search_trgm ON "
            "performance_libraryentry USING gin (search_text gin_trgm_ops)"
        )


def backwards(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP INDEX CONCURRENTLY IF EXISTS library_search_trgm")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("performance", "0022_spot_check_evidence_and_publication_job")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
