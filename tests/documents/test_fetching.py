"""Pages given by an http(s) uri: fetched by the real worker from a real server on loopback,
after the run committed, stored with the upload's checks and put in the page's place."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from documents.models import FetchStatus, FileFetch, StoredFile
from projects.models import Role
from tests.api.conftest import _clear_throttle_cache, api  # noqa: F401 (the API tests' fixtures)
from tests.automation.conftest import vendor  # noqa: F401 (a real HTTP server on loopback)
from tests.cases.helpers import case_post
from tests.factories import MembershipFactory, UserFactory
from tests.webhooks.conftest import run_worker
from workflows.models import HistoryEvent, WorkflowRuntime
from workflows.definitions import definition_save

from .samples import png
from .test_decisions import TASKS_STATECHART

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def definition(demo_project):
    definition_save(project=demo_project, key="documents_review", statechart=TASKS_STATECHART)


def run_with_uri(api, uri):
    body = {
        "workflowId": "documents_review",
        "context": {
            "entity": {"type": "individual", "id": "p-1", "data": {"firstName": "Ann", "lastName": "Lee"}},
            "documents": [{"id": "passport-1", "category": "identification", "type": "passport", "pages": [{"uri": uri, "metadata": {"side": "front"}}]}],
        },
    }
    response = api.run(body)
    assert response.status_code == 201, response.content
    return WorkflowRuntime.objects.get(pk=response.json()["workflowRuntimeId"])


def let_the_retry_come_due():
    past = timezone.now() - timedelta(seconds=1)
    DBTaskResult.objects.filter(status="READY").update(run_after=past)
    FileFetch.objects.filter(status=FetchStatus.PENDING).update(next_attempt_at=past)


def test_a_remote_page_is_fetched_after_the_run_and_becomes_a_stored_file(api, vendor, definition):
    vendor.always("/scan.png", (200, png(), {"content_type": "image/png"}))
    runtime = run_with_uri(api, vendor.url("/scan.png"))
    assert vendor.requests == []  # nothing fetched during the request
    assert FileFetch.objects.get().status == FetchStatus.PENDING
    run_worker()
    runtime.refresh_from_db()
    [page] = runtime.context["documents"][0]["pages"]
    assert StoredFile.objects.get(pk=page["ballerineFileId"]).mime_type == "image/png"
    assert page["sourceUri"] == vendor.url("/scan.png") and "uri" not in page and page["metadata"] == {"side": "front"}
    assert HistoryEvent.objects.filter(runtime=runtime, actor_label="document fetch").count() == 1


def test_a_server_answering_503_then_200_is_tried_again(api, vendor, definition, settings):
    settings.DOCUMENT_FETCH_RETRY_BASE_SECONDS = 0.01
    vendor.answer("/scan.png", (503, {"busy": True}))
    vendor.always("/scan.png", (200, png(), {"content_type": "image/png"}))
    runtime = run_with_uri(api, vendor.url("/scan.png"))
    run_worker()
    let_the_retry_come_due()
    run_worker()
    fetch = FileFetch.objects.get()
    assert (fetch.status, fetch.attempt_count) == (FetchStatus.DONE, 2)
    runtime.refresh_from_db()
    assert "ballerineFileId" in runtime.context["documents"][0]["pages"][0]


def test_markup_served_as_an_image_is_refused_and_not_tried_again(api, vendor, definition):
    vendor.always("/scan.png", (200, b"<html><script>alert(1)</script></html>", {"content_type": "image/png"}))
    runtime = run_with_uri(api, vendor.url("/scan.png"))
    run_worker()
    fetch = FileFetch.objects.get()
    assert (fetch.status, fetch.attempt_count) == (FetchStatus.FAILED, 1)
    assert not StoredFile.objects.exists()
    runtime.refresh_from_db()
    assert runtime.context["documents"][0]["pages"][0]["uri"] == vendor.url("/scan.png")


def test_a_private_address_is_refused_unless_allowed(api, vendor, definition, settings):
    settings.OUTBOUND_ALLOW_PRIVATE_TARGETS = False
    run_with_uri(api, vendor.url("/scan.png"))
    run_worker()
    fetch = FileFetch.objects.get()
    assert fetch.status == FetchStatus.FAILED and "refused" in fetch.error.lower()
    assert vendor.requests == []


def test_a_failed_fetch_is_shown_and_an_operator_fetches_it_again(api, vendor, definition, demo_project):
    vendor.answer("/scan.png", (404, {"error": "gone"}))
    vendor.always("/scan.png", (200, png(), {"content_type": "image/png"}))
    runtime = run_with_uri(api, vendor.url("/scan.png"))
    run_worker()
    operator = Client()
    operator.force_login(MembershipFactory(project=demo_project, user=UserFactory(username="olga"), role=Role.OPERATOR).user)
    html = operator.get(f"/cases/{runtime.pk}/").content.decode()
    assert "Fetching this page failed: The server answered 404." in html and "Fetch again" in html
    fetch = FileFetch.objects.get()
    case_post(operator, runtime, "documents/fetch", {"fetch": str(fetch.pk)})
    run_worker()
    runtime.refresh_from_db()
    assert "ballerineFileId" in runtime.context["documents"][0]["pages"][0]
    assert "Fetch again" not in operator.get(f"/cases/{runtime.pk}/").content.decode()


def test_a_viewer_cannot_fetch_again(api, vendor, definition, demo_project):
    vendor.always("/scan.png", (404, {"error": "gone"}))
    runtime = run_with_uri(api, vendor.url("/scan.png"))
    run_worker()
    viewer = Client()
    viewer.force_login(MembershipFactory(project=demo_project, user=UserFactory(username="victor"), role=Role.VIEWER).user)
    assert case_post(viewer, runtime, "documents/fetch", {"fetch": str(FileFetch.objects.get().pk)}).status_code == 403
    assert FileFetch.objects.get().status == FetchStatus.FAILED
