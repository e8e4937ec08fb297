"""Real threads against PostgreSQL: plugin outcomes, hooks and events on one case take the
case's lock through the one locking function, so none is lost."""

import pytest
from django.db import connection

from automation.hooks import workflow_hook
from automation.models import PluginRun, PluginRunStatus
from automation.services import plugin_run_attempt
from workflows.actors import Actor
from workflows.models import HistoryEvent, WorkflowRuntime
from workflows.services import workflow_send_event

from ..workflows.test_concurrency import run_in_threads
from .conftest import Vendor
from .definitions import api_plugin, business_run, save_check_definition

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row-lock concurrency is exercised on PostgreSQL (CI runs the suite there too)"),
]


RESULTS_STATECHART = {
    "id": "results",
    "initial": "review",
    "states": {"review": {"on": {"VENDOR_RESULT": "review", "approve": "done"}}, "done": {"type": "final"}},
}


def test_hooks_and_context_updates_at_once_are_all_applied(api, demo_project):
    save_check_definition(demo_project, [], statechart=RESULTS_STATECHART)
    runtime_id = api.run(business_run()).json()["workflowRuntimeId"]

    def write(i):
        if i % 2:
            workflow_hook(
                project=demo_project, runtime_id=runtime_id, event="VENDOR_RESULT",
                data={"n": i}, result_destination=f"results.r{i}", actor=Actor(system_label="vendor"), signed=False,
            )
        else:
            workflow_send_event(
                project=demo_project, runtime_id=runtime_id, name="DEEP_MERGE_CONTEXT",
                payload={"newContext": {"updates": {f"u{i}": i}}}, actor=Actor(),
            )

    assert run_in_threads(write, count=8) == []
    runtime = WorkflowRuntime.objects.get(pk=runtime_id)
    assert set(runtime.context["results"]) == {"r1", "r3", "r5", "r7"}
    assert set(runtime.context["updates"]) == {"u0", "u2", "u4", "u6"}


def test_an_outcome_racing_an_event_is_either_applied_or_stale_never_both(api, demo_project, settings):
    settings.OUTBOUND_ALLOW_PRIVATE_TARGETS = True
    vendor = Vendor()
    try:
        vendor.always("/registry", (200, {"registered": True}, {"delay": 0.05}))
        save_check_definition(demo_project, [api_plugin(vendor.url("/registry"))])
        runtime_id = api.run(business_run()).json()["workflowRuntimeId"]
        run = PluginRun.objects.get(runtime_id=runtime_id)

        def race(i):
            if i == 0:
                plugin_run_attempt(run_id=run.pk)
            else:
                workflow_send_event(project=demo_project, runtime_id=runtime_id, name="SKIP", payload=None, actor=Actor())

        errors = run_in_threads(race, count=2)
    finally:
        vendor.close()
    runtime = WorkflowRuntime.objects.get(pk=runtime_id)
    run.refresh_from_db()
    assert runtime.state == "review"
    if run.status == PluginRunStatus.SUCCEEDED:
        assert "registry" in runtime.context["pluginsOutput"]  # applied first; SKIP then refused
        assert len(errors) == 1
    else:
        assert run.status == PluginRunStatus.STALE and errors == []
        assert "pluginsOutput" not in runtime.context
    assert HistoryEvent.objects.filter(runtime_id=runtime_id, kind="workflow.transition", to_state="review").count() == 1


def test_concurrent_events_on_a_parent_and_its_two_children_neither_deadlock_nor_lose_an_update(demo_project):
    from django.db import transaction

    from workflows.definitions import definition_save
    from workflows.services import workflow_send_event, workflow_start

    from .test_children import CALLBACKS, CHILD, EXTENSIONS, PARENT, children_of, start_parent
    from .conftest import run_worker

    definition_save(project=demo_project, key="ubo_kyc", statechart=CHILD)
    definition_save(project=demo_project, key="kyb_with_ubos", statechart=PARENT, extensions=EXTENSIONS, config=CALLBACKS)
    parent = start_parent(demo_project)
    run_worker()
    first, second = children_of(parent)

    def write(i):
        if i == 0:
            for n in range(5):
                workflow_send_event(project=demo_project, runtime_id=parent.pk, name="DEEP_MERGE_CONTEXT", payload={"newContext": {"notes": {f"n{n}": n}}}, actor=Actor())
        else:
            child = (first, second)[i - 1]
            workflow_send_event(project=demo_project, runtime_id=child.pk, name="approve", payload={}, actor=Actor())

    assert run_in_threads(write, count=3) == []
    parent = WorkflowRuntime.objects.get(pk=parent.pk)
    assert parent.state == "manual_review"
    assert set(parent.context["notes"]) == {f"n{n}" for n in range(5)}
    assert {entry["state"] for entry in parent.context["childWorkflows"]["ubo_kyc"].values()} == {"approved"}
