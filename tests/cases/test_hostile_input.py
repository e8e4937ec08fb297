"""Page input that PostgreSQL cannot store or that would nest without bound: refused with a
message or a 400, and nothing changes (never a 500)."""

import pytest

from workflows.actors import Actor
from workflows.models import Entity, HistoryEvent, WorkflowRuntime
from workflows.services import workflow_start

from .helpers import case_post
from ..factories import business_context

QUEUE_URL = "/queues/businesses-onboarding/"


@pytest.fixture
def runtime(demo_project):
    return workflow_start(
        project=demo_project, workflow_id="till_basic_kyb_demo", context=business_context(), actor=Actor()
    ).runtime


def row_counts():
    return tuple(m.objects.count() for m in (Entity, WorkflowRuntime, HistoryEvent))


@pytest.mark.parametrize("param", ["q", "state", "assignee", "sort"])
def test_queue_filter_with_a_nul_is_a_bad_request(operator_client, demo_project, param):
    response = operator_client.get(QUEUE_URL, {param: "x\x00"})
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_note_with_a_nul_is_refused_and_not_written(operator_client, runtime):
    before = row_counts()
    response = case_post(operator_client, runtime, "note", {"text": "hello\x00world"})
    assert response.status_code == 400
    assert row_counts() == before


@pytest.mark.parametrize(
    "payload, message",
    [
        ('{"note": "a\\u0000b"}', "payload.note: Contains a NUL character"),
        ('{"note": "\\ud800"}', "payload.note: Contains an unpaired surrogate"),
        ('{"score": NaN}', "NaN is not valid JSON"),
        ('{"score": 1e999}', "payload.score: Numbers must be finite"),
        ("[" * 50_000 + "]" * 50_000, "nested more than 64 levels deep"),
        ('{"a": ' * 100 + "1" + "}" * 100, "Nested more than 64 levels deep"),
    ],
)
def test_event_payload_that_cannot_be_stored_is_refused_with_a_message(operator_client, runtime, payload, message):
    before = row_counts()
    response = case_post(operator_client, runtime, "event", {"name": "revision", "payload": payload, "reason": "Blurry passport"}, follow=True)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert row_counts() == before
    runtime.refresh_from_db()
    assert runtime.state == "manual_review"


def test_add_case_form_with_a_nul_creates_nothing(operator_client, demo_project):
    before = row_counts()
    response = operator_client.post(
        "/queues/businesses-onboarding/new/?definition=till_basic_kyb_demo",
        {"definition": "till_basic_kyb_demo", "id": "nul-1", "data.companyName": "Nul\x00Co"},
    )
    assert response.status_code == 400
    assert row_counts() == before
