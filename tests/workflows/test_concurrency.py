"""Real threads against PostgreSQL: row locks must serialise concurrent writers."""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from workflows.actors import Actor
from workflows.models import ApprovalState, Entity, HistoryEvent, HistoryKind, RuntimeStatus, WorkflowRuntime
from workflows.services import workflow_send_event, workflow_start

from ..factories import business_context

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row-lock concurrency is exercised on PostgreSQL (CI runs the suite there too)",
    ),
]

THREADS = 8


def run_in_threads(target, count=THREADS):
    barrier = threading.Barrier(count)
    errors = []

    def worker(i):
        try:
            barrier.wait()
            target(i)
        except Exception as error:  # collected and asserted on below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_concurrent_events_on_one_runtime_are_all_applied(definition_version):
    project = definition_version.definition.project
    runtime = workflow_start(project=project, workflow_id="kyb", context=business_context(), actor=Actor()).runtime

    def append(i):
        workflow_send_event(
            project=project,
            runtime_id=runtime.pk,
            name="DEEP_MERGE_CONTEXT",
            payload={"newContext": {"documents": [{"n": i}]}},
            actor=Actor(),
        )

    assert run_in_threads(append) == []
    runtime.refresh_from_db()
    assert sorted(d["n"] for d in runtime.context["documents"]) == list(range(THREADS))
    assert HistoryEvent.objects.filter(runtime=runtime, kind=HistoryKind.CONTEXT_CHANGED).count() == THREADS


def test_concurrent_final_events_complete_the_case_once(definition_version):
    project = definition_version.definition.project
    runtime = workflow_start(project=project, workflow_id="kyb", context=business_context(), actor=Actor()).runtime

    def approve(i):
        workflow_send_event(project=project, runtime_id=runtime.pk, name="approve", actor=Actor())

    errors = run_in_threads(approve)
    assert len(errors) == THREADS - 1
    assert all(getattr(e, "status_code", None) == 409 for e in errors)
    assert HistoryEvent.objects.filter(runtime=runtime, kind=HistoryKind.TRANSITION).count() == 1


def test_concurrent_runs_for_one_entity_create_one_active_runtime(definition_version):
    project = definition_version.definition.project

    def run(i):
        workflow_start(project=project, workflow_id="kyb", context=business_context(company=f"Co {i}"), actor=Actor())

    assert run_in_threads(run) == []
    assert WorkflowRuntime.objects.filter(status=RuntimeStatus.ACTIVE).count() == 1
    runtime = WorkflowRuntime.objects.get()
    assert runtime.history.filter(kind=HistoryKind.CREATED).count() == 1
    assert runtime.history.filter(kind=HistoryKind.RERUN).count() == THREADS - 1


def test_a_run_and_an_approval_of_one_entity_at_the_same_moment_both_succeed(definition_version):
    # The run locks the entity, then waits for its open case; the approval holds the case and
    # then writes the entity's outcome: a deadlock, which PostgreSQL breaks by aborting the run
    # (it waited first). The run is started again and goes on after the approval.
    project = definition_version.definition.project
    runtime = workflow_start(project=project, workflow_id="kyb", context=business_context(), actor=Actor()).runtime
    case_held, errors = threading.Event(), []

    def approve():
        try:
            with transaction.atomic():
                WorkflowRuntime.objects.select_for_update().get(pk=runtime.pk)
                case_held.set()
                time.sleep(0.5)  # the run now holds the entity and waits for the case
                workflow_send_event(project=project, runtime_id=runtime.pk, name="approve", actor=Actor())
        except Exception as error:  # asserted below
            errors.append(error)
        finally:
            connections.close_all()

    def run():
        try:
            case_held.wait(10)
            workflow_start(project=project, workflow_id="kyb", context=business_context(company="Renamed Co"), actor=Actor())
        except Exception as error:  # asserted below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve), threading.Thread(target=run)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    runtime.refresh_from_db()
    assert runtime.status == RuntimeStatus.COMPLETED and runtime.state == "approved"
    # The run came after the approval: the completed case was not reopened, a new one started.
    new_case = WorkflowRuntime.objects.exclude(pk=runtime.pk).get()
    assert new_case.status == RuntimeStatus.ACTIVE and new_case.entity_name == "Renamed Co"
    assert Entity.objects.get().approval_state == ApprovalState.PROCESSING
