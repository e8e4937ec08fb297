"""The case's due time (SPEC section 5, `slaHours`): `created_at + config.slaHours` of the
version the case started on, stored on the case. Existing cases of a version with `slaHours` are
filled here, in one UPDATE ... FROM on PostgreSQL (each row written once); the indexes on the
due time come in the next migration, in its own transaction."""

from datetime import timedelta

from django.db import migrations, models
from django.db.models import DateTimeField, ExpressionWrapper, F


def fill(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        schema_editor.execute(
            "UPDATE workflows_workflowruntime r "
            "SET due_at = r.created_at + make_interval(secs => (v.config->>'slaHours')::float8 * 3600) "
            "FROM workflows_workflowdefinitionversion v "
            "WHERE v.id = r.definition_version_id AND jsonb_typeof(v.config->'slaHours') = 'number' "
            "AND (v.config->>'slaHours')::float8 > 0"
        )
        return
    Version = apps.get_model("workflows", "WorkflowDefinitionVersion")
    Runtime = apps.get_model("workflows", "WorkflowRuntime")
    for pk, config in Version.objects.values_list("pk", "config").iterator():
        hours = config.get("slaHours") if isinstance(config, dict) else None
        if isinstance(hours, bool) or not isinstance(hours, (int, float)) or hours <= 0:
            continue
        Runtime.objects.filter(definition_version_id=pk).update(
            due_at=ExpressionWrapper(F("created_at") + timedelta(hours=hours), output_field=DateTimeField())
        )


class Migration(migrations.Migration):

    dependencies = [
        ('workflows', '0014_child_cases'),
    ]

    operations = [
        migrations.AddField(
            model_name='workflowruntime',
            name='due_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
