"""Child cases: an iterative plugin starts a KYC case per UBO with the parent recorded, each
child's changes are projected onto the parent, and approving every child moves the parent
(its `deliverEvent` and guards over `childWorkflows`)."""

import pytest

from automation.models import PluginRun, PluginRunStatus
from workflows.actors import Actor
from workflows.models import HistoryEvent, HistoryKind, WorkflowRuntime
from workflows.definitions import definition_save
from workflows.services import workflow_send_event, workflow_start

from .conftest import run_worker

pytestmark = pytest.mark.django_db(transaction=True)

ALL_CHILDREN_APPROVED = "length(values(childWorkflows.ubo_kyc)[?state != 'approved']) == `0`"

PARENT = {
    "id": "kyb_with_ubos",
    "initial": "starting_ubo_checks",
    "states": {
        "starting_ubo_checks": {"on": {"UBOS_STARTED": "awaiting_ubos", "UBOS_FAILED": "manual_review"}},
        "awaiting_ubos": {
            "on": {
                "UBO_APPROVED": [
                    {"target": "manual_review", "cond": {"type": "jmespath", "options": {"rule": ALL_CHILDREN_APPROVED}}},
                    {"target": "awaiting_ubos"},
                ],
                "reject": "rejected",
            }
        },
        "manual_review": {"on": {"approve": "approved", "reject": "rejected"}},
        "approved": {"type": "final"},
        "rejected": {"type": "final"},
    },
}

CHILD = {
    "id": "ubo_kyc",
    "initial": "review",
    "states": {"review": {"on": {"approve": "approved", "reject": "rejected"}}, "approved": {"type": "final"}, "rejected": {"type": "final"}},
}

EXTENSIONS = {
    "childWorkflowPlugins": [
        {
            "name": "ubo_case",
            "pluginKind": "child",
            "definitionId": "ubo_kyc",
            "transformers": [
                {
                    "transformer": "jmespath",
                    "mapping": "{entity: {type: 'individual', id: id, data: {firstName: firstName, lastName: lastName, ownership: ownership}}, documents: `[]`}",
                }
            ],
        }
    ],
    "commonPlugins": [
        {
            "name": "ubo_cases",
            "pluginKind": "iterative",
            "stateNames": ["starting_ubo_checks"],
            "iterateOn": [{"transformer": "jmespath", "mapping": "entity.data.additionalInfo.ubos"}],
            "actionPluginName": "ubo_case",
            "successAction": "UBOS_STARTED",
            "errorAction": "UBOS_FAILED",
        }
    ],
}

CALLBACKS = {"childCallbackResults": [{"definitionId": "ubo_kyc", "persistenceStates": ["approved", "rejected"], "deliverEvent": "UBO_APPROVED"}]}

UBOS = [
    {"id": "ubo-ann", "firstName": "Ann", "lastName": "Lee", "ownership": 60},
    {"id": "ubo-bo", "firstName": "Bo", "lastName": "Kim", "ownership": 40},
]


@pytest.fixture
def family(demo_project):
    definition_save(project=demo_project, key="ubo_kyc", statechart=CHILD)
    definition_save(project=demo_project, key="kyb_with_ubos", statechart=PARENT, extensions=EXTENSIONS, config=CALLBACKS)
    return demo_project


def start_parent(project, entity_id="biz-1", ubos=UBOS):
    context = {"entity": {"type": "business", "id": entity_id, "data": {"companyName": "Acme Ltd", "additionalInfo": {"ubos": ubos}}}, "documents": []}
    return workflow_start(project=project, workflow_id="kyb_with_ubos", context=context, actor=Actor()).runtime


def children_of(parent):
    return list(WorkflowRuntime.objects.filter(parent_runtime=parent).select_related("entity").order_by("entity__correlation_id"))


def test_an_iterative_child_plugin_starts_one_case_per_ubo_recorded_on_the_parent(family):
    parent = start_parent(family)
    run_worker()
    children = children_of(parent)
    assert [child.entity.correlation_id for child in children] == ["ubo-ann", "ubo-bo"]
    assert all(child.state == "review" and child.definition.key == "ubo_kyc" for child in children)
    parent.refresh_from_db()
    assert parent.state == "awaiting_ubos"
    entries = parent.context["childWorkflows"]["ubo_kyc"]
    assert set(entries) == {str(child.pk) for child in children}
    assert entries[str(children[0].pk)] == {"entityId": "ubo-ann", "status": "active", "state": "review", "tags": []}
    assert HistoryEvent.objects.filter(runtime=parent, kind=HistoryKind.CHILDREN_STARTED).count() == 1


def test_approving_every_child_moves_the_parent_to_manual_review(family):
    parent = start_parent(family)
    run_worker()
    first, second = children_of(parent)
    workflow_send_event(project=family, runtime_id=first.pk, name="approve", payload={}, actor=Actor())
    parent.refresh_from_db()
    assert parent.state == "awaiting_ubos"
    assert parent.context["childWorkflows"]["ubo_kyc"][str(first.pk)]["state"] == "approved"
    assert parent.context["childWorkflows"]["ubo_kyc"][str(first.pk)]["result"]["entity"]["id"] == "ubo-ann"
    workflow_send_event(project=family, runtime_id=second.pk, name="approve", payload={}, actor=Actor())
    parent.refresh_from_db()
    assert parent.state == "manual_review"
    assert HistoryEvent.objects.filter(runtime=parent, kind=HistoryKind.TRANSITION, to_state="manual_review", actor_label=f"child case {second.pk}").exists()


def test_a_person_who_is_a_ubo_of_two_companies_gets_two_cases(family):
    first, second = start_parent(family, "biz-1"), start_parent(family, "biz-2")
    run_worker()
    ann = WorkflowRuntime.objects.filter(entity__correlation_id="ubo-ann", definition__key="ubo_kyc")
    assert sorted(str(child.parent_runtime_id) for child in ann) == sorted([str(first.pk), str(second.pk)])


def test_a_missing_child_definition_takes_the_error_action_with_the_failed_items(demo_project):
    definition_save(project=demo_project, key="kyb_with_ubos", statechart=PARENT, extensions=EXTENSIONS, config={})
    parent = start_parent(demo_project)
    run_worker()
    parent.refresh_from_db()
    assert parent.state == "manual_review"
    output = parent.context["pluginsOutput"]["ubo_cases"]
    assert output["status"] == "ERROR" and len(output["failedItems"]) == 2
    assert not WorkflowRuntime.objects.filter(parent_runtime=parent).exists()
    assert PluginRun.objects.get(runtime=parent).status == PluginRunStatus.FAILED


def test_a_closed_parent_is_told_nothing_and_the_report_is_recorded(family):
    parent = start_parent(family)
    run_worker()
    first, _ = children_of(parent)
    workflow_send_event(project=family, runtime_id=parent.pk, name="reject", payload={}, actor=Actor())
    workflow_send_event(project=family, runtime_id=first.pk, name="approve", payload={}, actor=Actor())
    first.refresh_from_db()
    parent.refresh_from_db()
    assert first.state == "approved"
    assert parent.state == "rejected" and parent.context["childWorkflows"]["ubo_kyc"][str(first.pk)]["state"] == "review"
    note = HistoryEvent.objects.filter(runtime=parent, kind=HistoryKind.CHILD_CHANGED).latest("created_at")
    assert "nothing was delivered" in note.payload["note"]


def test_a_deliver_event_the_parent_refuses_is_recorded_on_the_parent(family):
    parent = start_parent(family)
    run_worker()
    first, _ = children_of(parent)
    workflow_send_event(project=family, runtime_id=parent.pk, name="UBO_APPROVED", payload={}, actor=Actor())  # stays
    WorkflowRuntime.objects.filter(pk=parent.pk).update(state="manual_review")  # a state without UBO_APPROVED
    workflow_send_event(project=family, runtime_id=first.pk, name="approve", payload={}, actor=Actor())
    refused = HistoryEvent.objects.filter(runtime=parent, kind=HistoryKind.CHILD_CHANGED, payload__has_key="refused")
    assert refused.count() == 1 and "UBO_APPROVED" in refused.get().payload["refused"]
    assert WorkflowRuntime.objects.get(pk=first.pk).state == "approved"


def operator_client(project):
    from django.test import Client

    from projects.models import Role
    from tests.factories import MembershipFactory, UserFactory

    client = Client()
    client.force_login(MembershipFactory(project=project, user=UserFactory(username="olga"), role=Role.OPERATOR).user)
    return client


def test_the_parent_page_lists_its_children_and_a_child_links_to_its_parent(family):
    parent = start_parent(family)
    run_worker()
    first, _ = children_of(parent)
    client = operator_client(family)
    html = client.get(f"/cases/{parent.pk}/").content.decode()
    assert "Child cases" in html and f'href="/cases/{first.pk}/"' in html and "60%" in html
    child_html = client.get(f"/cases/{first.pk}/").content.decode()
    assert 'id="case-parent"' in child_html and f'href="/cases/{parent.pk}/"' in child_html


def test_fifty_ubos_start_fifty_children_and_the_parent_page_queries_stay_the_same(family):
    import time

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    small = start_parent(family, "biz-small", UBOS)
    many = [{"id": f"ubo-{n}", "firstName": f"P{n}", "lastName": "Owner", "ownership": 2} for n in range(50)]
    large = start_parent(family, "biz-large", many)
    started = time.monotonic()
    run_worker()
    assert time.monotonic() - started < 60
    assert WorkflowRuntime.objects.filter(parent_runtime=large).count() == 50
    client = operator_client(family)
    client.get(f"/cases/{small.pk}/")
    with CaptureQueriesContext(connection) as two:
        client.get(f"/cases/{small.pk}/")
    with CaptureQueriesContext(connection) as fifty:
        html = client.get(f"/cases/{large.pk}/").content.decode()
    assert html.count('class="child-case"') == 50
    assert len(fifty) == len(two)


def test_the_api_shows_the_family(family, api):
    parent = start_parent(family)
    run_worker()
    first, _ = children_of(parent)
    body = api.get(f"/api/v1/external/workflows/{parent.pk}").json()
    assert set(body["childWorkflows"]["ubo_kyc"]) == {str(child.pk) for child in children_of(parent)}
    assert api.get(f"/api/v1/external/workflows/{first.pk}").json()["parentWorkflowRuntimeId"] == str(parent.pk)


def test_the_api_lists_a_parents_children_by_filter(family, api):
    parent = start_parent(family)
    run_worker()
    body = api.get("/api/v1/external/workflows", {"parentWorkflowRuntimeId": str(parent.pk)}).json()
    assert {row["id"] for row in body["data"]} == {str(child.pk) for child in children_of(parent)}


def test_the_queue_filters_cases_that_are_part_of_a_parent(family):
    from cases.models import Queue

    parent = start_parent(family)
    run_worker()
    lone = workflow_start(
        project=family, workflow_id="ubo_kyc", context={"entity": {"type": "individual", "id": "lone", "data": {"firstName": "Lo", "lastName": "Ne"}}}, actor=Actor()
    ).runtime
    queue = Queue.objects.create(project=family, name="UBO KYC", slug="ubo-kyc", entity_kind="individual")
    queue.definitions.add(lone.definition)
    client = operator_client(family)
    children_html = client.get("/queues/ubo-kyc/", {"part_of_parent": "yes"}).content.decode()
    alone_html = client.get("/queues/ubo-kyc/", {"part_of_parent": "no"}).content.decode()
    first, _ = children_of(parent)
    assert f"/cases/{first.pk}/" in children_html and f"/cases/{lone.pk}/" not in children_html
    assert f"/cases/{lone.pk}/" in alone_html and f"/cases/{first.pk}/" not in alone_html


def test_the_parent_page_shows_each_childs_ownership_of_this_company(family):
    shared = {"id": "ubo-shared", "firstName": "Zoe", "lastName": "Zed"}
    first = start_parent(family, "biz-x", [{**shared, "ownership": 10}])
    start_parent(family, "biz-y", [{**shared, "ownership": 90}])
    run_worker()
    html = operator_client(family).get(f"/cases/{first.pk}/").content.decode()
    assert "10%" in html and "90%" not in html


def test_a_parent_hears_of_a_childs_change_from_the_child(family, api):
    parent = start_parent(family)
    run_worker()
    first, second = children_of(parent)
    api.post(f"/api/v1/external/workflows/{first.pk}/event", {"name": "approve"})
    row = HistoryEvent.objects.filter(runtime=parent, kind=HistoryKind.CHILD_CHANGED).latest("created_at")
    assert row.actor_label == f"child case {first.pk}"
