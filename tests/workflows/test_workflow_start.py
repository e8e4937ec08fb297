import pytest

from workflows.actors import Actor
from workflows.errors import NotFound, PermissionDenied, ServiceError, ValidationFailed
from workflows.models import (
    ApprovalState,
    Entity,
    HistoryEvent,
    HistoryKind,
    RuntimeStatus,
    WorkflowRuntime,
)
from workflows.services import workflow_start

from ..factories import DefinitionVersionFactory, business_context, individual_context

SEED_CONTEXT = {
    "entity": {
        "type": "business",
        "id": "my-enduser-id111",
        "data": {
            "country": "US",
            "registrationNumber": "756OPOPOP08238",
            "companyName": "TILL COMPANY LIMITED",
            "additionalInfo": {
                "mainRepresentative": {
                    "email": "email@ballerine.com",
                    "lastName": "Last",
                    "firstName": "First",
                }
            },
        },
    },
    "documents": [],
}


def row_counts():
    return (Entity.objects.count(), WorkflowRuntime.objects.count(), HistoryEvent.objects.count())


def test_seed_request_starts_demo_case_in_manual_review(demo_project, system_actor):
    result = workflow_start(
        project=demo_project, workflow_id="till_basic_kyb_demo", context=SEED_CONTEXT, actor=system_actor
    )
    runtime = result.runtime
    assert result.created is True
    assert (runtime.state, runtime.status, runtime.tags) == ("manual_review", "active", ["manual_review"])
    assert runtime.context == SEED_CONTEXT
    assert runtime.entity.display_name == "TILL COMPANY LIMITED"
    assert runtime.entity.email == "email@ballerine.com"
    assert runtime.entity.approval_state == ApprovalState.PROCESSING


def test_start_writes_a_created_history_row(definition_version, operator_actor, operator):
    runtime = workflow_start(
        project=definition_version.definition.project,
        workflow_id="kyb",
        context=business_context(),
        actor=operator_actor,
    ).runtime
    [row] = runtime.history.all()
    assert (row.kind, row.to_state, row.actor_user, row.actor_label) == (
        HistoryKind.CREATED,
        "review",
        operator,
        "olga",
    )
    assert runtime.created_by_user == operator


def test_second_run_for_same_entity_updates_the_active_runtime(definition_version, system_actor):
    project = definition_version.definition.project
    first = workflow_start(project=project, workflow_id="kyb", context=business_context(company="Old"), actor=system_actor)
    second = workflow_start(project=project, workflow_id="kyb", context=business_context(company="New"), actor=system_actor)
    assert second.created is False
    assert second.runtime.pk == first.runtime.pk
    assert WorkflowRuntime.objects.count() == 1
    assert second.runtime.context["entity"]["data"]["companyName"] == "New"
    assert Entity.objects.get().display_name == "New"


def test_rerun_keeps_the_previous_context_in_history(definition_version, system_actor):
    project = definition_version.definition.project
    workflow_start(project=project, workflow_id="kyb", context=business_context(company="Old"), actor=system_actor)
    result = workflow_start(project=project, workflow_id="kyb", context=business_context(company="New"), actor=system_actor)
    rerun = result.runtime.history.get(kind=HistoryKind.RERUN)
    assert rerun.payload["previousContext"]["entity"]["data"]["companyName"] == "Old"
    assert rerun.payload["context"]["entity"]["data"]["companyName"] == "New"


def _add_version_with_a_new_initial_state(definition_version, context_schema=None):
    statechart = {
        "id": "simple_v2",
        "initial": "triage",
        "states": {"triage": {"on": {"done": "closed"}}, "closed": {"type": "final"}},
    }
    return DefinitionVersionFactory(
        definition=definition_version.definition,
        version=definition_version.version + 1,
        statechart=statechart,
        context_schema=context_schema or {},
    )


def test_rerun_keeps_the_case_on_the_version_it_started_on(definition_version, system_actor):
    project = definition_version.definition.project
    first = workflow_start(project=project, workflow_id="kyb", context=business_context(), actor=system_actor)
    _add_version_with_a_new_initial_state(definition_version)
    second = workflow_start(
        project=project, workflow_id="kyb", context=business_context(company="New"), actor=system_actor
    )
    second.runtime.refresh_from_db()
    assert second.runtime.pk == first.runtime.pk
    assert second.runtime.definition_version == definition_version
    assert second.runtime.state == "review"


def _start_requiring_country(definition_version, actor):
    """A case started on a version whose context schema requires `entity.data.country`."""
    definition_version.context_schema = {
        "type": "object",
        "properties": {"entity": {"properties": {"data": {"required": ["country"]}}}},
    }
    definition_version.save()
    project = definition_version.definition.project
    return workflow_start(project=project, workflow_id="kyb", context=business_context(country="GB"), actor=actor)


def test_rerun_validates_against_the_schema_of_the_pinned_version(definition_version, system_actor):
    project = definition_version.definition.project
    first = _start_requiring_country(definition_version, system_actor)
    _add_version_with_a_new_initial_state(definition_version)
    before = row_counts()
    with pytest.raises(ValidationFailed) as raised:
        workflow_start(project=project, workflow_id="kyb", context=business_context(), actor=system_actor)
    assert [e.path for e in raised.value.errors] == ["context.entity.data.country"]
    assert row_counts() == before
    first.runtime.refresh_from_db()
    assert first.runtime.context["entity"]["data"]["country"] == "GB"


def test_rerun_is_not_held_to_a_newer_versions_schema(definition_version, system_actor):
    project = definition_version.definition.project
    first = workflow_start(project=project, workflow_id="kyb", context=business_context(), actor=system_actor)
    _add_version_with_a_new_initial_state(
        definition_version,
        context_schema={"type": "object", "properties": {"entity": {"properties": {"data": {"required": ["vat"]}}}}},
    )
    second = workflow_start(
        project=project, workflow_id="kyb", context=business_context(company="Renamed"), actor=system_actor
    )
    assert (second.created, second.runtime.pk) == (False, first.runtime.pk)
    assert second.runtime.context["entity"]["data"]["companyName"] == "Renamed"


def test_refused_rerun_leaves_the_entity_as_it_was(definition_version, system_actor):
    project = definition_version.definition.project
    first = _start_requiring_country(definition_version, system_actor)
    with pytest.raises(ValidationFailed):
        workflow_start(project=project, workflow_id="kyb", context=business_context(company="Other"), actor=system_actor)
    first.runtime.entity.refresh_from_db()
    assert first.runtime.entity.data["country"] == "GB"
    assert first.runtime.entity.display_name == "ACME Ltd"


def test_allow_multiple_active_workflows_starts_a_second_case(definition_version, system_actor):
    project = definition_version.definition.project
    workflow_start(project=project, workflow_id="kyb", context=business_context(), actor=system_actor)
    second = workflow_start(
        project=project,
        workflow_id="kyb",
        context=business_context(),
        config={"allowMultipleActiveWorkflows": True},
        actor=system_actor,
    )
    assert second.created is True
    assert WorkflowRuntime.objects.filter(status=RuntimeStatus.ACTIVE).count() == 2
    assert Entity.objects.count() == 1


def test_completed_case_does_not_block_a_new_one(definition_version, system_actor):
    from workflows.services import workflow_send_event

    project = definition_version.definition.project
    first = workflow_start(project=project, workflow_id="kyb", context=business_context(), actor=system_actor)
    workflow_send_event(project=project, runtime_id=first.runtime.pk, name="approve", actor=system_actor)
    second = workflow_start(project=project, workflow_id="kyb", context=business_context(), actor=system_actor)
    assert second.created is True
    assert second.runtime.pk != first.runtime.pk


def test_newest_version_runs_unless_a_version_is_pinned(definition_version, system_actor):
    project = definition_version.definition.project
    newer = dict(definition_version.statechart, initial="revision")
    DefinitionVersionFactory(definition=definition_version.definition, version=2, statechart=newer)
    latest = workflow_start(project=project, workflow_id="kyb", context=business_context("a"), actor=system_actor)
    pinned = workflow_start(project=project, workflow_id="kyb", context=business_context("b"), version=1, actor=system_actor)
    assert (latest.runtime.definition_version.version, latest.runtime.state) == (2, "revision")
    assert (pinned.runtime.definition_version.version, pinned.runtime.state) == (1, "review")


def test_unknown_pinned_version_is_not_found(definition_version, system_actor):
    with pytest.raises(NotFound, match="no version 7"):
        workflow_start(
            project=definition_version.definition.project,
            workflow_id="kyb",
            context=business_context(),
            version=7,
            actor=system_actor,
        )
    assert row_counts() == (0, 0, 0)


def test_definition_of_another_project_is_not_found(definition_version, other_project, system_actor):
    with pytest.raises(NotFound) as raised:
        workflow_start(project=other_project, workflow_id="kyb", context=business_context(), actor=system_actor)
    assert raised.value.status_code == 404
    assert row_counts() == (0, 0, 0)


@pytest.mark.parametrize(
    ("context", "path"),
    [
        ({}, "context.entity"),
        ({"entity": {"type": "company", "id": "x", "data": {"companyName": "A"}}}, "context.entity.type"),
        ({"entity": {"type": "business", "id": "", "data": {"companyName": "A"}}}, "context.entity.id"),
        ({"entity": {"type": "business", "id": 5, "data": {"companyName": "A"}}}, "context.entity.id"),
        ({"entity": {"type": "business", "id": "x", "data": []}}, "context.entity.data"),
        ({"entity": {"type": "business", "id": "x", "data": {}}}, "context.entity.data.companyName"),
        ({"entity": {"type": "individual", "id": "x", "data": {"firstName": "A"}}}, "context.entity.data.lastName"),
        ({**business_context(), "documents": {}}, "context.documents"),
    ],
)
def test_invalid_entity_is_refused_with_its_path_and_writes_nothing(definition_version, system_actor, context, path):
    with pytest.raises(ValidationFailed) as raised:
        workflow_start(
            project=definition_version.definition.project, workflow_id="kyb", context=context, actor=system_actor
        )
    assert path in [e.path for e in raised.value.errors]
    assert row_counts() == (0, 0, 0)


def test_context_schema_violations_are_all_reported_with_paths(demo_project, system_actor):
    context = {
        "entity": {"type": "business", "id": "x", "data": {"companyName": "", "country": 7}},
        "documents": "none",
    }
    with pytest.raises(ValidationFailed) as raised:
        workflow_start(project=demo_project, workflow_id="till_basic_kyb_demo", context=context, actor=system_actor)
    paths = {e.path for e in raised.value.errors}
    assert {"context.entity.data.companyName", "context.entity.data.country", "context.documents"} <= paths
    assert row_counts() == (0, 0, 0)


def test_business_without_company_name_is_refused_by_the_demo_schema(demo_project, system_actor):
    context = {"entity": {"type": "business", "id": "x", "data": {"country": "US"}}, "documents": []}
    with pytest.raises(ValidationFailed) as raised:
        workflow_start(project=demo_project, workflow_id="till_basic_kyb_demo", context=context, actor=system_actor)
    assert "context.entity.data.companyName" in [e.path for e in raised.value.errors]


def test_unknown_config_key_is_refused(definition_version, system_actor):
    with pytest.raises(ValidationFailed) as raised:
        workflow_start(
            project=definition_version.definition.project,
            workflow_id="kyb",
            context=business_context(),
            config={"colour": "blue"},
            actor=system_actor,
        )
    assert [e.path for e in raised.value.errors] == ["config.colour"]
    assert row_counts() == (0, 0, 0)


def test_initial_event_is_sent_after_creation(definition_version, system_actor):
    runtime = workflow_start(
        project=definition_version.definition.project,
        workflow_id="kyb",
        context=business_context(),
        config={"initialEvent": "revision"},
        actor=system_actor,
    ).runtime
    assert runtime.state == "revision"
    assert list(runtime.history.values_list("kind", "event_name", "from_state", "to_state")) == [
        (HistoryKind.CREATED, "", "", "review"),
        (HistoryKind.TRANSITION, "revision", "review", "revision"),
    ]


def test_initial_event_the_first_state_does_not_handle_is_refused(definition_version, system_actor):
    with pytest.raises(ValidationFailed) as raised:
        workflow_start(
            project=definition_version.definition.project,
            workflow_id="kyb",
            context=business_context(),
            config={"initialEvent": "RESUBMITTED"},
            actor=system_actor,
        )
    [error] = raised.value.errors
    assert error.path == "config.initialEvent"
    assert "State 'review' does not handle 'RESUBMITTED'" in error.message
    assert row_counts() == (0, 0, 0)


def test_always_transitions_run_after_start(project, system_actor):
    statechart = {
        "initial": "triage",
        "states": {
            "triage": {
                "always": [
                    {"target": "fast_track", "cond": {"type": "json-logic", "options": {"rule": {"==": [{"var": "entity.data.country"}, "US"]}}}},
                    {"target": "review"},
                ]
            },
            "fast_track": {"type": "final", "tags": ["approved"]},
            "review": {"on": {"approve": "fast_track"}},
        },
    }
    DefinitionVersionFactory(definition__project=project, definition__key="auto", statechart=statechart)
    us = workflow_start(project=project, workflow_id="auto", context=business_context("us", country="US"), actor=system_actor)
    fr = workflow_start(project=project, workflow_id="auto", context=business_context("fr", country="FR"), actor=system_actor)
    assert (us.runtime.state, us.runtime.status) == ("fast_track", RuntimeStatus.COMPLETED)
    assert us.runtime.resolved_at is not None
    assert us.runtime.entity.approval_state == ApprovalState.APPROVED
    assert (fr.runtime.state, fr.runtime.status) == ("review", RuntimeStatus.ACTIVE)


def test_always_cycle_refuses_the_run_and_writes_nothing(project, system_actor):
    statechart = {
        "initial": "a",
        "states": {
            "a": {"always": [{"target": "b", "cond": {"type": "jmespath", "options": {"rule": "entity.id"}}}]},
            "b": {"always": [{"target": "a", "cond": {"type": "jmespath", "options": {"rule": "entity.id"}}}]},
        },
    }
    DefinitionVersionFactory(definition__project=project, definition__key="loop", statechart=statechart)
    with pytest.raises(ServiceError) as raised:
        workflow_start(project=project, workflow_id="loop", context=business_context(), actor=system_actor)
    assert raised.value.status_code == 422
    assert row_counts() == (0, 0, 0)


def test_viewer_cannot_start_a_workflow(definition_version, viewer):
    with pytest.raises(PermissionDenied):
        workflow_start(
            project=definition_version.definition.project,
            workflow_id="kyb",
            context=business_context(),
            actor=Actor(user=viewer),
        )
    assert row_counts() == (0, 0, 0)


def test_individual_entity_gets_its_full_name(project, system_actor):
    DefinitionVersionFactory(definition__project=project, definition__key="kyc")
    runtime = workflow_start(project=project, workflow_id="kyc", context=individual_context(), actor=system_actor).runtime
    assert runtime.entity.kind == "individual"
    assert runtime.entity.display_name == "Ada Lovelace"


def test_same_correlation_id_in_two_projects_is_two_entities(definition_version, other_project, system_actor):
    DefinitionVersionFactory(definition__project=other_project, definition__key="kyb")
    a = workflow_start(project=definition_version.definition.project, workflow_id="kyb", context=business_context("same"), actor=system_actor)
    b = workflow_start(project=other_project, workflow_id="kyb", context=business_context("same"), actor=system_actor)
    assert a.runtime.entity_id != b.runtime.entity_id
    assert b.created is True


def test_rerun_with_the_same_data_is_recorded_as_unchanged(definition_version, system_actor):
    project = definition_version.definition.project
    workflow_start(project=project, workflow_id="kyb", context=business_context(), actor=system_actor)
    again = workflow_start(project=project, workflow_id="kyb", context=business_context(), actor=system_actor)
    rerun = again.runtime.history.get(kind=HistoryKind.RERUN)
    assert rerun.payload["unchanged"] is True and "previousContext" not in rerun.payload


def test_rerun_with_the_seed_body_keeps_document_decisions_and_plugin_output(definition_version, system_actor):
    project = definition_version.definition.project
    passport = {"id": "doc-1", "category": "identification", "type": "passport", "pages": []}
    first = workflow_start(
        project=project, workflow_id="kyb", context={**business_context(), "documents": [passport]}, actor=system_actor
    ).runtime
    # What a reviewer and a plugin left on the case meanwhile.
    first.context["documents"][0]["decision"] = {"status": "approved"}
    first.context["pluginsOutput"] = {"registry": {"found": True}}
    first.save()
    again = workflow_start(
        project=project, workflow_id="kyb", context=business_context(company="Renamed"), actor=system_actor
    ).runtime
    assert again.context["documents"] == [{**passport, "decision": {"status": "approved"}}]
    assert again.context["pluginsOutput"] == {"registry": {"found": True}}
    assert again.context["entity"]["data"]["companyName"] == "Renamed"


def test_a_rerun_whose_merge_would_break_the_schema_is_refused_and_changes_nothing(project, system_actor):
    schema = {
        "type": "object",
        "maxProperties": 3,
        "properties": {"entity": {"type": "object"}, "documents": {"type": "array"}},
    }
    DefinitionVersionFactory(definition__project=project, definition__key="tight", context_schema=schema)
    first = workflow_start(
        project=project, workflow_id="tight", context={**business_context(), "extra": 1}, actor=system_actor
    ).runtime
    with pytest.raises(ValidationFailed) as refused:
        workflow_start(project=project, workflow_id="tight", context={**business_context(), "more": 2}, actor=system_actor)
    assert refused.value.errors[0].path == "context"
    first.refresh_from_db()
    assert "more" not in first.context and first.history.count() == 1
