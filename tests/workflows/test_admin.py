import copy
import hashlib
import json
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from projects.models import ApiKey
from projects.selectors import api_key_authenticate
from projects.services import api_key_create
from workflows.actors import Actor
from workflows.models import HistoryEvent, WorkflowDefinitionVersion, WorkflowRuntime
from workflows.services import workflow_start

from ..factories import SIMPLE_STATECHART, business_context

RAW_KEY = re.compile(r"cw_[0-9a-f]{12}_[A-Za-z0-9_-]+")


def change_url(version):
    return reverse("admin:workflows_workflowdefinitionversion_change", args=[version.pk])


def version_form(statechart=SIMPLE_STATECHART, context_schema="{}", config="{}", extensions="{}"):
    """What the admin's change form posts: every JSON field as text."""
    return {
        "statechart": statechart if isinstance(statechart, str) else json.dumps(statechart),
        "context_schema": context_schema,
        "config": config,
        "extensions": extensions,
        "_save": "Save",
    }


def with_extra_tag(statechart):
    changed = copy.deepcopy(statechart)
    changed["states"]["revision"]["tags"] = ["revision", "waiting"]
    return changed


def field_errors(response, field):
    return list(response.context["adminform"].form.errors.get(field, []))


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def runtime(definition_version):
    return workflow_start(
        project=definition_version.definition.project,
        workflow_id=definition_version.definition.key,
        context=business_context(),
        actor=Actor(),
    ).runtime


# --- definition versions -----------------------------------------------------------------------


def test_version_change_page_shows_the_statechart_as_json(admin_client, definition_version):
    response = admin_client.get(change_url(definition_version))
    assert response.status_code == 200
    assert "approved" in response.content.decode()
    shown = response.context["adminform"].form["statechart"].value()
    assert json.loads(shown) == definition_version.statechart


def test_invalid_json_is_shown_on_the_field_with_its_line_and_column_and_changes_nothing(admin_client, definition_version):
    response = admin_client.post(change_url(definition_version), version_form('{"initial": "review",\n  "states": {]}'))
    assert response.status_code == 200
    [error] = field_errors(response, "statechart")
    assert error.startswith("Not valid JSON:") and "line 2 column 14" in error
    assert "line 2 column 14" in response.content.decode()
    assert '"states": {]}' in response.context["adminform"].form["statechart"].value()  # shown again as typed
    definition_version.refresh_from_db()
    assert definition_version.statechart == SIMPLE_STATECHART
    assert WorkflowDefinitionVersion.objects.count() == 1


def test_duplicate_keys_in_the_admins_json_are_refused(admin_client, definition_version):
    text = json.dumps(SIMPLE_STATECHART)[:-1] + ', "initial": "approved"}'
    response = admin_client.post(change_url(definition_version), version_form(text))
    assert field_errors(response, "statechart") == ['Not valid JSON: the key "initial" appears more than once in one object.']
    definition_version.refresh_from_db()
    assert definition_version.statechart == SIMPLE_STATECHART


def test_unknown_target_is_shown_on_the_statechart_field_with_its_path(admin_client, definition_version):
    statechart = copy.deepcopy(SIMPLE_STATECHART)
    statechart["states"]["review"]["on"]["approve"] = "approved_typo"
    response = admin_client.post(change_url(definition_version), version_form(statechart))
    assert response.status_code == 200
    errors = field_errors(response, "statechart")
    assert any(e.startswith("statechart.states.review.on.approve") and "approved_typo" in e for e in errors)
    assert "statechart.states.review.on.approve" in response.content.decode()
    definition_version.refresh_from_db()
    assert definition_version.statechart == SIMPLE_STATECHART
    assert WorkflowDefinitionVersion.objects.count() == 1


def test_statechart_that_is_not_an_object_is_refused_and_shown_again_as_typed(admin_client, definition_version):
    response = admin_client.post(change_url(definition_version), version_form('"review"'))
    assert response.status_code == 200
    assert any(e.startswith("statechart") for e in field_errors(response, "statechart"))
    # Shown unchanged, so that saving the form again does not turn it into invalid JSON.
    assert response.context["adminform"].form["statechart"].value() == '"review"'
    definition_version.refresh_from_db()
    assert definition_version.statechart == SIMPLE_STATECHART


def test_invalid_context_schema_is_shown_on_its_own_field(admin_client, definition_version):
    response = admin_client.post(
        change_url(definition_version), version_form(context_schema='{"type": "banana"}')
    )
    assert response.status_code == 200
    assert any(e.startswith("contextSchema") for e in field_errors(response, "context_schema"))
    assert field_errors(response, "statechart") == []
    definition_version.refresh_from_db()
    assert definition_version.context_schema == {}


def test_unknown_config_key_is_shown_on_the_config_field(admin_client, definition_version):
    response = admin_client.post(change_url(definition_version), version_form(config='{"colour": 1}'))
    assert response.status_code == 200
    assert any(e.startswith("config.colour") for e in field_errors(response, "config"))
    definition_version.refresh_from_db()
    assert definition_version.config == {}


def test_editing_a_version_no_runtime_uses_changes_it_in_place(admin_client, definition_version):
    changed = with_extra_tag(SIMPLE_STATECHART)
    response = admin_client.post(change_url(definition_version), version_form(changed))
    assert response.status_code == 302
    assert WorkflowDefinitionVersion.objects.count() == 1
    definition_version.refresh_from_db()
    assert (definition_version.version, definition_version.statechart) == (1, changed)


def test_editing_a_version_a_runtime_uses_creates_a_new_version(admin_client, definition_version, runtime):
    changed = with_extra_tag(SIMPLE_STATECHART)
    response = admin_client.post(change_url(definition_version), version_form(changed), follow=True)
    assert response.status_code == 200
    versions = WorkflowDefinitionVersion.objects.filter(definition=definition_version.definition)
    assert sorted(versions.values_list("version", flat=True)) == [1, 2]
    assert versions.get(version=2).statechart == changed
    assert versions.get(version=1).statechart == SIMPLE_STATECHART
    runtime.refresh_from_db()
    assert runtime.definition_version_id == definition_version.pk
    assert any("saved as version 2" in m for m in messages_of(response))


def test_save_and_continue_on_a_used_version_goes_on_editing_the_new_version(admin_client, definition_version, runtime):
    form = {**version_form(with_extra_tag(SIMPLE_STATECHART)), "_continue": "Save and continue editing"}
    del form["_save"]
    response = admin_client.post(change_url(definition_version), form)
    new_version = WorkflowDefinitionVersion.objects.get(version=2)
    assert response["Location"] == change_url(new_version)
    again = {**version_form(with_extra_tag(SIMPLE_STATECHART) | {"id": "edited"}), "_continue": "Save and continue editing"}
    del again["_save"]
    admin_client.post(change_url(new_version), again)
    assert WorkflowDefinitionVersion.objects.count() == 2  # v2 is not in use: edited in place


def test_new_version_from_the_admin_records_who_made_it(admin_client, admin_user, definition_version, runtime):
    admin_client.post(change_url(definition_version), version_form(with_extra_tag(SIMPLE_STATECHART)))
    assert WorkflowDefinitionVersion.objects.get(version=2).created_by == admin_user


def test_saving_a_used_version_unchanged_adds_no_version(admin_client, definition_version, runtime):
    response = admin_client.post(change_url(definition_version), version_form())
    assert response.status_code == 302
    assert WorkflowDefinitionVersion.objects.count() == 1


def test_adding_a_version_in_the_admin_makes_the_next_version(admin_client, definition_version):
    form = version_form(with_extra_tag(SIMPLE_STATECHART))
    form["definition"] = str(definition_version.definition.pk)
    response = admin_client.post(reverse("admin:workflows_workflowdefinitionversion_add"), form)
    assert response.status_code == 302
    versions = WorkflowDefinitionVersion.objects.filter(definition=definition_version.definition)
    assert sorted(versions.values_list("version", flat=True)) == [1, 2]


# --- API keys ----------------------------------------------------------------------------------


def add_api_key(admin_client, project, name="Partner"):
    return admin_client.post(
        reverse("admin:projects_apikey_add"),
        {"project": str(project.pk), "name": name, "expires_at_0": "", "expires_at_1": ""},
        follow=True,
    )


def test_adding_an_api_key_shows_the_raw_key_once_in_a_message(admin_client, project):
    response = add_api_key(admin_client, project)
    assert response.status_code == 200
    shown = [RAW_KEY.search(m).group() for m in messages_of(response) if RAW_KEY.search(m)]
    assert len(shown) == 1
    api_key = api_key_authenticate(shown[0])
    assert (api_key.project, api_key.name) == (project, "Partner")
    assert ApiKey.objects.count() == 1


def test_api_key_added_in_the_admin_is_stored_only_as_its_hash(admin_client, admin_user, project):
    response = add_api_key(admin_client, project)
    raw_key = next(RAW_KEY.search(m).group() for m in messages_of(response) if RAW_KEY.search(m))
    row = ApiKey.objects.values().get()
    assert row["key_hash"] == hashlib.sha256(raw_key.encode()).hexdigest()
    assert all(raw_key not in str(value) for value in row.values())
    assert row["created_by_id"] == admin_user.pk


def test_raw_key_is_not_shown_again_on_the_key_pages(admin_client, project):
    response = add_api_key(admin_client, project)
    raw_key = next(RAW_KEY.search(m).group() for m in messages_of(response) if RAW_KEY.search(m))
    api_key = ApiKey.objects.get()
    secret = raw_key[len("cw_") + 12 + 1 :]
    for url in (
        reverse("admin:projects_apikey_changelist"),
        reverse("admin:projects_apikey_change", args=[api_key.pk]),
    ):
        page = admin_client.get(url)
        assert page.status_code == 200
        assert secret not in page.content.decode()


def test_revoke_action_stops_the_key_from_authenticating(admin_client, project):
    api_key, raw_key = api_key_create(project=project, name="Partner")
    response = admin_client.post(
        reverse("admin:projects_apikey_changelist"),
        {"action": "revoke_selected", "_selected_action": [str(api_key.pk)]},
        follow=True,
    )
    assert response.status_code == 200
    assert api_key_authenticate(raw_key) is None
    assert ApiKey.objects.get(pk=api_key.pk).revoked_at is not None


# --- runtimes and history are read-only --------------------------------------------------------


@pytest.mark.parametrize("model", ["workflowruntime", "historyevent", "entity"])
def test_runtimes_entities_and_history_cannot_be_added_in_the_admin(admin_client, db, model):
    response = admin_client.get(reverse(f"admin:workflows_{model}_add"))
    assert response.status_code == 403


@pytest.mark.parametrize("model", ["workflowruntime", "historyevent"])
def test_runtimes_and_history_are_listed_without_an_add_button(admin_client, runtime, model):
    response = admin_client.get(reverse(f"admin:workflows_{model}_changelist"))
    assert response.status_code == 200
    assert reverse(f"admin:workflows_{model}_add") not in response.content.decode()


def test_runtime_page_can_be_read_but_not_saved(admin_client, runtime):
    url = reverse("admin:workflows_workflowruntime_change", args=[runtime.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    response = admin_client.post(url, {"state": "approved", "status": "completed"})
    assert response.status_code == 403
    runtime.refresh_from_db()
    assert (runtime.state, runtime.status) == ("review", "active")


def test_runtime_cannot_be_deleted_in_the_admin(admin_client, runtime):
    url = reverse("admin:workflows_workflowruntime_delete", args=[runtime.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert WorkflowRuntime.objects.filter(pk=runtime.pk).exists()


def test_history_event_cannot_be_changed_or_deleted_in_the_admin(admin_client, runtime):
    event = HistoryEvent.objects.filter(runtime=runtime).first()
    change = reverse("admin:workflows_historyevent_change", args=[event.pk])
    delete = reverse("admin:workflows_historyevent_delete", args=[event.pk])
    assert admin_client.post(change, {"event_name": "forged"}).status_code == 403
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert event.event_name != "forged"
    assert HistoryEvent.objects.filter(pk=event.pk).exists()
