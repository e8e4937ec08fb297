"""The queues' copies on each case (entity name, id and email, assignee user name), filled from
the entity and user rows, then indexed: one index per sort key with the queue's filters, and on
PostgreSQL one GIN index over the definition, the status and the trigrams of the three searched
columns (the search no longer joins the entities). The fill takes the entity record's name and
email, which each case's own context gives too, except for the older cases of an entity that a
later run renamed: their next change copies their own. On 1M cases the fill took 14 minutes on
two busy cores (every index of the table is written); the new indexes are built after it."""

from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery

SEARCHED = ("entity_name", "entity_correlation_id", "entity_email")


def fill(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        # One pass with a join, each row written once: a row written twice in this
        # transaction would queue its foreign-key checks, and PostgreSQL refuses to build an
        # index on a table with checks pending.
        qn, user_meta = connection.ops.quote_name, apps.get_model(settings.AUTH_USER_MODEL)._meta
        users, username = qn(user_meta.db_table), qn(user_meta.get_field("username").column)
        schema_editor.execute(
            "UPDATE workflows_workflowruntime r SET entity_name = e.display_name, "
            "entity_correlation_id = e.correlation_id, entity_email = e.email, "
            f"assignee_username = (SELECT u.{username} FROM {users} u WHERE u.id = r.assignee_id) "
            "FROM workflows_entity e WHERE e.id = r.entity_id"
        )
        return
    Runtime = apps.get_model("workflows", "WorkflowRuntime")
    Entity = apps.get_model("workflows", "Entity")
    User = apps.get_model(settings.AUTH_USER_MODEL)
    entity = Entity.objects.filter(pk=OuterRef("entity_id"))
    Runtime.objects.update(
        entity_name=Subquery(entity.values("display_name")[:1]),
        entity_correlation_id=Subquery(entity.values("correlation_id")[:1]),
        entity_email=Subquery(entity.values("email")[:1]),
    )
    Runtime.objects.filter(assignee__isnull=False).update(
        assignee_username=Subquery(User.objects.filter(pk=OuterRef("assignee_id")).values("username")[:1])
    )


def search_index(apps, schema_editor):
    # As migration 0010 for the entity: `UPPER(col::text) LIKE UPPER('%term%')`, which
    # `icontains` writes, served by trigrams in a GIN index. With the queue's definition and
    # status in the same index (btree_gin), each of the three conditions of the search's OR is
    # one scan that finds only the queue's matching cases: a common name ("Smith", ~25k cases
    # of every queue and status) reads ~1.5k rows instead of all its matches, or two large
    # bitmaps of btree indexes. The project and the kind are left out: a definition belongs to
    # one project and nearly always to one kind, and each more key made the scans slower.
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    trigrams = ", ".join(f"UPPER({column}::text) gin_trgm_ops" for column in SEARCHED)
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS runtime_queue_search ON workflows_workflowruntime "
        f"USING gin (definition_id, status, {trigrams})"
    )


def drop_search_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS runtime_queue_search")


class Migration(migrations.Migration):

    dependencies = [
        ('projects', '0006_project_own_hook_secrets'),
        ('workflows', '0012_state_entry_plugin_history'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='workflowruntime',
            name='assignee_username',
            field=models.CharField(blank=True, editable=False, max_length=150, null=True),
        ),
        migrations.AddField(
            model_name='workflowruntime',
            name='entity_correlation_id',
            field=models.CharField(blank=True, default='', editable=False, max_length=255),
        ),
        migrations.AddField(
            model_name='workflowruntime',
            name='entity_email',
            field=models.CharField(blank=True, default='', editable=False, max_length=254),
        ),
        migrations.AddField(
            model_name='workflowruntime',
            name='entity_name',
            field=models.CharField(blank=True, default='', editable=False, max_length=255),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='historyevent',
            name='kind',
            field=models.CharField(choices=[('workflow.created', 'Created'), ('workflow.rerun', 'Started again (context replaced)'), ('workflow.transition', 'State changed'), ('workflow.context_changed', 'Context changed'), ('workflow.event', 'Event received (no change)'), ('workflow.failed', 'Failed (the definition could not process an event)'), ('case.assigned', 'Assigned'), ('case.unassigned', 'Unassigned'), ('case.note', 'Note'), ('decision.proposed', 'Decision awaiting second approval'), ('decision.confirmed', 'Second approval given'), ('decision.returned', 'Decision sent back'), ('decision.dropped', 'Pending decision dropped (the case moved on)'), ('plugin.succeeded', 'Plugin succeeded'), ('plugin.failed', 'Plugin failed'), ('plugin.requeued', 'Plugin queued again'), ('workflow.hook', 'Vendor callback (hook)'), ('document.decided', 'Document decision')], max_length=40),
        ),
        migrations.AddIndex(
            model_name='workflowruntime',
            index=models.Index(fields=['project', 'entity_kind', 'definition', 'entity_name', 'id', 'status'], name='runtime_queue_name'),
        ),
        migrations.AddIndex(
            model_name='workflowruntime',
            index=models.Index(fields=['project', 'entity_kind', 'definition', 'entity_correlation_id', 'id', 'status'], name='runtime_queue_correlation'),
        ),
        migrations.AddIndex(
            model_name='workflowruntime',
            index=models.Index(fields=['project', 'entity_kind', 'definition', 'assignee_username', 'id', 'status'], name='runtime_queue_assignee'),
        ),
        migrations.RunPython(search_index, drop_search_index),
    ]
