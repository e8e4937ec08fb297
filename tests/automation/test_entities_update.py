"""ENTITIES_UPDATE: the UBOs and directors of a business case become entities of their own,
linked to the business with their role and ownership, their ids written back."""

import pytest

from automation.models import EntityLink, EntityRole, PluginRun, PluginRunStatus
from workflows.actors import Actor
from workflows.models import Entity, WorkflowRuntime
from workflows.definitions import definition_save
from workflows.services import workflow_start

from .conftest import run_worker

pytestmark = pytest.mark.django_db(transaction=True)

STATECHART = {
    "id": "kyb_people",
    "initial": "recording_people",
    "states": {
        "recording_people": {"on": {"PEOPLE_RECORDED": "manual_review", "PEOPLE_FAILED": "manual_review"}},
        "manual_review": {"on": {"approve": "approved"}},
        "approved": {"type": "final"},
    },
}

DISPATCH = {
    "name": "record_people",
    "pluginKind": "dispatch-event",
    "eventName": "ENTITIES_UPDATE",
    "stateNames": ["recording_people"],
    "transformers": [{"transformer": "jmespath", "mapping": "{ubos: entity.data.additionalInfo.ubos, directors: entity.data.additionalInfo.directors}"}],
    "successAction": "PEOPLE_RECORDED",
    "errorAction": "PEOPLE_FAILED",
}


def start(project, ubos, directors=()):
    definition_save(project=project, key="kyb_people", statechart=STATECHART, extensions={"dispatchEventPlugins": [DISPATCH]})
    context = {
        "entity": {"type": "business", "id": "biz-1", "data": {"companyName": "Acme Ltd", "additionalInfo": {"ubos": ubos, "directors": list(directors)}}},
        "documents": [],
    }
    return workflow_start(project=project, workflow_id="kyb_people", context=context, actor=Actor()).runtime


def test_ubos_and_directors_become_linked_entities_and_their_ids_are_written_back(demo_project):
    runtime = start(
        demo_project,
        [{"id": "ubo-ann", "firstName": "Ann", "lastName": "Lee", "ownership": 60}],
        [{"firstName": "Dan", "lastName": "Ng", "email": "dan@example.com"}],
    )
    run_worker()
    runtime.refresh_from_db()
    assert runtime.state == "manual_review"
    ann = Entity.objects.get(project=demo_project, kind="individual", correlation_id="ubo-ann")
    assert ann.display_name == "Ann Lee"
    links = {(link.person.display_name, link.role, link.ownership) for link in EntityLink.objects.select_related("person")}
    assert ("Ann Lee", EntityRole.UBO, 60) in {(name, role, int(own) if own is not None else None) for name, role, own in links}
    assert any(name == "Dan Ng" and role == EntityRole.DIRECTOR for name, role, _ in links)
    output = runtime.context["pluginsOutput"]["record_people"]
    assert output["ubos"][0]["ballerineEntityId"] == str(ann.pk) and output["ubos"][0]["ownership"] == 60.0
    assert output["directors"][0]["entityId"].startswith("biz-1-person-")


def test_the_same_people_sent_again_update_their_entities_and_links(demo_project):
    start(demo_project, [{"id": "ubo-ann", "firstName": "Ann", "lastName": "Lee", "ownership": 60}])
    run_worker()
    WorkflowRuntime.objects.all().update(status="completed")  # the next run starts a new case
    start(demo_project, [{"id": "ubo-ann", "firstName": "Ann", "lastName": "Lee-Smith", "ownership": 55}])
    run_worker()
    assert Entity.objects.filter(correlation_id="ubo-ann").count() == 1
    assert Entity.objects.get(correlation_id="ubo-ann").display_name == "Ann Lee-Smith"
    assert [float(link.ownership) for link in EntityLink.objects.all()] == [55.0]


def test_a_person_without_a_name_fails_the_plugin_and_records_nobody(demo_project):
    runtime = start(demo_project, [{"id": "ubo-x", "ownership": 10}])
    run_worker()
    runtime.refresh_from_db()
    assert PluginRun.objects.get(runtime=runtime).status == PluginRunStatus.FAILED
    assert "firstName or lastName" in runtime.context["pluginsOutput"]["record_people"]["error"]
    assert not EntityLink.objects.exists() and not Entity.objects.filter(correlation_id="ubo-x").exists()


def test_an_ownership_that_is_not_a_finite_share_links_the_person_without_one(demo_project):
    start(
        demo_project,
        [
            {"id": "ubo-nan", "firstName": "Nan", "lastName": "Lee", "ownership": "NaN"},
            {"id": "ubo-inf", "firstName": "Inf", "lastName": "Lee", "ownership": "Infinity"},
        ],
    )
    run_worker()
    assert sorted((link.person.correlation_id, link.ownership) for link in EntityLink.objects.select_related("person")) == [
        ("ubo-inf", None),
        ("ubo-nan", None),
    ]
