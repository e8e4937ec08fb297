"""The case maintenance pages: "Edit entity data" and "Move to a newer version" (issue 16, item 2)."""

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from projects.models import Role
from workflows.actors import Actor
from workflows.errors import WorkflowFailed
from workflows.models import HistoryEvent, HistoryKind, RuntimeStatus, WorkflowRuntime
from workflows.case_work import case_assign
from workflows.definitions import definition_save
from workflows.services import workflow_send_event, workflow_start

from ..factories import MembershipFactory, UserFactory, business_context, demo_case_start
from ..workflows.test_maintenance import BROKEN, REPAIRED

REPRESENTATIVE = {"mainRepresentative": {"firstName": "Ann", "lastName": "Lee", "email": "ann@example.com"}}


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def stored(case) -> WorkflowRuntime:
    return WorkflowRuntime.objects.get(pk=case.pk)


def edit_url(case) -> str:
    return f"/cases/{case.pk}/entity/edit/"


def move_url(case) -> str:
    return f"/cases/{case.pk}/version/move/"


@pytest.fixture
def demo_case(demo_project):
    return demo_case_start(demo_project, "kyb-7", "Northwind Ltd", country="GB", additionalInfo=REPRESENTATIVE)


@pytest.fixture
def failed_case(project, system_actor):
    definition_save(project=project, key="kyb", statechart=BROKEN)
    case = workflow_start(project=project, workflow_id="kyb", context=business_context(score=5), actor=system_actor).runtime
    with pytest.raises(WorkflowFailed):
        workflow_send_event(project=project, runtime_id=case.pk, name="check", actor=system_actor)
    return stored(case)


def newer_version(project, number: int):
    statechart = {**REPAIRED, "states": {**REPAIRED["states"], f"step_{number}": {"on": {"go": "review"}}}}
    return definition_save(project=project, key="kyb", statechart=statechart).version


# --- Edit entity data ----------------------------------------------------------------------


def test_the_edit_form_is_generated_from_the_input_schema_and_shows_the_current_values(operator_client, demo_case):
    page = operator_client.get(edit_url(demo_case)).content.decode()
    assert 'name="companyName"' in page and 'value="Northwind Ltd"' in page
    assert 'name="additionalInfo.mainRepresentative.email"' in page and 'value="ann@example.com"' in page
    assert f'name="version" value="{demo_case.version}"' in page


def test_saving_the_form_corrects_the_data_and_opens_the_case_with_the_change_in_its_history(operator_client, demo_case):
    form = {"version": demo_case.version, "companyName": "Northwind Trading Ltd", "additionalInfo.mainRepresentative.firstName": "Ann",
            "additionalInfo.mainRepresentative.lastName": "Lee", "additionalInfo.mainRepresentative.email": "ann@example.com"}
    response = operator_client.post(edit_url(demo_case), form, follow=True)
    assert response.redirect_chain[-1][0] == f"/cases/{demo_case.pk}/"
    page = response.content.decode()
    assert "Entity data corrected (1 change)." in page
    assert "<code>companyName</code>: <del>&quot;Northwind Ltd&quot;</del> → <ins>&quot;Northwind Trading Ltd&quot;</ins>" in page
    data = stored(demo_case).context["entity"]["data"]
    assert data["companyName"] == "Northwind Trading Ltd" and data["country"] == "GB"  # kept: not in the form


def test_an_invalid_value_is_shown_beside_its_field_and_nothing_is_written(operator_client, demo_case):
    form = {"version": demo_case.version, "companyName": "Northwind Ltd", "additionalInfo.mainRepresentative.firstName": "Ann",
            "additionalInfo.mainRepresentative.lastName": "Lee", "additionalInfo.mainRepresentative.email": "not an email"}
    response = operator_client.post(edit_url(demo_case), form)
    assert response.status_code == 200
    assert response.context["form"].errors == {"additionalInfo.mainRepresentative.email": ["Enter a valid email address."]}
    assert stored(demo_case).version == demo_case.version


def test_a_definition_without_an_input_schema_edits_the_data_as_json(operator, failed_case):
    client = signed_in(operator)
    page = client.get(edit_url(failed_case)).content.decode()
    assert "Entity data (JSON)" in page and "&quot;companyName&quot;: &quot;ACME Ltd&quot;" in page
    data = {"companyName": "ACME Ltd", "score": [1, 2]}
    client.post(edit_url(failed_case), {"version": failed_case.version, "entity_data": json.dumps(data)})
    assert stored(failed_case).context["entity"]["data"] == data


@pytest.mark.parametrize(
    ("text", "message"),
    [("{\"companyName\": ", "This is not valid JSON"), ("[1]", "must be a JSON object"), ("{\"companyName\": \"\"}", "companyName: This field is required"),
     ("{\"companyName\": \"A\\u0000\"}", "companyName: Contains a NUL character")],
)
def test_json_that_cannot_be_the_data_is_refused_beside_the_field(operator, failed_case, text, message):
    response = signed_in(operator).post(edit_url(failed_case), {"version": failed_case.version, "entity_data": text})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["entity_data"])
    assert stored(failed_case).version == failed_case.version


def stale_form(case, user) -> dict:
    """An edit form opened before another change of the case (here its assignment) was saved."""
    form = {"version": case.version, "companyName": "Other", "additionalInfo.mainRepresentative.firstName": "Ann",
            "additionalInfo.mainRepresentative.lastName": "Lee", "additionalInfo.mainRepresentative.email": "ann@example.com"}
    case_assign(project=case.project, runtime_id=case.pk, assignee=user, actor=Actor())
    return form


def test_a_stale_edit_form_saves_nothing_and_keeps_what_was_typed(operator_client, demo_case):
    response = operator_client.post(edit_url(demo_case), stale_form(demo_case, operator_client.user))
    page = response.content.decode()
    assert response.status_code == 200
    assert "changed after your page was loaded, so nothing was saved" in page
    assert 'name="companyName"' in page and 'value="Other"' in page
    assert "companyName is now &quot;Northwind Ltd&quot;" in page
    assert stored(demo_case).context["entity"]["data"]["companyName"] == "Northwind Ltd"


def test_saving_the_kept_entries_again_applies_them_to_the_case_as_it_is(operator_client, demo_case):
    form = stale_form(demo_case, operator_client.user)
    page = operator_client.post(edit_url(demo_case), form).content.decode()
    current = stored(demo_case)
    assert f'name="version" value="{current.version}"' in page
    response = operator_client.post(edit_url(demo_case), {**form, "version": current.version}, follow=True)
    assert "Entity data corrected (1 change)." in response.content.decode()
    case = stored(demo_case)
    assert case.context["entity"]["data"]["companyName"] == "Other" and case.assignee_id == current.assignee_id


def test_an_edit_form_without_the_case_version_changes_nothing(operator_client, demo_case):
    response = operator_client.post(edit_url(demo_case), {"companyName": "Other"}, follow=True)
    assert "did not say which version" in response.content.decode()
    assert stored(demo_case).version == demo_case.version


def test_a_completed_case_has_no_edit_form(operator_client, demo_case):
    workflow_send_event(project=demo_case.project, runtime_id=demo_case.pk, name="approve", actor=Actor())
    response = operator_client.get(edit_url(demo_case), follow=True)
    assert response.redirect_chain[-1][0] == f"/cases/{demo_case.pk}/"
    assert "closed record" in response.content.decode()


def test_a_viewer_gets_403_from_both_pages(viewer, failed_case):
    client = signed_in(viewer)
    for url in (edit_url(failed_case), move_url(failed_case)):
        assert client.get(url).status_code == 403
        assert client.post(url, {"version": failed_case.version, "entity_data": "{}"}).status_code == 403
    assert stored(failed_case).version == failed_case.version


def test_a_case_of_another_project_is_404_on_both_pages(failed_case, other_project):
    outsider = MembershipFactory(project=other_project, user=UserFactory(username="otto"), role=Role.OPERATOR).user
    client = signed_in(outsider)
    assert client.get(edit_url(failed_case)).status_code == 404
    assert client.get(move_url(failed_case)).status_code == 404


# --- Move to a newer version ---------------------------------------------------------------


def test_the_move_page_lists_the_newer_versions_and_the_states_of_the_chosen_one(operator, failed_case, project):
    newer_version(project, 2)
    third = newer_version(project, 3)
    page = signed_in(operator).get(move_url(failed_case)).content.decode()
    assert "Version 3 (newest)" in page and "Version 2 ·" in page and "Version 1 " not in page
    assert f'name="version_id" value="{third.pk}"' in page
    assert 'value="review" checked' in page and 'value="step_3"' in page and 'value="approved"' not in page


def test_choosing_a_version_shows_its_states(operator, failed_case, project):
    second = newer_version(project, 2)
    newer_version(project, 3)
    page = signed_in(operator).get(move_url(failed_case), {"version_id": second.pk}).content.decode()
    assert 'value="step_2"' in page and 'value="step_3"' not in page


def test_confirming_the_move_moves_the_case_and_says_so(operator, failed_case, project):
    target = newer_version(project, 2)
    response = signed_in(operator).post(
        move_url(failed_case), {"version": failed_case.version, "version_id": target.pk, "state": "review"}, follow=True
    )
    assert "Moved from version 1 to version 2; the case is active in state Review." in response.content.decode()
    case = stored(failed_case)
    assert (case.definition_version_id, case.status) == (target.pk, RuntimeStatus.ACTIVE)
    assert HistoryEvent.objects.filter(runtime=case, kind=HistoryKind.VERSION_MOVED).count() == 1


def test_a_refused_state_is_shown_beside_the_states(operator, failed_case, project):
    target = newer_version(project, 2)
    response = signed_in(operator).post(move_url(failed_case), {"version": failed_case.version, "version_id": target.pk, "state": "approved"})
    assert response.status_code == 200
    assert "is a final state of version 2" in response.content.decode()
    assert stored(failed_case).status == RuntimeStatus.FAILED


def test_an_active_case_has_no_move_page(operator_client, demo_case):
    response = operator_client.get(move_url(demo_case), follow=True)
    assert "Only a failed case can be moved" in response.content.decode()


def test_a_failed_case_without_a_newer_version_says_so(operator, failed_case):
    response = signed_in(operator).get(move_url(failed_case), follow=True)
    assert "has no version newer than this case" in response.content.decode()


def test_the_move_page_takes_the_same_queries_however_many_versions_there_are(operator, failed_case, project):
    client = signed_in(operator)
    newer_version(project, 2)
    client.get(move_url(failed_case))  # session and caches warmed
    with CaptureQueriesContext(connection) as one:
        client.get(move_url(failed_case))
    for number in range(3, 8):
        newer_version(project, number)
    with CaptureQueriesContext(connection) as many:
        client.get(move_url(failed_case))
    assert len(many) == len(one)


# --- the case page -------------------------------------------------------------------------


def test_the_case_page_offers_maintenance_to_operators(operator, failed_case, project):
    newer_version(project, 2)
    page = signed_in(operator).get(f"/cases/{failed_case.pk}/").content.decode()
    assert 'id="maintenance"' in page and edit_url(failed_case) in page and move_url(failed_case) in page


def test_the_case_page_offers_no_maintenance_to_viewers(viewer, failed_case):
    page = signed_in(viewer).get(f"/cases/{failed_case.pk}/").content.decode()
    assert 'id="maintenance"' not in page and edit_url(failed_case) not in page


def test_the_history_shows_a_move_with_its_versions_and_states(operator, failed_case, project):
    target = newer_version(project, 2)
    client = signed_in(operator)
    client.post(move_url(failed_case), {"version": failed_case.version, "version_id": target.pk, "state": "triage"})
    page = client.get(f"/cases/{failed_case.pk}/").content.decode()
    assert "Moved to a newer version" in page
    assert 'Version 1 → 2, state <code class="small">review</code> → <code class="small">triage</code>' in page
