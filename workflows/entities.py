"""The entity a run is about, written by the run itself (one statement)."""

from django.db import connection
from django.utils import timezone

from config.fastload import hot_cursor
from projects.models import Project

# Also what each case copies from its own context (WorkflowRuntime.save).
from .entity_text import entity_display_name, entity_email as _entity_email
from .models import ApprovalState, Entity


def _upsert_returning_pk(obj, *, unique_fields: list[str], update_fields: list[str]):
    """INSERT ... ON CONFLICT DO UPDATE ... RETURNING pk (PostgreSQL and SQLite >= 3.35 share
    this syntax). The ORM's bulk_create cannot return the stored primary key when the key has
    a Python-side default, and a second SELECT would cost a round trip on every run."""
    meta = type(obj)._meta
    qn = connection.ops.quote_name
    fields = meta.concrete_fields
    columns = {meta.get_field(name).column for name in update_fields}
    sql = (
        f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        f"ON CONFLICT ({', '.join(qn(meta.get_field(n).column) for n in unique_fields)}) "
        f"DO UPDATE SET {', '.join(f'{qn(c)} = EXCLUDED.{qn(c)}' for c in sorted(columns))} "
        f"RETURNING {qn(meta.pk.column)}"
    )
    values = [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields]
    with hot_cursor() as cursor:
        cursor.execute(sql, values)
        return meta.pk.to_python(cursor.fetchone()[0])


def entity_upsert(*, project: Project, entity_input: dict) -> tuple[Entity, bool]:
    """Insert or update the entity by (project, kind, id) in one statement; returns
    `(entity, created)`. On PostgreSQL, ON CONFLICT DO UPDATE locks the row until commit,
    which serialises concurrent runs for one entity; SQLite serialises all writers anyway."""
    kind, data = entity_input["type"], entity_input["data"]
    now = timezone.now()
    entity = Entity(
        project=project,
        kind=kind,
        correlation_id=entity_input["id"],
        data=data,
        display_name=entity_display_name(kind, data),
        email=_entity_email(data),
        approval_state=ApprovalState.PROCESSING,  # a new run puts the entity back in processing
        created_at=now,
        updated_at=now,
    )
    new_pk = entity.pk
    entity.pk = _upsert_returning_pk(
        entity,
        unique_fields=["project", "kind", "correlation_id"],
        update_fields=["data", "display_name", "email", "approval_state", "updated_at"],
    )
    entity._state.adding = False
    created = entity.pk == new_pk
    if not created:
        entity.refresh_from_db(fields=["created_at"])
    return entity, created
