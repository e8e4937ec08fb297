"""Concurrent API requests through the whole stack, real threads on PostgreSQL."""

import threading

import pytest
from django.db import connection, connections

from workflows.models import IdempotencyRecord, RuntimeStatus, WorkflowRuntime

from .conftest import ApiClient

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrency under row locks is exercised on PostgreSQL (CI runs the suite there too)",
    ),
]

THREADS = 6


def in_parallel(call):
    barrier, responses = threading.Barrier(THREADS), [None] * THREADS

    def worker(i):
        try:
            barrier.wait()
            responses[i] = call(i)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses


def test_racing_requests_with_one_idempotency_key_get_the_same_answer(api):
    clients = [ApiClient(api.raw_key) for _ in range(THREADS)]
    responses = in_parallel(lambda i: clients[i].run(headers={"Idempotency-Key": "race-1"}))
    assert {r.status_code for r in responses} == {201}
    assert all(r.json() == responses[0].json() for r in responses)
    assert WorkflowRuntime.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


def test_racing_runs_for_one_entity_leave_one_active_runtime(api):
    clients = [ApiClient(api.raw_key) for _ in range(THREADS)]
    responses = in_parallel(lambda i: clients[i].run())
    assert sorted(r.status_code for r in responses) == [200] * (THREADS - 1) + [201]
    assert len({r.json()["workflowRuntimeId"] for r in responses}) == 1
    assert WorkflowRuntime.objects.filter(status=RuntimeStatus.ACTIVE).count() == 1


def test_racing_events_are_each_applied_or_refused(api):
    runtime_id = api.run().json()["workflowRuntimeId"]
    clients = [ApiClient(api.raw_key) for _ in range(THREADS)]
    url = f"/api/v1/external/workflows/{runtime_id}/event"
    responses = in_parallel(lambda i: clients[i].post(url, {"name": "revision" if i % 2 else "approve"}))
    codes = sorted(r.status_code for r in responses)
    # The first event to get the lock wins; each later one sees the state it left behind.
    assert codes.count(200) >= 1
    assert set(codes) <= {200, 400, 409}
    runtime = WorkflowRuntime.objects.get()
    transitions = runtime.history.filter(kind="workflow.transition").count()
    assert transitions == codes.count(200)
