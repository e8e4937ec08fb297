"""Assignment discipline, reasons and operator events in the services (SPEC section 5)."""

import pytest

from projects.models import Role
from projects.services import api_key_create
from workflows.actors import Actor
from workflows.decisions import NotAnOperatorEvent, NotYourCase, StaleCase, TakeOverNeeded, case_outcome
from workflows.errors import ValidationFailed
from workflows.models import HistoryKind, WorkflowDefinitionVersion
from workflows.case_work import case_add_note, case_assign
from workflows.services import workflow_send_event, workflow_start

from ..factories import MembershipFactory, UserFactory, business_context


@pytest.fixture
def runtime(definition_version, system_actor):
    return workflow_start(
        project=definition_version.definition.project, workflow_id="kyb", context=business_context(), actor=system_actor
    ).runtime


@pytest.fixture
def colleague(project):
    return MembershipFactory(project=project, user=UserFactory(username="colin"), role=Role.OPERATOR).user


@pytest.fixture
def admin(project):
    return MembershipFactory(project=project, user=UserFactory(username="ada"), role=Role.ADMIN).user


def send(runtime, name, actor, payload=None, **kwargs):
    return workflow_send_event(project=runtime.project, runtime_id=runtime.pk, name=name, payload=payload, actor=actor, **kwargs)


def set_config(runtime, **config):
    WorkflowDefinitionVersion.objects.filter(pk=runtime.definition_version_id).update(config=config)


def test_every_change_of_a_case_is_a_new_version(runtime, operator_actor, operator):
    assert runtime.version == 1
    case_assign(project=runtime.project, runtime_id=runtime.pk, assignee=operator, actor=operator_actor)
    case_add_note(project=runtime.project, runtime_id=runtime.pk, text="Called", actor=operator_actor)
    runtime.refresh_from_db()
    assert runtime.version == 3


def test_a_stale_form_is_refused_and_changes_nothing(runtime, operator_actor, operator):
    case_add_note(project=runtime.project, runtime_id=runtime.pk, text="A colleague's note", actor=Actor())
    with pytest.raises(StaleCase) as raised:
        send(runtime, "approve", operator_actor, expected_version=1)
    assert "changed after your page was loaded" in raised.value.message
    runtime.refresh_from_db()
    assert (runtime.state, runtime.assignee, runtime.version) == ("review", None, 2)


def test_a_stale_assignment_is_refused(runtime, operator_actor, operator, colleague):
    case_assign(project=runtime.project, runtime_id=runtime.pk, assignee=colleague, actor=Actor(user=colleague))
    with pytest.raises(StaleCase):
        case_assign(project=runtime.project, runtime_id=runtime.pk, assignee=operator, actor=operator_actor, expected_version=1)
    runtime.refresh_from_db()
    assert runtime.assignee == colleague


def test_a_non_assignee_cannot_decide_a_case(runtime, operator_actor, colleague):
    case_assign(project=runtime.project, runtime_id=runtime.pk, assignee=colleague, actor=Actor(user=colleague))
    with pytest.raises(NotYourCase) as raised:
        send(runtime, "approve", operator_actor)
    assert "assigned to colin" in raised.value.message
    runtime.refresh_from_db()
    assert runtime.state == "review"


def test_an_admin_may_decide_a_case_assigned_to_someone_else(runtime, admin, colleague):
    case_assign(project=runtime.project, runtime_id=runtime.pk, assignee=colleague, actor=Actor(user=colleague))
    send(runtime, "approve", Actor(user=admin))
    runtime.refresh_from_db()
    assert (runtime.state, runtime.assignee) == ("approved", colleague)


def test_deciding_an_unassigned_case_assigns_it_to_the_decider(runtime, operator_actor, operator):
    result = send(runtime, "approve", operator_actor)
    runtime.refresh_from_db()
    assert runtime.assignee == operator
    assert [row.kind for row in result.history] == [HistoryKind.ASSIGNED, HistoryKind.TRANSITION]


def test_api_keys_decide_outside_the_assignment_rule_and_are_recorded_as_themselves(runtime, colleague):
    key, _ = api_key_create(project=runtime.project, name="partner")
    case_assign(project=runtime.project, runtime_id=runtime.pk, assignee=colleague, actor=Actor(user=colleague))
    result = send(runtime, "reject", Actor(api_key=key))
    assert result.history[-1].actor_label == "API key partner"
    runtime.refresh_from_db()
    assert (runtime.state, runtime.assignee) == ("rejected", colleague)


def test_taking_over_a_colleagues_case_must_be_confirmed(runtime, operator_actor, operator, colleague):
    case_assign(project=runtime.project, runtime_id=runtime.pk, assignee=colleague, actor=Actor(user=colleague))
    with pytest.raises(TakeOverNeeded):
        case_assign(project=runtime.project, runtime_id=runtime.pk, assignee=operator, actor=operator_actor)
    case_assign(project=runtime.project, runtime_id=runtime.pk, assignee=operator, actor=operator_actor, take_over=True)
    runtime.refresh_from_db()
    assert runtime.assignee == operator


def test_a_person_rejecting_must_give_a_reason(runtime, operator_actor):
    with pytest.raises(ValidationFailed) as raised:
        send(runtime, "reject", operator_actor)
    assert [e.path for e in raised.value.errors] == ["payload.reason"]


def test_the_reason_and_comment_are_stored_in_the_event_payload(runtime, operator_actor):
    result = send(runtime, "reject", operator_actor, {"reason": "Sanctions hit", "comment": "See list 4"})
    assert result.history[-1].payload == {"reason": "Sanctions hit", "comment": "See list 4"}


def test_an_api_key_rejects_without_a_reason_unless_the_definition_requires_one(runtime, definition_version):
    key, _ = api_key_create(project=runtime.project, name="partner")
    set_config(runtime, requireDecisionReasons=True)
    with pytest.raises(ValidationFailed):
        send(runtime, "reject", Actor(api_key=key))
    set_config(runtime)
    send(runtime, "reject", Actor(api_key=key))
    runtime.refresh_from_db()
    assert runtime.state == "rejected"


def test_a_person_cannot_send_a_system_event(runtime, operator_actor):
    send(runtime, "revision", operator_actor, {"reason": "Blurry"})
    set_config(runtime, systemEvents=["RESUBMITTED"])
    with pytest.raises(NotAnOperatorEvent):
        send(runtime, "RESUBMITTED", operator_actor)
    send(runtime, "RESUBMITTED", Actor())
    runtime.refresh_from_db()
    assert runtime.state == "review"


def test_plugin_callback_actions_are_not_operator_events(runtime, operator_actor):
    WorkflowDefinitionVersion.objects.filter(pk=runtime.definition_version_id).update(
        extensions={"apiPlugins": [{"name": "registry", "stateNames": ["review"], "successAction": "approve"}]}
    )
    with pytest.raises(NotAnOperatorEvent):
        send(runtime, "approve", operator_actor)


def test_an_event_named_at_the_end_of_a_hook_url_is_not_an_operator_event(runtime, operator_actor):
    callback = "{secret.APP_API_URL}/api/v1/external/workflows/{workflowRuntimeId}/hook/approve"
    WorkflowDefinitionVersion.objects.filter(pk=runtime.definition_version_id).update(
        extensions={"apiPlugins": [{"name": "kyc", "stateNames": ["review"], "request": {"callbackUrl": callback}}]}
    )
    with pytest.raises(NotAnOperatorEvent):
        send(runtime, "approve", operator_actor)


def test_display_names_label_states_and_events_and_pass_validation():
    from workflows.decisions import event_labels, state_labels
    from workflows.engine import validate_definition

    statechart = {
        "initial": "review",
        "states": {
            "review": {"displayName": "Under review", "on": {"approve": {"target": "done", "displayName": "Approve the company"}}},
            "done": {"type": "final", "meta": {"label": "Approved"}},
        },
    }
    assert validate_definition(statechart) == []
    assert state_labels(statechart) == {"review": "Under review", "done": "Approved"}
    assert event_labels(statechart) == {"approve": "Approve the company"}


def test_a_rejected_case_shows_the_rejection_and_who_decided(runtime, operator_actor):
    send(runtime, "reject", operator_actor, {"reason": "Fraud"})
    runtime.refresh_from_db()
    outcome = case_outcome(runtime)
    assert (outcome.label, outcome.css, outcome.by) == ("Rejected", "danger", "olga")
    assert outcome.at is not None
