"""Deliveries are written with the change they report, in its transaction."""

import copy

import pytest
from django_tasks_db.models import DBTaskResult

from tests.api.conftest import SEED_BODY
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEvent, WebhookSubscription

from .conftest import subscription

RUN_URL = "/api/v1/external/workflows/run"


def run_body(url, events=None, **context_changes):
    body = copy.deepcopy(SEED_BODY)
    body["context"]["entity"]["data"].update(context_changes)
    body["config"] = {"subscriptions": [subscription(url, events)]}
    return body


def test_run_with_a_subscription_queues_a_created_delivery(api, receiver):
    response = api.run(run_body(receiver.url()))
    assert response.status_code == 201
    [delivery] = WebhookDelivery.objects.all()
    assert (delivery.event, delivery.url, delivery.status) == (WebhookEvent.CREATED, receiver.url(), DeliveryStatus.PENDING)
    assert str(delivery.runtime_id) == response.json()["workflowRuntimeId"]
    assert DBTaskResult.objects.filter(args_kwargs__args=[str(delivery.pk)]).count() == 1


def test_refused_run_leaves_no_delivery_and_no_task(api, receiver):
    body = run_body(receiver.url())
    del body["context"]["entity"]["data"]["companyName"]
    assert api.run(body).status_code == 400
    assert not WebhookDelivery.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_run_without_subscriptions_queues_nothing(api):
    assert api.run().status_code == 201
    assert not WebhookDelivery.objects.exists() and not DBTaskResult.objects.exists()


def test_events_and_a_decision_queue_state_and_completion_deliveries(api, receiver):
    runtime_id = api.run(run_body(receiver.url())).json()["workflowRuntimeId"]
    assert api.post(f"/api/v1/external/workflows/{runtime_id}/event", {"name": "approve"}).status_code == 200
    events = list(WebhookDelivery.objects.order_by("created_at", "event").values_list("event", flat=True))
    assert sorted(events) == sorted([WebhookEvent.CREATED, WebhookEvent.STATE_CHANGED, WebhookEvent.COMPLETED])


def test_rerun_queues_a_context_changed_delivery(api, receiver):
    api.run(run_body(receiver.url()))
    response = api.run(run_body(receiver.url(), companyName="Renamed Ltd"))
    assert response.status_code == 200
    rerun = WebhookDelivery.objects.exclude(event=WebhookEvent.CREATED).get()
    assert rerun.event == WebhookEvent.CONTEXT_CHANGED
    assert '"companyName": "Renamed Ltd"' in rerun.body


def test_subscription_receives_only_the_events_it_names(api, receiver):
    runtime_id = api.run(run_body(receiver.url(), events=[WebhookEvent.COMPLETED])).json()["workflowRuntimeId"]
    assert not WebhookDelivery.objects.exists()
    api.post(f"/api/v1/external/workflows/{runtime_id}/event", {"name": "reject"})
    assert list(WebhookDelivery.objects.values_list("event", flat=True)) == [WebhookEvent.COMPLETED]


def test_project_subscription_and_run_subscription_to_one_url_deliver_once(api, receiver, demo_project):
    WebhookSubscription.objects.create(project=demo_project, url=receiver.url(), events=[])
    other = receiver.url("/other")
    body = run_body(receiver.url())
    body["config"]["subscriptions"].append(subscription(other))
    api.run(body)
    assert sorted(WebhookDelivery.objects.values_list("url", flat=True)) == sorted([receiver.url(), other])


def test_other_projects_subscriptions_are_not_used(api, receiver, other_project):
    WebhookSubscription.objects.create(project=other_project, url=receiver.url(), events=[])
    api.run()
    assert not WebhookDelivery.objects.exists()


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:9000/hooks", "http://localhost/hooks", "http://10.1.2.3/", "http://[::1]/", "http://169.254.169.254/latest"],
)
def test_private_and_loopback_targets_are_refused_at_run(api, url):
    response = api.run(run_body(url))
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "config.subscriptions[0].url"
    assert not WebhookDelivery.objects.exists()


def test_unknown_event_name_in_a_subscription_is_refused(api):
    response = api.run(run_body("https://hooks.example.com/x", events=["workflow.exploded"]))
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "config.subscriptions[0].events[0]"


def test_run_with_a_subscription_stays_within_the_query_budget(api, receiver, django_assert_max_num_queries):
    with django_assert_max_num_queries(14):
        assert api.run(run_body(receiver.url())).status_code == 201


def test_rerun_with_the_same_data_sends_no_context_changed(api, receiver):
    api.run(run_body(receiver.url()))
    assert api.run(run_body(receiver.url())).status_code == 200
    assert list(WebhookDelivery.objects.values_list("event", flat=True)) == [WebhookEvent.CREATED]


def test_project_flag_follows_its_active_subscriptions(demo_project):
    subscription_row = WebhookSubscription.objects.create(project=demo_project, url="https://hooks.example.com/a", events=[])
    demo_project.refresh_from_db()
    assert demo_project.has_webhook_subscriptions is True
    subscription_row.is_active = False
    subscription_row.save()
    demo_project.refresh_from_db()
    assert demo_project.has_webhook_subscriptions is False
    subscription_row.delete()
    demo_project.refresh_from_db()
    assert demo_project.has_webhook_subscriptions is False


def test_run_in_a_project_without_subscriptions_does_not_look_for_them(api):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert api.run().status_code == 201
    assert not any("webhooks_webhooksubscription" in q["sql"] for q in queries.captured_queries)


@pytest.mark.parametrize(
    "url",
    ["http://hooks.example.com/h\u00e9", "http://hooks.example.com/a b", "http://" + "a" * 64 + ".example.com/x", "http://2130706433/", "http://0x7f.1/", "http://[64:ff9b::7f00:1]/"],
)
def test_urls_that_cannot_be_sent_or_hide_a_private_address_are_refused_at_run(api, url):
    response = api.run(run_body(url))
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "config.subscriptions[0].url"


def test_at_most_ten_subscriptions_per_run(api):
    body = run_body("https://hooks.example.com/0")
    body["config"]["subscriptions"] = [subscription(f"https://hooks.example.com/{i}") for i in range(11)]
    response = api.run(body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "config.subscriptions"
    assert not WebhookDelivery.objects.exists()
