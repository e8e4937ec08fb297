"""`PATCH /workflows/{id}/documents/{documentId}/decision` through the whole API stack."""

import pytest

from tests.api.conftest import _clear_throttle_cache, api, other_api  # noqa: F401 (the API tests' fixtures)
from workflows.models import WorkflowRuntime

from .test_decisions import TASKS_STATECHART, documents

pytestmark = pytest.mark.django_db


@pytest.fixture
def case_id(api, demo_project):
    from workflows.definitions import definition_save

    definition_save(project=demo_project, key="documents_review", statechart=TASKS_STATECHART)
    body = {
        "workflowId": "documents_review",
        "context": {"entity": {"type": "individual", "id": "p-1", "data": {"firstName": "Ann", "lastName": "Lee"}}, "documents": documents()},
    }
    response = api.run(body)
    assert response.status_code == 201, response.content
    return response.json()["workflowRuntimeId"]


def decision_url(case_id, document_id="passport-1"):
    return f"/api/v1/external/workflows/{case_id}/documents/{document_id}/decision"


def patch(api, url, body):
    import json

    return api.client.patch(url, data=json.dumps(body), content_type="application/json", headers=api.headers())


def test_an_integration_rejects_a_document_and_gets_the_case_back(api, case_id):
    response = patch(api, decision_url(case_id), {"decision": "reject", "reason": "Expired document"})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "rejected"
    document = WorkflowRuntime.objects.get(pk=case_id).context["documents"][0]
    assert document["decision"]["status"] == "rejected" and document["decision"]["decidedBy"] == "API key tests"


def test_a_rejection_without_a_reason_is_a_400_naming_the_field(api, case_id):
    response = patch(api, decision_url(case_id), {"decision": "reject"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "reason"


def test_an_unknown_document_is_404(api, case_id):
    assert patch(api, decision_url(case_id, "nope"), {"decision": "approve"}).status_code == 404


def test_another_projects_case_is_404(other_api, case_id):
    assert patch(other_api, decision_url(case_id), {"decision": "approve"}).status_code == 404


def test_a_closed_case_is_409(api, case_id):
    patch(api, decision_url(case_id), {"decision": "reject", "reason": "Expired document"})
    assert patch(api, decision_url(case_id), {"decision": None}).status_code == 409
