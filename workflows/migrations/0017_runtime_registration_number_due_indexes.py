"""The registration number copied onto each case (its context's
`entity.data.registrationNumber`), searched with the name, id and email: filled in one UPDATE on
PostgreSQL (only the cases whose context has one; each row written once), then the search's
GIN index rebuilt with its trigrams, and the two indexes of the due time (migration 0015): every
case's, for the sort with any status, and the open cases' alone (a partial index), for the
default view's sort, the overdue filter and the menu's overdue counts."""

from django.db import migrations, models

SEARCHED = ("entity_name", "entity_correlation_id", "entity_email", "entity_registration_number")


def fill(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "UPDATE workflows_workflowruntime "
            "SET entity_registration_number = LEFT(BTRIM(context #>> '{entity,data,registrationNumber}'), 255) "
            "WHERE jsonb_typeof(context #> '{entity,data,registrationNumber}') = 'string'"
        )
        return
    Runtime = apps.get_model("workflows", "WorkflowRuntime")
    changed = []
    for runtime in Runtime.objects.only("pk", "context").iterator(chunk_size=2000):
        entity = runtime.context.get("entity") if isinstance(runtime.context, dict) else None
        data = entity.get("data") if isinstance(entity, dict) else None
        number = data.get("registrationNumber") if isinstance(data, dict) else None
        if isinstance(number, str) and number.strip():
            runtime.entity_registration_number = number.strip()[:255]
            changed.append(runtime)
    Runtime.objects.bulk_update(changed, ["entity_registration_number"], batch_size=500)


def search_index(apps, schema_editor):
    # As migration 0013, with the registration number's trigrams as a fourth column.
    if schema_editor.connection.vendor != "postgresql":
        return
    trigrams = ", ".join(f"UPPER({column}::text) gin_trgm_ops" for column in SEARCHED)
    schema_editor.execute("DROP INDEX IF EXISTS runtime_queue_search")
    schema_editor.execute(
        "CREATE INDEX runtime_queue_search ON workflows_workflowruntime "
        f"USING gin (definition_id, status, {trigrams})"
    )


def search_index_back(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    trigrams = ", ".join(f"UPPER({column}::text) gin_trgm_ops" for column in SEARCHED[:3])
    schema_editor.execute("DROP INDEX IF EXISTS runtime_queue_search")
    schema_editor.execute(
        "CREATE INDEX runtime_queue_search ON workflows_workflowruntime "
        f"USING gin (definition_id, status, {trigrams})"
    )


class Migration(migrations.Migration):

    dependencies = [
        ('workflows', '0016_history_kind_maintenance'),
    ]

    operations = [
        migrations.AddField(
            model_name='workflowruntime',
            name='entity_registration_number',
            field=models.CharField(blank=True, default='', editable=False, max_length=255),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(search_index, search_index_back),
        migrations.AddIndex(
            model_name='workflowruntime',
            index=models.Index(fields=['project', 'entity_kind', 'definition', 'due_at', 'id', 'status'], name='runtime_queue_due'),
        ),
        migrations.AddIndex(
            model_name='workflowruntime',
            index=models.Index(condition=models.Q(('status', 'active')), fields=['project', 'entity_kind', 'definition', 'due_at', 'id'], name='runtime_queue_open_due'),
        ),
    ]
