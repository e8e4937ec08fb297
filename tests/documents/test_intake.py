"""Documents arriving with a run: base64 pages stored as files before anything is written,
ids given, and a re-upload in revision made the document's next version."""

import base64
import json

import pytest

from documents.decisions import document_decide
from documents.models import StoredFile
from tests.api.conftest import _clear_throttle_cache, api  # noqa: F401 (the API tests' fixtures)
from webhooks.models import WebhookDelivery
from workflows.actors import Actor
from workflows.models import HistoryEvent, WorkflowRuntime
from workflows.definitions import definition_save

from .samples import png
from .test_decisions import TASKS_STATECHART

pytestmark = pytest.mark.django_db


@pytest.fixture
def definition(demo_project):
    definition_save(
        project=demo_project, key="documents_review", statechart=TASKS_STATECHART,
        config={"subscriptions": [{"type": "webhook", "url": "https://hooks.example.com/cases", "events": []}]},
    )


def run_body(pages, document_id="passport-1", **document):
    return {
        "workflowId": "documents_review",
        "context": {
            "entity": {"type": "individual", "id": "p-1", "data": {"firstName": "Ann", "lastName": "Lee"}},
            "documents": [{"id": document_id, "category": "identification", "type": "passport", "pages": pages, **document}],
        },
    }


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


def test_a_base64_page_is_stored_and_only_its_file_id_is_kept(api, definition):
    encoded = b64(png())
    response = api.run(run_body([{"data": encoded, "type": "png", "fileName": "front.png", "metadata": {"side": "front"}}]))
    assert response.status_code == 201, response.content
    runtime = WorkflowRuntime.objects.get(pk=response.json()["workflowRuntimeId"])
    [page] = runtime.context["documents"][0]["pages"]
    stored = StoredFile.objects.get(pk=page["ballerineFileId"])
    assert stored.mime_type == "image/png" and stored.file_name == "front.png"
    assert page["metadata"] == {"side": "front"} and "data" not in page
    written = json.dumps(list(HistoryEvent.objects.values_list("payload", flat=True))) + "".join(WebhookDelivery.objects.values_list("body", flat=True))
    assert encoded[:40] not in written and encoded[:40] not in json.dumps(runtime.context)


def test_a_broken_base64_page_is_refused_with_its_path_and_nothing_is_written(api, definition):
    response = api.run(run_body([{"data": "not base64 at all!!"}]))
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "context.documents[0].pages[0].data"
    assert not WorkflowRuntime.objects.exists() and not StoredFile.objects.exists()


def test_a_page_that_claims_png_but_is_html_is_refused(api, definition):
    response = api.run(run_body([{"data": b64(b"<html><script>alert(1)</script></html>"), "type": "png"}]))
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "context.documents[0].pages[0].data"
    assert not WorkflowRuntime.objects.exists() and not StoredFile.objects.exists()


def test_a_document_without_an_id_gets_one(api, definition):
    response = api.run(run_body([], document_id=""))
    runtime = WorkflowRuntime.objects.get(pk=response.json()["workflowRuntimeId"])
    assert len(runtime.context["documents"][0]["id"]) == 36


def test_a_re_upload_of_a_document_in_revision_is_its_next_version_and_the_old_pages_stay(api, definition, demo_project):
    first = api.run(run_body([{"data": b64(png()), "type": "png"}])).json()
    runtime = WorkflowRuntime.objects.get(pk=first["workflowRuntimeId"])
    old_page = runtime.context["documents"][0]["pages"][0]
    # The case moves to revision; a definition that goes back to review on RESUBMITTED.
    document_decide(project=demo_project, runtime_id=runtime.pk, document_id="passport-1", decision="revision", reason="Blurred", actor=Actor())
    api.post(f"/api/v1/external/workflows/{runtime.pk}/event", {"name": "RESUBMITTED"})
    second = api.run(run_body([{"data": b64(png((60, 40))), "type": "png"}]))
    assert second.status_code == 200, second.content
    document = WorkflowRuntime.objects.get(pk=runtime.pk).context["documents"][0]
    assert document["version"] == 2 and document["decision"] is None
    assert document["pages"][0]["ballerineFileId"] != old_page["ballerineFileId"]
    [earlier] = document["previousVersions"]
    assert earlier["version"] == 1 and earlier["pages"] == [old_page] and earlier["decision"]["status"] == "revision"


def test_a_page_naming_a_file_of_another_project_is_refused(api, definition, other_project):
    from documents.services import file_store

    foreign = file_store(project=other_project, content=png(), file_name="x.png")
    response = api.run(run_body([{"ballerineFileId": str(foreign.pk)}]))
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "context.documents[0].pages[0].ballerineFileId"
    assert not WorkflowRuntime.objects.exists()


def test_a_page_with_a_uri_that_is_not_http_is_refused(api, definition):
    response = api.run(run_body([{"uri": "ftp://127.0.0.1/x.png"}]))
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "context.documents[0].pages[0].uri"


def test_a_document_review_case_can_start_without_documents(api, demo_project):
    body = {"workflowId": "kyc_document_review_demo", "context": {"entity": {"type": "individual", "id": "nd-1", "data": {"firstName": "No", "lastName": "Docs", "email": "nd@example.com"}}}}
    response = api.run(body)
    assert response.status_code == 201, response.content
    assert response.json()["state"] == "document_review"
