import pytest
from django.urls import reverse

from projects.models import Project
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription

from .test_outbox import run_body


def test_admin_refuses_a_loopback_subscription_with_the_reason_on_the_field(admin_client, demo_project):
    response = admin_client.post(
        reverse("admin:webhooks_webhooksubscription_add"),
        {"project": demo_project.pk, "url": "http://127.0.0.1:8000/hook", "is_active": "on"},
    )
    assert response.status_code == 200
    assert "Private, loopback and link-local addresses" in response.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_admin_adds_a_project_subscription_for_chosen_events(admin_client, demo_project):
    response = admin_client.post(
        reverse("admin:webhooks_webhooksubscription_add"),
        {"project": demo_project.pk, "url": "https://hooks.example.com/cases", "events": ["workflow.completed"], "is_active": "on"},
    )
    assert response.status_code == 302
    assert WebhookSubscription.objects.get().events == ["workflow.completed"]


def test_delivery_page_shows_the_body_and_retry_queues_it_again(admin_client, api, receiver):
    api.run(run_body(receiver.url()))
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.update(status=DeliveryStatus.FAILED)
    page = admin_client.get(reverse("admin:webhooks_webhookdelivery_change", args=[delivery.pk]))
    assert page.status_code == 200 and "TILL COMPANY LIMITED" in page.content.decode()
    response = admin_client.post(
        reverse("admin:webhooks_webhookdelivery_changelist"),
        {"action": "retry_now", "_selected_action": [delivery.pk]},
        follow=True,
    )
    assert "1 delivery(ies) queued to be sent again." in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING


def test_rotating_the_webhook_secret_replaces_it(admin_client, demo_project):
    old = demo_project.webhook_secret
    admin_client.post(
        reverse("admin:projects_project_changelist"),
        {"action": "rotate_webhook_secret", "_selected_action": [demo_project.pk]},
    )
    new = Project.objects.get(pk=demo_project.pk).webhook_secret
    assert new != old and len(new) == 64


def test_each_project_has_its_own_webhook_secret(demo_project, other_project):
    assert demo_project.webhook_secret != other_project.webhook_secret


def test_staff_who_may_only_view_deliveries_cannot_send_them_again(client, api, receiver):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    api.run(run_body(receiver.url()))
    WebhookDelivery.objects.update(status=DeliveryStatus.FAILED)
    viewer = UserFactory(username="auditor", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_webhookdelivery"))
    client.force_login(viewer)
    response = client.post(
        reverse("admin:webhooks_webhookdelivery_changelist"),
        {"action": "retry_now", "_selected_action": [WebhookDelivery.objects.get().pk]},
        follow=True,
    )
    assert "You may not send deliveries again." in response.content.decode()
    assert WebhookDelivery.objects.get().status == DeliveryStatus.FAILED


@pytest.mark.django_db(transaction=True)  # the worker sends what was queued after commit
def test_a_delivery_held_back_by_an_earlier_one_says_so_on_its_page(admin_client, api, receiver):
    receiver.statuses = [503]
    runtime_id = api.run(run_body(receiver.url())).json()["workflowRuntimeId"]
    api.post(f"/api/v1/external/workflows/{runtime_id}/event", {"name": "DEEP_MERGE_CONTEXT", "payload": {"newContext": {"x": 1}}})
    from .conftest import run_worker

    run_worker()
    held = WebhookDelivery.objects.get(sequence=2)
    page = admin_client.get(reverse("admin:webhooks_webhookdelivery_change", args=[held.pk])).content.decode()
    assert "event 1 (workflow.created) of this case to this URL, still pending" in page
