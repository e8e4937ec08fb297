import pytest

from workflows.actors import Actor
from workflows.errors import EventRefused, NotFound, PermissionDenied, RuntimeClosed, ValidationFailed, WorkflowFailed
from workflows.models import ApprovalState, HistoryEvent, HistoryKind, RuntimeStatus, WorkflowRuntime
from workflows.services import workflow_send_event, workflow_start

from ..factories import DefinitionVersionFactory, business_context

GUARDED = {
    "initial": "review",
    "states": {
        "review": {
            "on": {
                "approve": [
                    {
                        "target": "approved",
                        "cond": {"type": "json-logic", "options": {"rule": {">=": [{"var": "score"}, 50]}}},
                    }
                ],
                "reject": "rejected",
            }
        },
        "approved": {"type": "final"},
        "rejected": {"type": "final"},
    },
}


@pytest.fixture
def runtime(definition_version, system_actor):
    return workflow_start(
        project=definition_version.definition.project,
        workflow_id="kyb",
        context=business_context(),
        actor=system_actor,
    ).runtime


def send(runtime, name, payload=None, actor=Actor()):
    return workflow_send_event(
        project=runtime.project, runtime_id=runtime.pk, name=name, payload=payload, actor=actor
    )


def test_event_moves_the_case_and_records_the_transition(runtime, operator_actor):
    result = send(runtime, "revision", {"reason": "Blurry passport"}, actor=operator_actor)
    runtime.refresh_from_db()
    assert (runtime.state, runtime.tags, runtime.status) == ("revision", ["revision"], "active")
    [_assigned, row] = result.history
    assert (row.kind, row.event_name, row.from_state, row.to_state, row.actor_label) == (
        HistoryKind.TRANSITION,
        "revision",
        "review",
        "revision",
        "olga",
    )


def test_final_state_completes_the_case_and_resolves_the_entity(runtime):
    send(runtime, "approve")
    runtime.refresh_from_db()
    assert runtime.status == RuntimeStatus.COMPLETED
    assert runtime.resolved_at is not None
    assert runtime.entity.approval_state == ApprovalState.APPROVED


def test_completed_case_refuses_events_with_409_and_writes_nothing(runtime):
    send(runtime, "reject")
    before = HistoryEvent.objects.count()
    with pytest.raises(RuntimeClosed) as raised:
        send(runtime, "approve")
    assert raised.value.status_code == 409
    assert HistoryEvent.objects.count() == before
    runtime.refresh_from_db()
    assert runtime.state == "rejected"


def test_unhandled_event_is_refused_listing_the_allowed_events(runtime):
    with pytest.raises(EventRefused) as raised:
        send(runtime, "RESUBMITTED")
    assert raised.value.allowed_events == ["approve", "reject", "revision"]
    assert "not handled" in raised.value.message
    assert runtime.history.count() == 1


def test_event_whose_guards_fail_is_refused_and_changes_nothing(project, system_actor):
    DefinitionVersionFactory(definition__project=project, definition__key="scored", statechart=GUARDED)
    runtime = workflow_start(project=project, workflow_id="scored", context={**business_context(), "score": 10}, actor=system_actor).runtime
    with pytest.raises(EventRefused, match="condition"):
        send(runtime, "approve")
    runtime.refresh_from_db()
    assert runtime.state == "review"


def test_event_payload_is_seen_by_guards(project, system_actor):
    DefinitionVersionFactory(definition__project=project, definition__key="scored", statechart=GUARDED)
    runtime = workflow_start(project=project, workflow_id="scored", context={**business_context(), "score": 10}, actor=system_actor).runtime
    result = send(runtime, "approve", {"score": 80})
    assert result.runtime.state == "approved"
    assert result.history[0].payload == {"score": 80}


def test_runtime_of_another_project_is_not_found(runtime, other_project):
    with pytest.raises(NotFound):
        workflow_send_event(project=other_project, runtime_id=runtime.pk, name="approve", actor=Actor())
    runtime.refresh_from_db()
    assert runtime.state == "review"


def test_viewer_cannot_send_events(runtime, viewer):
    with pytest.raises(PermissionDenied):
        send(runtime, "approve", actor=Actor(user=viewer))
    runtime.refresh_from_db()
    assert runtime.state == "review"


@pytest.mark.parametrize(("name", "payload", "path"), [("", None, "name"), ("approve", [1], "payload")])
def test_malformed_event_is_a_validation_error(runtime, name, payload, path):
    with pytest.raises(ValidationFailed) as raised:
        send(runtime, name, payload)
    assert [e.path for e in raised.value.errors] == [path]


def test_update_context_replaces_the_context_and_keeps_the_old_one_in_history(runtime):
    new_context = business_context(company="Renamed")
    result = send(runtime, "UPDATE_CONTEXT", {"context": new_context})
    assert result.runtime.context == new_context
    [row] = result.history
    assert row.kind == HistoryKind.CONTEXT_CHANGED
    assert row.payload["previousContext"]["entity"]["data"]["companyName"] == "ACME Ltd"


def test_deep_merge_context_merges_into_the_context(runtime):
    result = send(runtime, "DEEP_MERGE_CONTEXT", {"newContext": {"documents": [{"id": "d1"}]}})
    assert result.runtime.context["documents"] == [{"id": "d1"}]
    assert result.runtime.context["entity"]["data"]["companyName"] == "ACME Ltd"


def test_context_update_that_breaks_the_context_schema_is_refused(demo_project):
    runtime = workflow_start(
        project=demo_project,
        workflow_id="till_basic_kyb_demo",
        context=business_context(),
        actor=Actor(),
    ).runtime
    with pytest.raises(ValidationFailed) as raised:
        send(runtime, "UPDATE_CONTEXT", {"context": {"entity": {"type": "business", "id": "x", "data": {}}}})
    assert "context.entity.data.companyName" in [e.path for e in raised.value.errors]
    runtime.refresh_from_db()
    assert runtime.context["entity"]["data"]["companyName"] == "ACME Ltd"


def test_bad_built_in_payload_is_a_validation_error(runtime):
    with pytest.raises(ValidationFailed) as raised:
        send(runtime, "UPDATE_CONTEXT", {"context": "nope"})
    assert [e.path for e in raised.value.errors] == ["payload"]


def test_update_context_can_trigger_always_transitions(project, system_actor):
    statechart = {
        "initial": "waiting",
        "states": {
            "waiting": {
                "always": {"target": "done", "cond": {"type": "jmespath", "options": {"rule": "documents[0].approved"}}},
                "on": {"skip": "done"},
            },
            "done": {"type": "final"},
        },
    }
    DefinitionVersionFactory(definition__project=project, definition__key="docs", statechart=statechart)
    runtime = workflow_start(project=project, workflow_id="docs", context=business_context(), actor=system_actor).runtime
    result = send(runtime, "DEEP_MERGE_CONTEXT", {"newContext": {"documents": [{"approved": True}]}})
    assert (result.runtime.state, result.runtime.status) == ("done", RuntimeStatus.COMPLETED)
    assert [r.kind for r in result.history] == [HistoryKind.CONTEXT_CHANGED, HistoryKind.TRANSITION]
    assert WorkflowRuntime.objects.get().status == RuntimeStatus.COMPLETED


THROWING_GUARD = {
    "initial": "review",
    "states": {
        "review": {
            "on": {
                "check": [
                    {"target": "approved", "cond": {"type": "jmespath", "options": {"rule": "length(entity.data.score) > `1`"}}}
                ],
                "reject": "rejected",
            }
        },
        "approved": {"type": "final"},
        "rejected": {"type": "final"},
    },
}


@pytest.fixture
def fragile_runtime(project, system_actor):
    DefinitionVersionFactory(definition__project=project, definition__key="fragile", statechart=THROWING_GUARD)
    return workflow_start(
        project=project, workflow_id="fragile", context=business_context(score=5), actor=system_actor
    ).runtime


def test_a_guard_that_throws_marks_the_case_failed_with_the_reason(fragile_runtime):
    with pytest.raises(WorkflowFailed) as raised:
        send(fragile_runtime, "check")
    assert raised.value.status_code == 422
    assert "length()" in raised.value.message and "marked failed" in raised.value.message
    fragile_runtime.refresh_from_db()
    assert (fragile_runtime.status, fragile_runtime.state) == (RuntimeStatus.FAILED, "review")
    assert fragile_runtime.resolved_at is not None
    failure = fragile_runtime.history.get(kind=HistoryKind.FAILED)
    assert failure.event_name == "check" and "length()" in failure.payload["error"]


def test_a_failed_case_refuses_further_events(fragile_runtime):
    with pytest.raises(WorkflowFailed):
        send(fragile_runtime, "check")
    with pytest.raises(RuntimeClosed):
        send(fragile_runtime, "reject")


@pytest.mark.parametrize(
    ("name", "payload", "path"),
    [
        ("DEEP_MERGE_CONTEXT", {"newContext": {"entity": {"id": "someone-else"}}}, "context.entity.id"),
        ("UPDATE_CONTEXT", {"context": {"entity": {"type": "individual", "id": "biz-1", "data": {}}}}, "context.entity.type"),
    ],
)
def test_an_event_cannot_move_the_case_to_another_entity(runtime, name, payload, path):
    with pytest.raises(ValidationFailed) as raised:
        send(runtime, name, payload)
    assert path in [e.path for e in raised.value.errors]
    runtime.refresh_from_db()
    assert runtime.context["entity"]["id"] == "biz-1" and runtime.context["entity"]["type"] == "business"


def test_an_event_that_moves_nothing_is_still_recorded_with_its_payload(project, system_actor):
    statechart = {"id": "notes", "initial": "open", "states": {"open": {"on": {"remark": {}, "close": "closed"}}, "closed": {"type": "final"}}}
    DefinitionVersionFactory(definition__project=project, definition__key="notes", statechart=statechart)
    runtime = workflow_start(project=project, workflow_id="notes", context=business_context(), actor=system_actor).runtime
    workflow_send_event(project=project, runtime_id=runtime.pk, name="remark", payload={"text": "seen"}, actor=system_actor)
    row = runtime.history.order_by("-created_at", "-pk").first()
    assert (row.kind, row.event_name, row.payload, row.to_state) == (HistoryKind.EVENT, "remark", {"text": "seen"}, "open")
