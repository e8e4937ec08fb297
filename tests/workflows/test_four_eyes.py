"""Four eyes (SPEC section 5, `fourEyes`): a decision waits for a different member."""

import json

import pytest

from projects.models import Role
from projects.services import api_key_create
from webhooks.models import WebhookDelivery
from workflows.actors import Actor
from workflows.decisions import DecisionPending, case_outcome
from workflows.errors import PermissionDenied, ValidationFailed
from workflows.four_eyes import NotACheckerRole, OwnDecision, decision_confirm, decision_return
from workflows.models import HistoryKind, WorkflowDefinitionVersion
from workflows.services import workflow_send_event, workflow_start

from ..factories import MembershipFactory, UserFactory, business_context

HOOK = "https://hooks.example.com/cases"


@pytest.fixture
def runtime(definition_version, system_actor):
    WorkflowDefinitionVersion.objects.filter(pk=definition_version.pk).update(
        config={"fourEyes": {"events": ["approve"]}, "subscriptions": [{"type": "webhook", "url": HOOK, "events": []}]}
    )
    return workflow_start(
        project=definition_version.definition.project, workflow_id="kyb", context=business_context(), actor=system_actor
    ).runtime


@pytest.fixture
def checker(project):
    return MembershipFactory(project=project, user=UserFactory(username="chris"), role=Role.OPERATOR).user


def propose(runtime, actor):
    return workflow_send_event(project=runtime.project, runtime_id=runtime.pk, name="approve", payload={"comment": "All fine"}, actor=actor)


def confirm(runtime, actor, **kwargs):
    return decision_confirm(project=runtime.project, runtime_id=runtime.pk, actor=actor, **kwargs)


def webhook_events(runtime):
    return [json.loads(d.body)["eventName"] for d in WebhookDelivery.objects.filter(runtime=runtime).order_by("sequence")]


def test_a_four_eyes_decision_waits_in_its_state_for_a_second_approval(runtime, operator_actor):
    propose(runtime, operator_actor)
    runtime.refresh_from_db()
    assert (runtime.state, runtime.pending_event, runtime.pending_by_label) == ("review", "approve", "olga")
    assert case_outcome(runtime).label == "Pending second approval"
    assert runtime.history.filter(kind=HistoryKind.DECISION_PROPOSED).get().payload == {"comment": "All fine"}
    assert webhook_events(runtime)[-1] == "workflow.decision.pending"


def test_a_different_member_confirms_it_and_the_event_is_applied(runtime, operator_actor, checker):
    propose(runtime, operator_actor)
    confirm(runtime, Actor(user=checker))
    runtime.refresh_from_db()
    assert (runtime.state, runtime.status, runtime.pending_event) == ("approved", "completed", "")
    kinds = list(runtime.history.order_by("id").values_list("kind", "actor_label"))
    assert kinds[-2:] == [(HistoryKind.DECISION_CONFIRMED, "chris"), (HistoryKind.TRANSITION, "chris")]
    assert runtime.history.get(kind=HistoryKind.DECISION_CONFIRMED).payload["proposedBy"] == "olga"
    assert webhook_events(runtime)[-3:] == ["workflow.decision.pending", "workflow.state.changed", "workflow.completed"]


def test_the_maker_cannot_confirm_their_own_decision(runtime, operator_actor):
    propose(runtime, operator_actor)
    with pytest.raises(OwnDecision):
        confirm(runtime, operator_actor)
    runtime.refresh_from_db()
    assert (runtime.state, runtime.pending_event) == ("review", "approve")


def test_a_viewer_cannot_confirm(runtime, operator_actor, viewer):
    propose(runtime, operator_actor)
    with pytest.raises(PermissionDenied):
        confirm(runtime, Actor(user=viewer))


def test_an_api_key_cannot_confirm(runtime, operator_actor):
    key, _ = api_key_create(project=runtime.project, name="partner")
    propose(runtime, operator_actor)
    with pytest.raises(PermissionDenied):
        confirm(runtime, Actor(api_key=key))
    with pytest.raises(DecisionPending):
        workflow_send_event(project=runtime.project, runtime_id=runtime.pk, name="approve", actor=Actor(api_key=key))


def test_only_the_named_role_confirms(runtime, operator_actor, checker):
    WorkflowDefinitionVersion.objects.filter(pk=runtime.definition_version_id).update(config={"fourEyes": {"events": ["approve"], "role": "admin"}})
    propose(runtime, operator_actor)
    with pytest.raises(NotACheckerRole):
        confirm(runtime, Actor(user=checker))


def test_no_other_decision_is_taken_while_one_is_pending(runtime, operator_actor):
    propose(runtime, operator_actor)
    with pytest.raises(DecisionPending):
        workflow_send_event(project=runtime.project, runtime_id=runtime.pk, name="reject", payload={"reason": "x"}, actor=operator_actor)


def test_a_checker_sends_it_back_with_a_reason_and_nothing_is_applied(runtime, operator_actor, checker):
    propose(runtime, operator_actor)
    decision_return(project=runtime.project, runtime_id=runtime.pk, actor=Actor(user=checker), reason="Check the UBOs first")
    runtime.refresh_from_db()
    assert (runtime.state, runtime.pending_event) == ("review", "")
    row = runtime.history.get(kind=HistoryKind.DECISION_RETURNED)
    assert (row.actor_label, row.payload["reason"], row.payload["proposedBy"]) == ("chris", "Check the UBOs first", "olga")
    assert webhook_events(runtime)[-1] == "workflow.decision.returned"


def test_sending_back_needs_a_reason(runtime, operator_actor, checker):
    propose(runtime, operator_actor)
    with pytest.raises(ValidationFailed):
        decision_return(project=runtime.project, runtime_id=runtime.pk, actor=Actor(user=checker), reason="  ")
