"""A receiver that lets an attempt run into the timeout is suspended: its deliveries wait
without holding a worker or using up attempts, one probe goes out when the suspension ends,
and an answer in time lifts it."""

import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.servers import HangingReceiver
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookTarget

from .conftest import run_worker
from .test_delivery import let_the_retry_come_due
from .test_ordering import case_body

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def hanging(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.3
    server = HangingReceiver()
    yield server
    server.close()


def start_cases(api, url, count):
    for number in range(count):
        assert api.run(case_body(url, f"case-{number}")).status_code == 201


def test_after_a_timeout_the_receivers_other_deliveries_wait_without_an_attempt(api, hanging):
    start_cases(api, hanging.url(), 5)
    started = time.monotonic()
    run_worker()
    assert time.monotonic() - started < 0.3 * 3  # one timeout, not five
    attempts = sorted(WebhookDelivery.objects.values_list("attempt_count", flat=True))
    assert attempts == [0, 0, 0, 0, 1]
    target = WebhookTarget.objects.get()
    assert target.origin == f"http://127.0.0.1:{hanging.port}"
    assert target.consecutive_timeouts == 1 and target.suspended_until > timezone.now()
    waiting = WebhookDelivery.objects.filter(attempt_count=0)
    assert all(d.next_attempt_at >= target.suspended_until for d in waiting)
    assert set(waiting.values_list("status", flat=True)) == {DeliveryStatus.PENDING}


def test_when_the_suspension_ends_one_probe_goes_out_and_another_timeout_doubles_it(api, hanging, settings):
    start_cases(api, hanging.url(), 3)
    run_worker()
    let_the_retry_come_due()
    WebhookTarget.objects.update(suspended_until=timezone.now() - timedelta(seconds=1))
    run_worker()
    assert sum(WebhookDelivery.objects.values_list("attempt_count", flat=True)) == 2  # a single probe
    target = WebhookTarget.objects.get()
    assert target.consecutive_timeouts == 2
    expected = timezone.now() + timedelta(seconds=settings.WEBHOOK_RETRY_BASE_SECONDS * 2)
    assert abs((target.suspended_until - expected).total_seconds()) < 5


def test_an_answer_in_time_lifts_the_suspension(api, receiver):
    WebhookTarget.objects.create(
        origin=f"http://127.0.0.1:{receiver.server.server_port}", consecutive_timeouts=3, suspended_until=timezone.now() - timedelta(seconds=1)
    )
    start_cases(api, receiver.url(), 2)
    run_worker()
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}
    assert WebhookTarget.objects.get().consecutive_timeouts == 0


def test_resume_now_in_the_admin_sends_the_waiting_deliveries(admin_client, api, receiver):
    origin = f"http://127.0.0.1:{receiver.server.server_port}"
    target = WebhookTarget.objects.create(origin=origin, consecutive_timeouts=1, suspended_until=timezone.now() + timedelta(hours=1))
    start_cases(api, receiver.url(), 2)
    run_worker()
    assert receiver.requests == []  # deferred to the end of the suspension
    response = admin_client.post(
        reverse("admin:webhooks_webhooktarget_changelist"),
        {"action": "resume_now", "_selected_action": [target.pk]},
        follow=True,
    )
    assert "2 waiting delivery(ies) queued now" in response.content.decode()
    run_worker()
    assert len(receiver.requests) == 2
    assert WebhookTarget.objects.get().suspended_until is None


def test_a_receiver_that_never_answered_gets_one_attempt_at_a_time(api, receiver):
    # Another worker's first attempt to this receiver is under way (its probe lease).
    origin = f"http://127.0.0.1:{receiver.server.server_port}"
    WebhookTarget.objects.create(origin=origin, suspended_until=timezone.now() + timedelta(seconds=30))
    start_cases(api, receiver.url(), 2)
    run_worker()
    assert receiver.requests == []
    soon = timezone.now() + timedelta(seconds=2)
    assert all(d.next_attempt_at <= soon and d.attempt_count == 0 for d in WebhookDelivery.objects.all())


def test_the_first_answer_of_a_new_receiver_opens_it_to_every_worker(api, receiver):
    start_cases(api, receiver.url(), 3)
    run_worker()
    assert len(receiver.requests) == 3
    target = WebhookTarget.objects.get()
    assert target.responsive_at is not None and target.suspended_until is None
