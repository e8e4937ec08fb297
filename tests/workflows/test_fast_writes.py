"""config.fastload's writes: cases and history rows saved with SQL built once per model, the
statements of runs and events prepared on PostgreSQL, and the case lock that takes a case
without a parent in one statement."""

from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext, override_settings

from config.fastload import hot_cursor
from tests.factories import demo_case_start
from workflows import locking
from workflows.models import HistoryEvent, HistoryKind, WorkflowRuntime


def test_saving_a_case_writes_every_field_and_counts_a_version(demo_project):
    runtime = demo_case_start(demo_project)
    runtime.state, runtime.tags, runtime.context["note"] = "elsewhere", ["b", "a"], "kept"
    version, updated_at = runtime.version, runtime.updated_at
    runtime.save()
    stored = WorkflowRuntime.objects.get(pk=runtime.pk)
    assert (stored.state, stored.tags, stored.context["note"]) == ("elsewhere", ["b", "a"], "kept")
    assert stored.version == version + 1 and stored.updated_at > updated_at


def test_a_save_with_update_fields_writes_only_those_columns(demo_project):
    runtime = demo_case_start(demo_project)
    runtime.state, runtime.decided_by_label = "elsewhere", "not saved"
    with CaptureQueriesContext(connection) as queries:
        runtime.save(update_fields=["state"])
    (update,) = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert '"state"' in update and '"version"' in update and '"context"' not in update
    stored = WorkflowRuntime.objects.get(pk=runtime.pk)
    assert (stored.state, stored.decided_by_label) == ("elsewhere", "")


def test_a_save_with_an_expression_is_left_to_the_orm(demo_project):
    runtime = demo_case_start(demo_project)
    sequence = runtime.event_sequence
    runtime.event_sequence = F("event_sequence") + 5
    runtime.save(update_fields=["event_sequence"])
    assert WorkflowRuntime.objects.get(pk=runtime.pk).event_sequence == sequence + 5


def test_history_rows_written_together_get_their_ids_in_order_in_one_statement(demo_project):
    runtime = demo_case_start(demo_project)
    rows = [
        HistoryEvent(project=demo_project, runtime=runtime, kind=HistoryKind.NOTE, payload={"text": str(n)}, actor_label="t")
        for n in range(3)
    ]
    with CaptureQueriesContext(connection) as queries:
        HistoryEvent.objects.bulk_create(rows)
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["INSERT"]
    assert all(row.pk and not row._state.adding for row in rows)
    assert [r.pk for r in rows] == sorted(r.pk for r in rows)
    stored = {row.pk: row.payload["text"] for row in HistoryEvent.objects.filter(kind=HistoryKind.NOTE)}
    assert stored == {row.pk: str(n) for n, row in enumerate(rows)}


def test_a_case_without_a_parent_is_locked_by_one_statement(demo_project):
    runtime = demo_case_start(demo_project)
    with CaptureQueriesContext(connection) as queries:
        locked = locking.case_lock(project=demo_project, runtime_id=runtime.pk)
    assert locked.pk == runtime.pk and locked.entity.pk == runtime.entity_id
    assert len(queries.captured_queries) == 1


def test_a_child_case_is_locked_after_its_parent(demo_project):
    parent, child = demo_case_start(demo_project, "parent"), demo_case_start(demo_project, "child")
    WorkflowRuntime.objects.filter(pk=child.pk).update(parent_runtime=parent)
    with CaptureQueriesContext(connection) as queries:
        locked = locking.case_lock(project=demo_project, runtime_id=child.pk)
    assert locked.pk == child.pk and locked.parent_runtime_id == parent.pk
    # the parent-less lock finds nothing, the parent is looked up, locked, then the child
    sql = [q["sql"] for q in queries.captured_queries]
    assert len(sql) == 4 and parent.pk.hex in sql[2].replace("-", "") and child.pk.hex in sql[3].replace("-", "")


def test_an_unknown_case_is_not_found(demo_project, other_project):
    runtime = demo_case_start(demo_project)
    try:
        locking.case_lock(project=other_project, runtime_id=runtime.pk)
    except locking.NotFound:
        pass
    else:
        raise AssertionError("another project's case was locked")


def prepared_statements() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return {row[0] for row in cursor.fetchall()}


def test_the_hot_statements_are_prepared_on_postgresql_and_plain_elsewhere(db):
    with hot_cursor() as cursor:
        cursor.execute("SELECT 41 + %s", [1])
        assert cursor.fetchone()[0] == 42
    if connection.vendor == "postgresql":
        assert "SELECT 41 + $1" in prepared_statements()
    else:
        assert type(hot_cursor().cursor) is type(connection.cursor().cursor)


@override_settings(DATABASE_PREPARED_STATEMENTS=False)
def test_with_prepared_statements_off_the_hot_statements_are_not_prepared(db):
    with hot_cursor() as cursor:
        cursor.execute("SELECT 40 + %s", [2])
        assert cursor.fetchone()[0] == 42
    if connection.vendor == "postgresql":
        assert not any("40 +" in statement for statement in prepared_statements())
    assert type(hot_cursor().cursor) is type(connection.cursor().cursor)
