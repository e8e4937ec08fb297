"""`POST /workflows/{id}/hook/{event}`: a vendor's callback, by API key or signed with the
project's hook secret, merged and sent in one transaction."""

import hashlib
import hmac
import json

import pytest

from automation.models import PluginRun, PluginRunStatus
from projects.services import project_hook_secret_rotate
from workflows.models import HistoryEvent, HistoryKind, WorkflowRuntime

from .definitions import business_run, save_check_definition

pytestmark = pytest.mark.django_db(transaction=True)


def hook_url(runtime_id, event, query=""):
    return f"/api/v1/external/workflows/{runtime_id}/hook/{event}{query}"


def sign(secret: str, raw: bytes) -> str:
    return hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


@pytest.fixture
def case(api, demo_project):
    """A case resting in `review`, where SANCTIONS_RESULT is a system event and approve/reject
    are the operator's decisions."""
    save_check_definition(demo_project, [], config={"systemEvents": ["SANCTIONS_RESULT", "RECHECK"]})
    response = api.run(business_run())
    runtime = WorkflowRuntime.objects.get(pk=response.json()["workflowRuntimeId"])
    assert api.post(f"/api/v1/external/workflows/{runtime.pk}/event", {"name": "SKIP"}).status_code == 200
    runtime.refresh_from_db()
    assert runtime.state == "review"
    return runtime


def signed_post(client, url, body: dict, secret: str, signature=None):
    raw = json.dumps(body).encode()
    return client.post(url, data=raw, content_type="application/json", headers={"X-HMAC-Signature": signature or sign(secret, raw)})


def test_an_api_key_callback_merges_the_body_and_sends_the_event(api, case):
    response = api.post(hook_url(case.pk, "SANCTIONS_RESULT", "?resultDestination=pluginsOutput.sanctions"), {"hits": 0, "status": "CLEAR"})
    assert response.status_code == 200, response.content
    assert response.json()["alreadyApplied"] is False and response.json()["state"] == "screened"
    case.refresh_from_db()
    assert case.context["pluginsOutput"]["sanctions"] == {"hits": 0, "status": "CLEAR"}
    assert HistoryEvent.objects.filter(runtime=case, kind=HistoryKind.HOOK).count() == 1


def test_without_a_destination_the_body_lands_in_hook_response(api, case):
    api.post(hook_url(case.pk, "SANCTIONS_RESULT"), {"hits": 2})
    case.refresh_from_db()
    assert case.context["hookResponse"] == {"hits": 2}


def test_a_status_beside_the_destination_becomes_success(api, case):
    runtime = WorkflowRuntime.objects.get(pk=case.pk)
    context = {**runtime.context, "pluginsOutput": {"sanctions": {"status": "IN_PROGRESS"}}}
    WorkflowRuntime.objects.filter(pk=case.pk).update(context=context)  # what a vendor's first answer left
    response = api.post(hook_url(case.pk, "SANCTIONS_RESULT", "?resultDestination=pluginsOutput.sanctions.result"), {"hits": 0})
    assert response.status_code == 200
    runtime.refresh_from_db()
    assert runtime.context["pluginsOutput"]["sanctions"] == {"status": "SUCCESS", "result": {"hits": 0}}


def test_a_callback_signed_with_the_hook_secret_is_accepted(client, case, demo_project):
    secret = project_hook_secret_rotate(project=demo_project)
    response = signed_post(client, hook_url(case.pk, "SANCTIONS_RESULT"), {"hits": 0}, secret)
    assert response.status_code == 200, response.content
    case.refresh_from_db()
    assert case.state == "screened"
    assert HistoryEvent.objects.filter(runtime=case, kind=HistoryKind.HOOK).get().actor_label == "vendor callback (signed)"


def test_a_callback_signed_with_the_webhook_secret_is_refused(client, case, demo_project):
    project_hook_secret_rotate(project=demo_project)
    response = signed_post(client, hook_url(case.pk, "SANCTIONS_RESULT"), {"hits": 0}, demo_project.webhook_secret)
    assert response.status_code == 401
    case.refresh_from_db()
    assert case.state == "review" and "hookResponse" not in case.context


def test_a_bad_signature_is_refused_and_changes_nothing(client, case, demo_project):
    project_hook_secret_rotate(project=demo_project)
    response = signed_post(client, hook_url(case.pk, "SANCTIONS_RESULT"), {"hits": 0}, "x", signature="00" * 32)
    assert response.status_code == 401
    assert not HistoryEvent.objects.filter(runtime=case, kind=HistoryKind.HOOK).exists()


def test_a_signed_callback_may_not_send_an_operators_decision(client, case, demo_project):
    secret = project_hook_secret_rotate(project=demo_project)
    response = signed_post(client, hook_url(case.pk, "approve"), {"hits": 0}, secret)
    assert response.status_code == 400
    assert "approve" not in response.json()["allowedEvents"]
    assert "SANCTIONS_RESULT" in response.json()["allowedEvents"]
    case.refresh_from_db()
    assert case.state == "review" and "hookResponse" not in case.context


def test_an_event_the_state_does_not_handle_is_refused_with_the_allowed_events(api, case):
    version_before = WorkflowRuntime.objects.get(pk=case.pk).version
    response = api.post(hook_url(case.pk, "REGISTRY_DONE"), {"x": 1})
    assert response.status_code == 400
    assert set(response.json()["allowedEvents"]) >= {"approve", "reject", "SANCTIONS_RESULT"}
    runtime = WorkflowRuntime.objects.get(pk=case.pk)
    assert runtime.version == version_before and "hookResponse" not in runtime.context


@pytest.mark.parametrize("destination", ["entity.data", "documents", "childWorkflows.kyc", "a..b", "__proto__.x"])
def test_a_destination_into_protected_or_malformed_paths_is_refused(api, case, destination):
    response = api.post(hook_url(case.pk, "SANCTIONS_RESULT", f"?resultDestination={destination}"), {"x": 1})
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "resultDestination"
    case.refresh_from_db()
    assert case.state == "review"


def test_a_callback_that_breaks_the_context_schema_is_refused(api, demo_project):
    schema = {"type": "object", "properties": {"hookResponse": {"type": "object", "properties": {"hits": {"type": "integer"}}}}}
    save_check_definition(demo_project, [], key="strict_check", context_schema=schema)
    runtime_id = api.run(business_run(key="strict_check")).json()["workflowRuntimeId"]
    response = api.post(hook_url(runtime_id, "SKIP"), {"hits": "many"})
    assert response.status_code == 400
    assert "hookResponse.hits" in json.dumps(response.json()["errors"])
    assert WorkflowRuntime.objects.get(pk=runtime_id).state == "checking"


def test_an_unknown_case_is_404(api, case):
    response = api.post(hook_url("00000000-0000-0000-0000-000000000000", "SANCTIONS_RESULT"), {})
    assert response.status_code == 404


def test_another_projects_case_is_404_for_an_api_key(case, other_api):
    response = other_api.post(hook_url(case.pk, "SANCTIONS_RESULT"), {})
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.state == "review"


def test_a_closed_case_is_409(api, case):
    assert api.post(f"/api/v1/external/workflows/{case.pk}/event", {"name": "approve", "payload": {}}).status_code == 200
    response = api.post(hook_url(case.pk, "SANCTIONS_RESULT"), {})
    assert response.status_code == 409


def test_the_callback_answering_a_waiting_run_marks_it_done_and_a_repeat_is_already_applied(api, case):
    run = PluginRun.objects.create(
        project_id=case.project_id, runtime=case, plugin_name="sanctions", plugin_list="apiPlugins", plugin_kind="api",
        state="review", entry=case.state_entry, status=PluginRunStatus.WAITING,
    )
    url = hook_url(case.pk, "SANCTIONS_RESULT", "?processName=sanctions&resultDestination=pluginsOutput.sanctions")
    first = api.post(url, {"hits": 0})
    assert first.status_code == 200 and first.json()["alreadyApplied"] is False
    run.refresh_from_db()
    assert run.status == PluginRunStatus.SUCCEEDED and run.callback_received_at is not None
    rows = HistoryEvent.objects.filter(runtime=case).count()
    again = api.post(url, {"hits": 5})
    assert again.status_code == 200 and again.json()["alreadyApplied"] is True
    runtime = WorkflowRuntime.objects.get(pk=case.pk)
    assert runtime.context["pluginsOutput"]["sanctions"] == {"hits": 0}
    assert HistoryEvent.objects.filter(runtime=case).count() == rows


def test_an_idempotency_key_replays_the_first_answer(api, case):
    headers = {"Idempotency-Key": "vendor-call-1"}
    first = api.post(hook_url(case.pk, "SANCTIONS_RESULT"), {"hits": 0}, headers=headers)
    again = api.post(hook_url(case.pk, "SANCTIONS_RESULT"), {"hits": 0}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert HistoryEvent.objects.filter(runtime=case, kind=HistoryKind.HOOK).count() == 1


def test_the_case_page_shows_when_the_callback_of_a_waiting_run_came(api, case):
    from projects.models import Role
    from tests.automation.test_panel import client_of

    PluginRun.objects.create(
        project_id=case.project_id, runtime=case, plugin_name="sanctions", plugin_list="apiPlugins", plugin_kind="api",
        state="review", entry=case.state_entry, status=PluginRunStatus.WAITING,
    )
    operator = client_of(case.project, "olga", Role.OPERATOR)
    assert "Waiting for callback" in operator.get(f"/cases/{case.pk}/").content.decode()
    api.post(hook_url(case.pk, "SANCTIONS_RESULT", "?processName=sanctions"), {"hits": 0})
    html = operator.get(f"/cases/{case.pk}/").content.decode()
    assert "callback received" in html and "Waiting for callback" not in html
