"""Trigram indexes for the queue search (`icontains` on the entity's name, id and email).

PostgreSQL only: `pg_trgm` lets `UPPER(col) LIKE UPPER('%term%')` use a GIN index instead of
scanning every entity. On SQLite this migration does nothing (search stays correct, scans)."""

from django.db import migrations

COLUMNS = ("display_name", "correlation_id", "email")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS entity_{column}_trgm ON workflows_entity "
            f"USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS entity_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [("workflows", "0009_runtime_entity_kind_queue_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]
