"""The queue admin refuses queues that could never show a case (issue 10, point 3): what an
admin sees on the add and change pages, through the real admin."""

import re

import pytest

from cases.models import Queue
from workflows.models import EntityKind, RuntimeStatus

from ..factories import SIMPLE_STATECHART, DefinitionFactory, DefinitionVersionFactory

ADD_URL = "/admin/cases/queue/add/"


def change_url(queue) -> str:
    return f"/admin/cases/queue/{queue.pk}/change/"


def entity_schema(type_schema) -> dict:
    """A context schema whose `entity.type` is described by `type_schema`."""
    return {"type": "object", "properties": {"entity": {"type": "object", "properties": {"type": type_schema}}}}


def statechart(*states) -> dict:
    return {"id": "chart", "initial": states[0], "states": {state: {} for state in states}}


@pytest.fixture
def kyb(project):
    """A business workflow of `project` (states review, revision, approved, rejected)."""
    return DefinitionVersionFactory(
        definition__project=project, definition__key="kyb", definition__name="KYB",
        context_schema=entity_schema({"const": "business"}),
    ).definition


@pytest.fixture
def kyc(project):
    """A workflow of `project` whose context schema allows individuals only."""
    return DefinitionVersionFactory(
        definition__project=project, definition__key="kyc", definition__name="Individual KYC",
        statechart=statechart("collect", "done"), context_schema=entity_schema({"const": "individual"}),
    ).definition


def queue_data(project, definitions, **values) -> dict:
    """What the add form posts for a business queue of `definitions` showing active cases."""
    return {
        "project": project.pk,
        "name": "Onboarding",
        "slug": "onboarding",
        "entity_kind": EntityKind.BUSINESS,
        "definitions": [d.pk for d in definitions],
        "statuses": [RuntimeStatus.ACTIVE],
        "states": [],
        "position": 0,
        **values,
    }


def field_errors(response, name) -> list[str]:
    assert response.status_code == 200, "the form was saved"
    return list(response.context["adminform"].form.errors.get(name, []))


def checkboxes(html: str, name: str) -> dict[str, bool]:
    """The checkboxes named `name`: value -> checked."""
    inputs = re.findall(rf'<input type="checkbox" name="{name}" [^>]*>', html)
    return {re.search(r'value="([^"]*)"', tag).group(1): " checked" in tag for tag in inputs}


def definition_options(html: str) -> list[str]:
    select = re.search(r'<select name="definitions"[^>]*>(.*?)</select>', html, re.S).group(1)
    return re.findall(r"<option [^>]*>([^<]*)</option>", select)


# -- statuses ------------------------------------------------------------------------------------


def test_the_add_page_offers_each_case_status_as_a_checkbox_with_active_checked(admin_client, kyb):
    html = admin_client.get(ADD_URL).content.decode()
    assert checkboxes(html, "statuses") == {"active": True, "completed": False, "failed": False}


def test_checked_statuses_are_saved_as_a_list_of_values(admin_client, project, kyb):
    response = admin_client.post(
        ADD_URL, queue_data(project, [kyb], statuses=[RuntimeStatus.ACTIVE, RuntimeStatus.FAILED])
    )
    assert response.status_code == 302
    assert Queue.objects.get().statuses == ["active", "failed"]


def test_a_queue_with_no_status_checked_is_saved_with_an_empty_list_meaning_all(admin_client, project, kyb):
    data = queue_data(project, [kyb])
    del data["statuses"]
    assert admin_client.post(ADD_URL, data).status_code == 302
    assert Queue.objects.get().statuses == []


def test_an_unknown_status_is_refused_with_a_message_beside_the_statuses_field(admin_client, project, kyb):
    response = admin_client.post(ADD_URL, queue_data(project, [kyb], statuses=[RuntimeStatus.ACTIVE, "pending"]))
    assert field_errors(response, "statuses") == ["Unknown statuses: “pending”. A case is one of: active, completed, failed."]
    assert not Queue.objects.exists()


def test_a_status_typed_as_a_json_string_is_refused(admin_client, project, kyb):
    response = admin_client.post(ADD_URL, queue_data(project, [kyb], statuses='"active"'))
    assert field_errors(response, "statuses") == ["Unknown statuses: “\"active\"”. A case is one of: active, completed, failed."]


def test_a_queue_stored_with_its_status_as_a_string_opens_with_that_status_checked(admin_client, project, kyb):
    queue = Queue.objects.create(project=project, name="Old", slug="old", entity_kind=EntityKind.BUSINESS, statuses="active")
    queue.definitions.add(kyb)
    html = admin_client.get(change_url(queue)).content.decode()
    assert checkboxes(html, "statuses") == {"active": True, "completed": False, "failed": False}


def test_a_queue_stored_with_unknown_statuses_shows_them_checked_so_saving_it_unchanged_is_refused(admin_client, project, kyb):
    queue = Queue.objects.create(project=project, name="Old", slug="old", entity_kind=EntityKind.BUSINESS, statuses=["a", "c"])
    queue.definitions.add(kyb)
    html = admin_client.get(change_url(queue)).content.decode()
    assert checkboxes(html, "statuses") == {"active": False, "completed": False, "failed": False, "a": True, "c": True}
    response = admin_client.post(change_url(queue), queue_data(project, [kyb], statuses=["a", "c"]))
    assert field_errors(response, "statuses") == ["Unknown statuses: “a”, “c”. A case is one of: active, completed, failed."]


# -- definitions ---------------------------------------------------------------------------------


def test_a_queue_without_definitions_is_refused_with_a_message_beside_the_definitions_field(admin_client, project, kyb):
    response = admin_client.post(ADD_URL, queue_data(project, []))
    assert field_errors(response, "definitions") == [
        "Choose at least one workflow definition: a queue without one never shows a case."
    ]
    assert not Queue.objects.exists()


def test_a_definition_of_another_project_is_refused_with_a_message_naming_it(admin_client, project, other_project, kyb):
    foreign = DefinitionVersionFactory(definition__project=other_project, definition__key="theirs", definition__name="Theirs").definition
    response = admin_client.post(ADD_URL, queue_data(project, [kyb, foreign]))
    assert field_errors(response, "definitions") == [
        "Not definitions of project ACME: Theirs (theirs). Choose definitions of the queue's project only."
    ]


def test_the_add_page_names_each_definitions_project(admin_client, other_project, kyb):
    DefinitionVersionFactory(definition__project=other_project, definition__key="theirs", definition__name="Theirs")
    html = admin_client.get(ADD_URL).content.decode()
    assert definition_options(html) == ["ACME: KYB (kyb)", "Other: Theirs (theirs)"]


def test_an_existing_queue_offers_only_the_definitions_of_its_project(admin_client, project, other_project, kyb, kyc):
    DefinitionVersionFactory(definition__project=other_project, definition__key="theirs", definition__name="Theirs")
    queue = Queue.objects.create(project=project, name="Onboarding", slug="onboarding", entity_kind=EntityKind.BUSINESS)
    queue.definitions.add(kyb)
    html = admin_client.get(change_url(queue)).content.decode()
    assert sorted(definition_options(html)) == ["Individual KYC (kyc)", "KYB (kyb)"]


def test_the_project_of_an_existing_queue_cannot_be_changed(admin_client, project, other_project, kyb):
    queue = Queue.objects.create(project=project, name="Onboarding", slug="onboarding", entity_kind=EntityKind.BUSINESS)
    queue.definitions.add(kyb)
    response = admin_client.post(change_url(queue), queue_data(other_project, [kyb]))
    assert response.status_code == 302
    queue.refresh_from_db()
    assert queue.project == project


# -- states --------------------------------------------------------------------------------------


def test_the_states_offered_are_those_of_every_version_of_the_projects_definitions(admin_client, project, kyb, kyc):
    DefinitionVersionFactory(definition=kyb, version=2, statechart=statechart("review", "escalated", "approved"))
    queue = Queue.objects.create(project=project, name="Onboarding", slug="onboarding", entity_kind=EntityKind.BUSINESS)
    queue.definitions.add(kyb)
    html = admin_client.get(change_url(queue)).content.decode()
    assert sorted(checkboxes(html, "states")) == sorted(
        ["review", "revision", "approved", "rejected", "escalated", "collect", "done"]
    )


def test_each_state_offered_names_the_definitions_that_have_it(admin_client, project, kyb):
    other = DefinitionVersionFactory(definition__project=project, definition__key="kyb_lite", definition__name="KYB lite").definition
    queue = Queue.objects.create(project=project, name="Onboarding", slug="onboarding", entity_kind=EntityKind.BUSINESS)
    queue.definitions.add(kyb, other)
    html = admin_client.get(change_url(queue)).content.decode()
    assert "review — KYB (kyb), KYB lite (kyb_lite)" in html


def test_checked_states_are_saved_as_a_list(admin_client, project, kyb):
    response = admin_client.post(ADD_URL, queue_data(project, [kyb], states=["review", "revision"]))
    assert response.status_code == 302
    assert Queue.objects.get().states == ["review", "revision"]


def test_a_state_found_only_in_an_old_version_is_accepted(admin_client, project):
    old = DefinitionVersionFactory(definition__project=project, definition__key="kyb", statechart=statechart("legacy_review", "done"))
    DefinitionVersionFactory(definition=old.definition, version=2)
    response = admin_client.post(ADD_URL, queue_data(project, [old.definition], states=["legacy_review"]))
    assert response.status_code == 302


def test_an_unknown_state_is_refused_with_a_message_naming_it_and_the_valid_states(admin_client, project, kyb):
    response = admin_client.post(ADD_URL, queue_data(project, [kyb], states=["review", "in_review"]))
    assert field_errors(response, "states") == [
        "Not a state of the chosen definitions: “in_review”. Their states: approved, rejected, review, revision."
    ]
    assert not Queue.objects.exists()


def test_a_state_of_a_definition_the_queue_does_not_hold_is_refused(admin_client, project, kyb, kyc):
    response = admin_client.post(ADD_URL, queue_data(project, [kyb], states=["collect"]))
    assert field_errors(response, "states") == [
        "Not a state of the chosen definitions: “collect”. Their states: approved, rejected, review, revision."
    ]


# -- entity kind ---------------------------------------------------------------------------------


def test_a_business_queue_holding_an_individual_only_definition_is_refused_beside_the_entity_kind(admin_client, project, kyb, kyc):
    response = admin_client.post(ADD_URL, queue_data(project, [kyb, kyc]))
    assert field_errors(response, "entity_kind") == [
        "A business queue cannot show cases of Individual KYC (kyc): its context schema (entity.type) "
        "does not allow business entities."
    ]
    assert not Queue.objects.exists()


def test_an_individual_queue_holding_that_definition_is_saved(admin_client, project, kyc):
    response = admin_client.post(ADD_URL, queue_data(project, [kyc], entity_kind=EntityKind.INDIVIDUAL))
    assert response.status_code == 302


def test_a_definition_whose_schema_enumerates_both_kinds_fits_a_business_queue(admin_client, project):
    both = DefinitionVersionFactory(
        definition__project=project, context_schema=entity_schema({"enum": ["business", "individual"]})
    ).definition
    assert admin_client.post(ADD_URL, queue_data(project, [both])).status_code == 302


def test_a_definition_whose_schema_does_not_type_the_entity_fits_either_kind(admin_client, project):
    untyped = DefinitionVersionFactory(definition__project=project, context_schema={"type": "object"}).definition
    assert admin_client.post(ADD_URL, queue_data(project, [untyped], entity_kind=EntityKind.INDIVIDUAL)).status_code == 302


def test_a_kind_allowed_by_an_old_version_only_is_accepted(admin_client, project, kyc):
    DefinitionVersionFactory(definition=kyc, version=2, context_schema=entity_schema({"const": "business"}))
    assert admin_client.post(ADD_URL, queue_data(project, [kyc], entity_kind=EntityKind.INDIVIDUAL)).status_code == 302


# -- existing queues and the pages ---------------------------------------------------------------


@pytest.mark.parametrize("slug", ["businesses-onboarding", "individuals-kyc"])
def test_a_demo_queue_saved_unchanged_from_its_change_page_is_accepted(admin_client, demo_project, slug):
    queue = Queue.objects.get(project=demo_project, slug=slug)
    html = admin_client.get(change_url(queue)).content.decode()
    assert checkboxes(html, "statuses")["active"]
    data = queue_data(
        demo_project, queue.definitions.all(),
        name=queue.name, slug=queue.slug, entity_kind=queue.entity_kind, position=queue.position,
        statuses=queue.statuses, states=queue.states,
    )
    response = admin_client.post(change_url(queue), data)
    assert response.status_code == 302
    assert Queue.objects.get(pk=queue.pk).statuses == ["active"]


def test_the_queue_list_shows_the_demo_queues(admin_client, demo_project):
    html = admin_client.get("/admin/cases/queue/").content.decode()
    assert "Businesses Onboarding" in html and "Individuals KYC" in html


def test_the_change_page_reads_definitions_and_versions_in_a_fixed_number_of_queries(
    admin_client, project, kyb, django_assert_max_num_queries
):
    queue = Queue.objects.create(project=project, name="Onboarding", slug="onboarding", entity_kind=EntityKind.BUSINESS)
    for number in range(8):
        definition = DefinitionFactory(project=project)
        for version in (1, 2, 3):
            DefinitionVersionFactory(definition=definition, version=version, statechart=dict(SIMPLE_STATECHART))
        queue.definitions.add(definition)
    with django_assert_max_num_queries(10):
        assert admin_client.get(change_url(queue)).status_code == 200


def test_saving_a_queue_reads_the_definitions_versions_in_a_fixed_number_of_queries(
    admin_client, project, django_assert_max_num_queries
):
    definitions = [DefinitionFactory(project=project) for _ in range(8)]
    for definition in definitions:
        for version in (1, 2, 3):
            DefinitionVersionFactory(definition=definition, version=version)
    with django_assert_max_num_queries(18):
        assert admin_client.post(ADD_URL, queue_data(project, definitions, states=["review"])).status_code == 302
