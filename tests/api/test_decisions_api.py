"""The console rules as the API sees them: Ballerine clients keep working, definition keys
stay out of runs, and an API key cannot give a second approval."""

from projects.models import Role
from workflows.actors import Actor
from workflows.models import WorkflowRuntime
from workflows.services import workflow_send_event

from ..factories import MembershipFactory, UserFactory
from .conftest import SEED_BODY

EVENT_URL = "/api/v1/external/workflows/{}/event"


def test_an_api_key_rejects_without_a_reason_as_ballerine_clients_do(api):
    runtime_id = api.run().json()["workflowRuntimeId"]
    response = api.post(EVENT_URL.format(runtime_id), {"name": "reject"})
    assert (response.status_code, response.json()["state"]) == (200, "rejected")


def test_a_run_config_carrying_a_definition_key_is_refused_with_the_error_shape(api):
    response = api.run({**SEED_BODY, "config": {"fourEyes": {"events": ["approve"]}}})
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["path"] == "config.fourEyes"
    assert WorkflowRuntime.objects.count() == 0


def test_an_api_key_cannot_confirm_a_pending_four_eyes_decision(api, demo_project):
    runtime_id = api.run().json()["workflowRuntimeId"]
    maker = MembershipFactory(project=demo_project, user=UserFactory(username="maker"), role=Role.OPERATOR).user
    workflow_send_event(project=demo_project, runtime_id=runtime_id, name="approve", actor=Actor(user=maker))
    response = api.post(EVENT_URL.format(runtime_id), {"name": "approve"})
    body = response.json()
    assert (response.status_code, body["statusCode"]) == (409, 409)
    assert "awaits a second approval" in body["message"]
    assert WorkflowRuntime.objects.get(pk=runtime_id).state == "manual_review"
