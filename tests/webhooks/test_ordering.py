"""Deliveries to one URL for one case arrive in the order of their events (SPEC section 7):
a delivery waits while an earlier one is pending or retrying, one given up on releases the
next, and every body carries the case's event `sequence`."""

import pytest

from tests.factories import DefinitionVersionFactory
from tests.workflows.test_workflow_send_event import THROWING_GUARD
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEvent
from webhooks.services import webhook_delivery_retry

from .conftest import run_worker, subscription
from .test_delivery import let_the_retry_come_due, start_case
from .test_outbox import run_body

pytestmark = pytest.mark.django_db(transaction=True)


def event(api, runtime_id, name, payload=None):
    response = api.post(f"/api/v1/external/workflows/{runtime_id}/event", {"name": name, "payload": payload or {}})
    assert response.status_code == 200, response.json()
    return response


def received(receiver):
    """(eventName, sequence) of what reached the receiver, in arrival order."""
    return [(body["eventName"], body["sequence"]) for body in receiver.bodies()]


def test_bodies_number_a_cases_events_in_order(api, receiver):
    runtime_id = start_case(api, receiver)
    event(api, runtime_id, "approve")
    run_worker()
    assert received(receiver) == [
        ("workflow.created", 1),
        ("workflow.state.changed", 2),
        ("workflow.completed", 3),
    ]
    assert [r["headers"]["X-Webhook-Sequence"] for r in receiver.requests] == ["1", "2", "3"]


def test_later_events_wait_while_the_first_delivery_is_retrying(api, receiver):
    receiver.statuses = [503]
    runtime_id = start_case(api, receiver)
    event(api, runtime_id, "approve")
    run_worker()
    # Only the first delivery was tried; the two after it did not overtake it.
    assert received(receiver) == [("workflow.created", 1)]
    waiting = WebhookDelivery.objects.filter(sequence__gt=1)
    assert [(d.status, d.attempt_count) for d in waiting] == [(DeliveryStatus.PENDING, 0)] * 2

    let_the_retry_come_due()
    run_worker()
    assert received(receiver) == [
        ("workflow.created", 1),
        ("workflow.created", 1),
        ("workflow.state.changed", 2),
        ("workflow.completed", 3),
    ]
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}


def test_a_delivery_given_up_on_releases_the_next_and_shows_as_failed(api, receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    receiver.statuses = [500]
    runtime_id = start_case(api, receiver)
    event(api, runtime_id, "approve")
    run_worker()
    assert received(receiver) == [("workflow.created", 1), ("workflow.state.changed", 2), ("workflow.completed", 3)]
    statuses = dict(WebhookDelivery.objects.values_list("sequence", "status"))
    assert statuses == {1: DeliveryStatus.FAILED, 2: DeliveryStatus.DELIVERED, 3: DeliveryStatus.DELIVERED}


def test_a_given_up_delivery_sent_again_by_hand_arrives_late_with_its_own_sequence(api, receiver, settings):
    """What the receiver sees: the old event, byte for byte as first sent (its id, timestamp
    and sequence 1), after events 2 and 3. A receiver that keeps the latest state compares
    `sequence` and ignores it; later deliveries are not sent again."""
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    receiver.statuses = [500]
    runtime_id = start_case(api, receiver)
    event(api, runtime_id, "approve")
    run_worker()
    first = WebhookDelivery.objects.get(sequence=1)
    assert webhook_delivery_retry(delivery=first) is True
    run_worker()
    assert received(receiver) == [
        ("workflow.created", 1),
        ("workflow.state.changed", 2),
        ("workflow.completed", 3),
        ("workflow.created", 1),
    ]
    assert receiver.requests[-1]["body"] == receiver.requests[0]["body"]
    assert WebhookDelivery.objects.get(sequence=1).status == DeliveryStatus.DELIVERED


def test_a_resent_delivery_holds_back_the_later_ones_still_waiting(api, receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    receiver.statuses = [500, 500]
    runtime_id = start_case(api, receiver)
    event(api, runtime_id, "approve")
    run_worker()  # 1 fails, 2 fails, 3 is delivered
    assert dict(WebhookDelivery.objects.values_list("sequence", "status")) == {
        1: DeliveryStatus.FAILED,
        2: DeliveryStatus.FAILED,
        3: DeliveryStatus.DELIVERED,
    }
    receiver.statuses = [503]
    settings.WEBHOOK_MAX_ATTEMPTS = 5
    for delivery in WebhookDelivery.objects.filter(sequence__lt=3).order_by("sequence"):
        webhook_delivery_retry(delivery=delivery)
    run_worker()  # 1 is refused again: 2 waits for it
    assert received(receiver)[3:] == [("workflow.created", 1)]
    let_the_retry_come_due()
    run_worker()
    assert received(receiver)[4:] == [("workflow.created", 1), ("workflow.state.changed", 2)]


def test_a_receiver_that_is_down_does_not_hold_up_another_url(api, receiver):
    from .conftest import Receiver

    other = Receiver()
    try:
        receiver.statuses = [503, 503, 503]
        body = run_body(receiver.url())
        body["config"]["subscriptions"].append(subscription(other.url("/other")))
        runtime_id = api.run(body).json()["workflowRuntimeId"]
        event(api, runtime_id, "approve")
        run_worker()
        assert received(other) == [("workflow.created", 1), ("workflow.state.changed", 2), ("workflow.completed", 3)]
        assert received(receiver) == [("workflow.created", 1)]
    finally:
        other.close()


def case_body(url, entity_id):
    body = run_body(url)
    body["context"]["entity"]["id"] = entity_id
    return body


def test_one_case_waiting_does_not_hold_up_another_case(api, receiver):
    receiver.statuses = [503]
    first = api.run(case_body(receiver.url(), "first")).json()["workflowRuntimeId"]
    event(api, first, "approve")
    second = api.run(case_body(receiver.url(), "second")).json()["workflowRuntimeId"]
    run_worker()
    by_case = [(body["workflowRuntimeId"], body["sequence"]) for body in receiver.bodies()]
    assert by_case == [(first, 1), (second, 1)]  # the first case's 2 and 3 wait; the second's 1 does not


def test_bodies_carry_ballerines_webhook_fields(api, receiver):
    runtime_id = start_case(api, receiver)
    event(api, runtime_id, "approve")
    run_worker()
    completed = receiver.bodies()[-1]
    assert completed["eventName"] == "workflow.completed"
    assert (completed["workflowStatus"], completed["workflowFinalState"]) == ("completed", "approved")
    assert completed["workflowRuntimeId"] == runtime_id
    assert completed["workflowDefinitionId"] == "till_basic_kyb_demo"
    assert completed["workflowCreatedAt"] < completed["workflowResolvedAt"]
    assert completed["data"] == completed["context"]
    assert completed["data"]["entity"]["id"] == "my-enduser-id111"
    assert completed["environment"] == "production"
    assert receiver.bodies()[0]["workflowResolvedAt"] is None


def test_a_case_the_definition_cannot_process_sends_workflow_failed(api, receiver, demo_project):
    DefinitionVersionFactory(definition__project=demo_project, definition__key="fragile", statechart=THROWING_GUARD)
    body = {
        "workflowId": "fragile",
        "context": {"entity": {"type": "business", "id": "f-1", "data": {"companyName": "F", "score": 5}}},
        "config": {"subscriptions": [subscription(receiver.url())]},
    }
    runtime_id = api.run(body).json()["workflowRuntimeId"]
    assert api.post(f"/api/v1/external/workflows/{runtime_id}/event", {"name": "check"}).status_code == 422
    run_worker()
    failed = receiver.bodies()[-1]
    assert (failed["eventName"], failed["sequence"], failed["workflowStatus"]) == ("workflow.failed", 2, "failed")
    assert failed["workflowResolvedAt"] is not None


def test_a_subscription_to_workflow_failed_only_gets_that_event(api, receiver, demo_project):
    DefinitionVersionFactory(definition__project=demo_project, definition__key="fragile", statechart=THROWING_GUARD)
    body = {
        "workflowId": "fragile",
        "context": {"entity": {"type": "business", "id": "f-1", "data": {"companyName": "F", "score": 5}}},
        "config": {"subscriptions": [subscription(receiver.url(), [WebhookEvent.FAILED])]},
    }
    runtime_id = api.run(body).json()["workflowRuntimeId"]
    api.post(f"/api/v1/external/workflows/{runtime_id}/event", {"name": "check"})
    run_worker()
    assert received(receiver) == [("workflow.failed", 2)]
