"""Case maintenance (issue 16, item 2): correcting a case's entity data and moving a failed
case to a newer version of its definition, in the services."""

import pytest

from automation.models import PluginRun
from projects.models import Role
from webhooks.models import WebhookDelivery, WebhookEvent
from workflows.actors import Actor
from workflows.decisions import DecisionPending, NotYourCase, StaleCase
from workflows.errors import NotFound, PermissionDenied, ServiceError, ValidationFailed, WorkflowFailed
from workflows.maintenance import CaseCompleted, NotFailed, case_entity_correct, case_version_move, data_changes
from workflows.models import Entity, HistoryEvent, HistoryKind, RuntimeStatus, WorkflowRuntime
from workflows.case_work import case_assign
from workflows.definitions import definition_save
from workflows.services import workflow_send_event, workflow_start

from ..factories import MembershipFactory, UserFactory, business_context

HOOK = {"subscriptions": [{"type": "webhook", "url": "https://hooks.example.com/cases", "events": []}]}

# Version 1: `check` has a guard that throws for a number (jmespath's length()), so a case
# with a numeric score fails on it.
BROKEN = {
    "id": "kyb",
    "initial": "review",
    "states": {
        "review": {
            "on": {
                "check": [{"target": "approved", "cond": {"type": "jmespath", "options": {"rule": "length(entity.data.score) > `1`"}}}],
                "approve": "approved",
                "reject": "rejected",
            }
        },
        "approved": {"type": "final", "tags": ["approved"]},
        "rejected": {"type": "final", "tags": ["rejected"]},
    },
}

# Version 2 repairs the guard and adds a triage state that moves on by itself, and a checking
# state with a plugin.
REPAIRED = {
    "id": "kyb",
    "initial": "review",
    "states": {
        "triage": {"always": [{"target": "review", "cond": {"type": "json-logic", "options": {"rule": {">": [{"var": "entity.data.score"}, 1]}}}}]},
        "checking": {"on": {"CHECKED": "review"}},
        "review": {
            "on": {
                "check": [{"target": "approved", "cond": {"type": "jmespath", "options": {"rule": "entity.data.score > `1`"}}}],
                "approve": "approved",
                "reject": "rejected",
            }
        },
        "approved": {"type": "final", "tags": ["approved"]},
        "rejected": {"type": "final", "tags": ["rejected"]},
    },
}

REGISTRY_PLUGIN = {
    "name": "registry",
    "pluginKind": "api",
    "stateNames": ["checking"],
    "url": "https://registry.example.com/check",
    "method": "POST",
    "successAction": "CHECKED",
    "errorAction": "CHECKED",
}

NEEDS_REGISTRATION = {
    "type": "object",
    "properties": {
        "entity": {
            "type": "object",
            "properties": {"data": {"type": "object", "required": ["registrationNumber"]}},
        }
    },
}


def save(project, statechart, **content):
    return definition_save(project=project, key="kyb", statechart=statechart, config=HOOK, **content).version


@pytest.fixture
def v1(project):
    return save(project, BROKEN)


@pytest.fixture
def case(v1, project, system_actor):
    return workflow_start(project=project, workflow_id="kyb", context=business_context(score=5, country="GB"), actor=system_actor).runtime


@pytest.fixture
def failed_case(case, system_actor):
    with pytest.raises(WorkflowFailed):
        workflow_send_event(project=case.project, runtime_id=case.pk, name="check", actor=system_actor)
    case.refresh_from_db()
    assert case.status == RuntimeStatus.FAILED
    return case


@pytest.fixture
def v2(v1, project):
    return save(project, REPAIRED, extensions={"apiPlugins": [REGISTRY_PLUGIN]})


@pytest.fixture
def colleague(project):
    return MembershipFactory(project=project, user=UserFactory(username="colin"), role=Role.OPERATOR).user


@pytest.fixture
def admin(project):
    return MembershipFactory(project=project, user=UserFactory(username="ada"), role=Role.ADMIN).user


def correct(case, data, actor, **kwargs):
    return case_entity_correct(project=case.project, runtime_id=case.pk, data=data, actor=actor, **kwargs)


def move(case, version, state, actor, **kwargs):
    return case_version_move(project=case.project, runtime_id=case.pk, version_id=getattr(version, "pk", version), state=state, actor=actor, **kwargs)


def snapshot(case) -> tuple:
    """Everything a refused change must leave as it was."""
    stored = WorkflowRuntime.objects.get(pk=case.pk)
    return (
        stored.version,
        stored.state,
        stored.status,
        stored.definition_version_id,
        stored.context,
        stored.assignee_id,
        stored.entity_name,
        HistoryEvent.objects.filter(runtime=case).count(),
        WebhookDelivery.objects.filter(runtime=case).count(),
        PluginRun.objects.filter(runtime=case).count(),
        Entity.objects.get(pk=case.entity_id).data,
    )


def corrected_data(case, **changes) -> dict:
    return {**case.context["entity"]["data"], **changes}


# --- the diff ------------------------------------------------------------------------------


def test_the_changes_name_every_changed_added_and_removed_path():
    old = {"companyName": "ACME", "address": {"city": "Leeds", "street": "1 Main St"}, "tags": [1, 2], "score": 5}
    new = {"companyName": "ACME Ltd", "address": {"city": "Leeds", "postcode": "LS1"}, "tags": [1, 2], "score": 5.0}
    assert data_changes(old, new) == [
        {"path": "entity.data.companyName", "old": "ACME", "new": "ACME Ltd"},
        {"path": "entity.data.address.street", "old": "1 Main St"},
        {"path": "entity.data.address.postcode", "new": "LS1"},
    ]


def test_true_and_one_are_different_values_in_the_changes():
    assert data_changes({"flag": 1}, {"flag": True}) == [{"path": "entity.data.flag", "old": 1, "new": True}]


# --- correcting the entity's data ----------------------------------------------------------


def test_a_correction_updates_the_context_the_entity_record_and_the_queue_name(case, operator_actor):
    result = correct(case, corrected_data(case, companyName="ACME Holdings Ltd"), operator_actor, expected_version=case.version)
    stored = WorkflowRuntime.objects.get(pk=case.pk)
    assert stored.context["entity"]["data"]["companyName"] == "ACME Holdings Ltd"
    assert stored.context["entity"]["id"] == "biz-1" and stored.context["documents"] == []
    assert stored.entity_name == "ACME Holdings Ltd"
    entity = Entity.objects.get(pk=case.entity_id)
    assert (entity.display_name, entity.data["companyName"]) == ("ACME Holdings Ltd", "ACME Holdings Ltd")
    assert result.changes == [{"path": "entity.data.companyName", "old": "ACME Ltd", "new": "ACME Holdings Ltd"}]


def test_a_correction_is_one_history_row_with_the_changes_and_the_corrector(case, operator_actor):
    correct(case, {"companyName": "ACME Ltd", "score": 5, "country": "FR", "website": "acme.example"}, operator_actor)
    row = HistoryEvent.objects.get(runtime=case, kind=HistoryKind.ENTITY_CORRECTED)
    assert row.payload["changes"] == [
        {"path": "entity.data.country", "old": "GB", "new": "FR"},
        {"path": "entity.data.website", "new": "acme.example"},
    ]
    assert row.payload["previousContext"]["entity"]["data"]["country"] == "GB"
    assert (row.actor_user, row.actor_label, row.from_state, row.to_state) == (operator_actor.user, "olga", "review", "review")


def test_a_correction_sends_the_context_changed_webhook(case, operator_actor):
    correct(case, corrected_data(case, country="FR"), operator_actor)
    assert list(WebhookDelivery.objects.filter(runtime=case).order_by("sequence").values_list("event", flat=True)) == [
        WebhookEvent.CREATED,
        WebhookEvent.CONTEXT_CHANGED,
    ]


def test_correcting_an_unassigned_case_assigns_it_to_the_operator(case, operator_actor, operator):
    correct(case, corrected_data(case, country="FR"), operator_actor)
    assert WorkflowRuntime.objects.get(pk=case.pk).assignee == operator
    row = HistoryEvent.objects.get(runtime=case, kind=HistoryKind.ASSIGNED)
    assert row.payload == {"from": None, "to": "olga", "because": "corrected the entity data"}


def test_data_equal_to_the_cases_writes_nothing(case, operator_actor):
    before = snapshot(case)
    result = correct(case, corrected_data(case, score=5.0), operator_actor)
    assert result.changes == [] and snapshot(case) == before


def test_data_that_breaks_the_context_schema_is_refused_with_its_path_and_changes_nothing(project, operator_actor, system_actor):
    save(project, BROKEN, context_schema=NEEDS_REGISTRATION)
    case = workflow_start(project=project, workflow_id="kyb", context=business_context(registrationNumber="R1"), actor=system_actor).runtime
    before = snapshot(case)
    with pytest.raises(ValidationFailed) as raised:
        correct(case, {"companyName": "ACME Ltd"}, operator_actor)
    assert [e.path for e in raised.value.errors] == ["context.entity.data.registrationNumber"]
    assert snapshot(case) == before


def test_a_business_without_a_company_name_is_refused(case, operator_actor):
    before = snapshot(case)
    with pytest.raises(ValidationFailed) as raised:
        correct(case, corrected_data(case, companyName=" "), operator_actor)
    assert "context.entity.data.companyName" in [e.path for e in raised.value.errors]
    assert snapshot(case) == before


def test_data_that_breaks_the_input_schema_is_refused_beside_its_field(demo_project, operator_actor):
    MembershipFactory(project=demo_project, user=operator_actor.user, role=Role.OPERATOR)
    from ..factories import demo_case_start

    case = demo_case_start(
        demo_project, additionalInfo={"mainRepresentative": {"firstName": "Ann", "lastName": "Lee", "email": "ann@example.com"}}
    )
    data = corrected_data(case)
    data["additionalInfo"]["mainRepresentative"]["email"] = "not an email"
    with pytest.raises(ValidationFailed) as raised:
        correct(case, data, operator_actor)
    assert [e.path for e in raised.value.errors] == ["context.entity.data.additionalInfo.mainRepresentative.email"]


def test_data_that_is_not_an_object_is_refused(case, operator_actor):
    with pytest.raises(ValidationFailed) as raised:
        correct(case, ["ACME"], operator_actor)
    assert raised.value.errors[0].path == "context.entity.data"


def test_a_stale_correction_is_refused_and_changes_nothing(case, operator_actor):
    shown = case.version
    case_assign(project=case.project, runtime_id=case.pk, assignee=operator_actor.user, actor=operator_actor)
    before = snapshot(case)
    with pytest.raises(StaleCase):
        correct(case, corrected_data(case, country="FR"), operator_actor, expected_version=shown)
    assert snapshot(case) == before


def test_a_viewer_cannot_correct_a_case(case, viewer):
    before = snapshot(case)
    with pytest.raises(PermissionDenied):
        correct(case, corrected_data(case, country="FR"), Actor(user=viewer))
    assert snapshot(case) == before


def test_a_case_of_another_project_is_not_found(case, other_project):
    outsider = MembershipFactory(project=other_project, user=UserFactory(username="otto"), role=Role.OPERATOR).user
    with pytest.raises(NotFound):
        case_entity_correct(project=other_project, runtime_id=case.pk, data={"companyName": "X"}, actor=Actor(user=outsider))
    assert WorkflowRuntime.objects.get(pk=case.pk).context["entity"]["data"]["companyName"] == "ACME Ltd"


def test_an_operator_cannot_correct_a_case_assigned_to_someone_else(case, operator_actor, colleague):
    case_assign(project=case.project, runtime_id=case.pk, assignee=colleague, actor=Actor(user=colleague))
    before = snapshot(case)
    with pytest.raises(NotYourCase):
        correct(case, corrected_data(case, country="FR"), operator_actor)
    assert snapshot(case) == before


def test_an_admin_may_correct_a_case_assigned_to_someone_else(case, admin, colleague):
    case_assign(project=case.project, runtime_id=case.pk, assignee=colleague, actor=Actor(user=colleague))
    correct(case, corrected_data(case, country="FR"), Actor(user=admin))
    stored = WorkflowRuntime.objects.get(pk=case.pk)
    assert (stored.context["entity"]["data"]["country"], stored.assignee) == ("FR", colleague)


def test_a_completed_case_is_not_corrected(case, operator_actor):
    workflow_send_event(project=case.project, runtime_id=case.pk, name="approve", actor=operator_actor)
    before = snapshot(case)
    with pytest.raises(CaseCompleted) as raised:
        correct(case, corrected_data(case, country="FR"), operator_actor)
    assert "closed record" in raised.value.message
    assert snapshot(case) == before


def test_a_correction_waits_for_a_pending_second_approval(project, operator_actor, colleague, system_actor):
    definition_save(project=project, key="kyb", statechart=BROKEN, config={"fourEyes": {"events": ["approve"]}})
    case = workflow_start(project=project, workflow_id="kyb", context=business_context(), actor=system_actor).runtime
    workflow_send_event(project=project, runtime_id=case.pk, name="approve", actor=Actor(user=colleague))
    before = snapshot(case)
    with pytest.raises(DecisionPending):
        correct(case, corrected_data(case, country="FR"), Actor(user=colleague))
    assert snapshot(case) == before


def test_a_failed_case_is_corrected_without_running_its_definition(failed_case, operator_actor):
    correct(failed_case, corrected_data(failed_case, score=[1, 2]), operator_actor)
    stored = WorkflowRuntime.objects.get(pk=failed_case.pk)
    assert (stored.status, stored.state, stored.context["entity"]["data"]["score"]) == (RuntimeStatus.FAILED, "review", [1, 2])
    assert HistoryEvent.objects.filter(runtime=failed_case, kind=HistoryKind.ENTITY_CORRECTED).count() == 1
    assert WebhookDelivery.objects.filter(runtime=failed_case, event=WebhookEvent.CONTEXT_CHANGED).count() == 1


def test_an_active_case_goes_on_by_itself_when_the_corrected_data_lets_it(project, operator_actor, system_actor):
    statechart = {
        "id": "fast",
        "initial": "review",
        "states": {
            "review": {
                "always": [{"target": "approved", "cond": {"type": "json-logic", "options": {"rule": {"==": [{"var": "entity.data.country"}, "GB"]}}}}],
                "on": {"reject": "rejected"},
            },
            "approved": {"type": "final", "tags": ["approved"]},
            "rejected": {"type": "final"},
        },
    }
    definition_save(project=project, key="fast", statechart=statechart)
    case = workflow_start(project=project, workflow_id="fast", context=business_context(country="FR"), actor=system_actor).runtime
    correct(case, corrected_data(case, country="GB"), operator_actor)
    stored = WorkflowRuntime.objects.get(pk=case.pk)
    assert (stored.state, stored.status) == ("approved", RuntimeStatus.COMPLETED)
    kinds = list(HistoryEvent.objects.filter(runtime=case).order_by("created_at", "id").values_list("kind", flat=True))
    assert kinds[-3:] == [HistoryKind.ASSIGNED, HistoryKind.ENTITY_CORRECTED, HistoryKind.TRANSITION]


# --- moving a failed case to a newer version -----------------------------------------------


def test_a_move_puts_the_case_on_the_new_version_in_the_chosen_state_active_again(failed_case, v2, operator_actor):
    result = move(failed_case, v2, "review", operator_actor, expected_version=failed_case.version)
    stored = WorkflowRuntime.objects.get(pk=failed_case.pk)
    assert (stored.definition_version_id, stored.state, stored.status, stored.resolved_at) == (v2.pk, "review", RuntimeStatus.ACTIVE, None)
    assert result.from_version == 1 and stored.state_entry == failed_case.state_entry + 1


def test_a_move_is_one_history_row_with_the_versions_the_states_and_who(failed_case, v2, operator_actor):
    move(failed_case, v2, "review", operator_actor)
    row = HistoryEvent.objects.get(runtime=failed_case, kind=HistoryKind.VERSION_MOVED)
    assert row.payload == {"fromVersion": 1, "toVersion": 2, "fromState": "review", "toState": "review"}
    assert (row.from_state, row.to_state, row.actor_user, row.actor_label) == ("review", "review", operator_actor.user, "olga")


def test_a_move_sends_the_state_changed_webhook_with_the_new_version(failed_case, v2, operator_actor):
    move(failed_case, v2, "review", operator_actor)
    delivery = WebhookDelivery.objects.filter(runtime=failed_case).order_by("-sequence").first()
    assert delivery.event == WebhookEvent.STATE_CHANGED
    assert '"workflowDefinitionVersion": 2' in delivery.body and '"status": "active"' in delivery.body


def test_the_plugins_of_the_state_are_queued_after_a_move(failed_case, v2, operator_actor):
    result = move(failed_case, v2, "checking", operator_actor)
    runs = list(PluginRun.objects.filter(runtime=failed_case))
    assert [(run.plugin_name, run.state, run.entry) for run in runs] == [("registry", "checking", result.runtime.state_entry)]
    assert result.plugins_queued == 1


def test_a_move_follows_the_states_automatic_transitions(failed_case, v2, operator_actor):
    move(failed_case, v2, "triage", operator_actor)
    stored = WorkflowRuntime.objects.get(pk=failed_case.pk)
    assert stored.state == "review"
    transition = HistoryEvent.objects.get(runtime=failed_case, kind=HistoryKind.TRANSITION)
    assert (transition.from_state, transition.to_state) == ("triage", "review")


def test_a_moved_case_takes_events_again(failed_case, v2, operator_actor):
    move(failed_case, v2, "review", operator_actor)
    workflow_send_event(project=failed_case.project, runtime_id=failed_case.pk, name="check", actor=operator_actor)
    assert WorkflowRuntime.objects.get(pk=failed_case.pk).state == "approved"


def test_moving_an_unassigned_case_assigns_it_to_the_operator(failed_case, v2, operator_actor, operator):
    move(failed_case, v2, "review", operator_actor)
    assert WorkflowRuntime.objects.get(pk=failed_case.pk).assignee == operator


def test_a_case_that_did_not_fail_is_not_moved(case, v2, operator_actor):
    before = snapshot(case)
    with pytest.raises(NotFailed) as raised:
        move(case, v2, "review", operator_actor)
    assert "this case is active" in raised.value.message
    assert snapshot(case) == before


def test_a_completed_case_is_not_moved(case, v2, operator_actor):
    workflow_send_event(project=case.project, runtime_id=case.pk, name="approve", actor=operator_actor)
    before = snapshot(case)
    with pytest.raises(CaseCompleted):
        move(case, v2, "review", operator_actor)
    assert snapshot(case) == before


def test_the_same_version_is_not_a_newer_one(failed_case, v1, v2, operator_actor):
    before = snapshot(failed_case)
    with pytest.raises(ValidationFailed) as raised:
        move(failed_case, v1, "review", operator_actor)
    assert raised.value.errors[0].path == "version" and "not newer" in raised.value.errors[0].message
    assert snapshot(failed_case) == before


def test_a_version_of_another_workflow_is_refused(failed_case, project, operator_actor):
    other = definition_save(project=project, key="other", statechart=REPAIRED).version
    before = snapshot(failed_case)
    with pytest.raises(ValidationFailed) as raised:
        move(failed_case, other, "review", operator_actor)
    assert raised.value.errors[0].path == "version"
    assert snapshot(failed_case) == before


@pytest.mark.parametrize("version_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000", ""])
def test_an_unknown_version_is_refused(failed_case, v2, operator_actor, version_id):
    before = snapshot(failed_case)
    with pytest.raises(ValidationFailed) as raised:
        move(failed_case, version_id, "review", operator_actor)
    assert raised.value.errors[0].path == "version"
    assert snapshot(failed_case) == before


def test_a_state_the_new_version_does_not_have_is_refused(failed_case, v2, operator_actor):
    before = snapshot(failed_case)
    with pytest.raises(ValidationFailed) as raised:
        move(failed_case, v2, "manual_review", operator_actor)
    assert raised.value.errors[0].as_dict() == {"path": "state", "message": "Version 2 has no state 'manual_review'."}
    assert snapshot(failed_case) == before


def test_a_final_state_is_refused(failed_case, v2, operator_actor):
    before = snapshot(failed_case)
    with pytest.raises(ValidationFailed) as raised:
        move(failed_case, v2, "approved", operator_actor)
    assert "final state" in raised.value.errors[0].message
    assert snapshot(failed_case) == before


def test_a_context_that_breaks_the_new_versions_schema_is_refused_with_the_errors(failed_case, project, operator_actor):
    strict = save(project, REPAIRED, context_schema=NEEDS_REGISTRATION)
    before = snapshot(failed_case)
    with pytest.raises(ValidationFailed) as raised:
        move(failed_case, strict, "review", operator_actor)
    assert "version 2" in raised.value.message
    assert [e.path for e in raised.value.errors] == ["context.entity.data.registrationNumber"]
    assert snapshot(failed_case) == before


def test_a_version_that_cannot_go_on_from_the_state_is_refused(failed_case, project, operator_actor):
    looping = {
        "id": "kyb",
        "initial": "ping",
        "states": {
            "ping": {"always": [{"target": "pong", "cond": {"type": "json-logic", "options": {"rule": {"var": "entity.data.companyName"}}}}]},
            "pong": {"always": [{"target": "ping", "cond": {"type": "json-logic", "options": {"rule": {"var": "entity.data.companyName"}}}}]},
            "done": {"type": "final"},
        },
    }
    target = save(project, looping)
    before = snapshot(failed_case)
    with pytest.raises(ServiceError) as raised:
        move(failed_case, target, "ping", operator_actor)
    assert raised.value.status_code == 422 and "loop" in raised.value.message
    assert snapshot(failed_case) == before


def test_a_stale_move_is_refused_and_changes_nothing(failed_case, v2, operator_actor):
    shown = failed_case.version
    correct(failed_case, corrected_data(failed_case, country="FR"), Actor())
    before = snapshot(failed_case)
    with pytest.raises(StaleCase):
        move(failed_case, v2, "review", operator_actor, expected_version=shown)
    assert snapshot(failed_case) == before


def test_a_viewer_cannot_move_a_case(failed_case, v2, viewer):
    before = snapshot(failed_case)
    with pytest.raises(PermissionDenied):
        move(failed_case, v2, "review", Actor(user=viewer))
    assert snapshot(failed_case) == before


def test_a_failed_case_of_another_project_is_not_found(failed_case, v2, other_project):
    outsider = MembershipFactory(project=other_project, user=UserFactory(username="otto"), role=Role.OPERATOR).user
    with pytest.raises(NotFound):
        case_version_move(project=other_project, runtime_id=failed_case.pk, version_id=v2.pk, state="review", actor=Actor(user=outsider))
    assert WorkflowRuntime.objects.get(pk=failed_case.pk).status == RuntimeStatus.FAILED


def test_an_operator_cannot_move_a_case_assigned_to_someone_else(project, v1, v2, operator_actor, colleague, system_actor):
    case = workflow_start(project=project, workflow_id="kyb", context=business_context(score=5), actor=system_actor, version=1).runtime
    case_assign(project=project, runtime_id=case.pk, assignee=colleague, actor=Actor(user=colleague))
    with pytest.raises(WorkflowFailed):
        workflow_send_event(project=project, runtime_id=case.pk, name="check", actor=Actor(user=colleague))
    before = snapshot(case)
    with pytest.raises(NotYourCase):
        move(case, v2, "review", operator_actor)
    assert snapshot(case) == before


def test_the_cases_own_run_settings_are_kept_on_the_new_version(project, v1, v2, operator_actor, system_actor):
    case = workflow_start(
        project=project, workflow_id="kyb", context=business_context(score=5), config={"language": "fr"}, actor=system_actor, version=1
    ).runtime
    with pytest.raises(WorkflowFailed):
        workflow_send_event(project=project, runtime_id=case.pk, name="check", actor=system_actor)
    move(case, v2, "review", operator_actor)
    stored = WorkflowRuntime.objects.get(pk=case.pk)
    assert stored.config["language"] == "fr" and stored.config["subscriptions"] == HOOK["subscriptions"]
