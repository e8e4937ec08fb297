"""The task worker sends deliveries after commit, signed, retried with backoff, every attempt
recorded; a receiver that is down loses nothing."""

import hashlib
import hmac
import json
import socket
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from projects.models import Project
from tests.servers import TricklingServer
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEvent
from webhooks.services import retry_delay, webhook_delivery_retry
from webhooks.tasks import deliver_webhook

from .conftest import run_worker
from .test_outbox import run_body

pytestmark = pytest.mark.django_db(transaction=True)


def start_case(api, receiver, **kwargs):
    response = api.run(run_body(receiver.url(), **kwargs))
    assert response.status_code == 201
    return response.json()["workflowRuntimeId"]


def let_the_retry_come_due():
    """What waiting for the backoff would do: the queued retry becomes due now."""
    past = timezone.now() - timedelta(seconds=1)
    DBTaskResult.objects.filter(status="READY").update(run_after=past)
    WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).update(next_attempt_at=past)


def test_worker_delivers_the_signed_body_after_commit(api, receiver):
    runtime_id = start_case(api, receiver)
    run_worker()
    [request] = receiver.requests
    secret = Project.objects.get(slug="default").webhook_secret
    expected = hmac.new(secret.encode(), request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-HMAC-Signature"] == expected
    body = json.loads(request["body"])
    assert body["eventName"] == "workflow.created"
    assert body["workflowRuntimeId"] == runtime_id
    assert (body["workflowDefinitionId"], body["workflowDefinitionVersion"]) == ("till_basic_kyb_demo", 1)
    assert (body["state"], body["status"]) == ("manual_review", "active")
    assert body["entity"]["correlationId"] == "my-enduser-id111"
    assert body["context"]["entity"]["data"]["companyName"] == "TILL COMPANY LIMITED"
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert list(delivery.attempts.values_list("number", "status_code", "error")) == [(1, 200, "")]


def test_a_receiver_that_is_down_gets_the_delivery_when_it_is_back(api, receiver):
    receiver.statuses = [503]
    start_case(api, receiver)
    before = timezone.now()
    run_worker()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempt_count) == (DeliveryStatus.PENDING, 1)
    assert delivery.next_attempt_at >= before + timedelta(seconds=retry_delay(1) - 1)
    assert delivery.attempts.get().error == "The receiver answered 503."

    run_worker()  # the retry is not due yet: nothing is sent early
    assert len(receiver.requests) == 1

    let_the_retry_come_due()
    run_worker()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == (DeliveryStatus.DELIVERED, 2)
    assert receiver.requests[0]["body"] == receiver.requests[1]["body"]


def test_a_receiver_that_refuses_connections_is_retried(api, receiver, settings):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead_url = f"http://127.0.0.1:{closed.getsockname()[1]}/hooks"
    response = api.run(run_body(dead_url))
    assert response.status_code == 201
    run_worker()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert "ConnectionRefusedError" in delivery.attempts.get().error


def test_delivery_gives_up_after_the_last_attempt(api, receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    receiver.statuses = [500, 500, 500]
    start_case(api, receiver)
    run_worker()
    let_the_retry_come_due()
    run_worker()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempt_count) == (DeliveryStatus.FAILED, 2)
    assert not DBTaskResult.objects.filter(status="READY").exists()


def test_retry_now_sends_a_failed_delivery_again(api, receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    receiver.statuses = [500]
    start_case(api, receiver)
    run_worker()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert webhook_delivery_retry(delivery=delivery) is True
    run_worker()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == (DeliveryStatus.DELIVERED, 2)


def test_a_delivered_delivery_is_not_sent_twice(api, receiver):
    start_case(api, receiver)
    run_worker()
    delivery = WebhookDelivery.objects.get()
    assert webhook_delivery_retry(delivery=delivery) is False
    run_worker()
    assert len(receiver.requests) == 1


def test_a_name_that_resolves_to_a_private_address_is_refused_when_sent(api, receiver, settings, monkeypatch):
    start_case(api, receiver)
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    WebhookDelivery.objects.update(url="http://hooks.internal.example/x")
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", 80))])
    run_worker()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED  # not retried: it would be refused every time
    assert "non-public address" in delivery.attempts.get().error
    assert receiver.requests == []


def test_a_decision_reaches_the_receiver_as_state_change_then_completion(api, receiver):
    runtime_id = start_case(api, receiver, events=[WebhookEvent.STATE_CHANGED, WebhookEvent.COMPLETED])
    api.post(f"/api/v1/external/workflows/{runtime_id}/event", {"name": "approve"})
    run_worker()
    bodies = receiver.bodies()
    assert [b["eventName"] for b in bodies] == ["workflow.state.changed", "workflow.completed"]
    assert {(b["state"], b["status"]) for b in bodies} == {("approved", "completed")}


def test_a_delivery_whose_task_was_lost_is_queued_again_and_sent(api, receiver):
    start_case(api, receiver)
    DBTaskResult.objects.all().delete()  # the worker died holding it
    WebhookDelivery.objects.update(next_attempt_at=timezone.now() - timedelta(hours=1))
    out = StringIO()
    call_command("requeue_stalled_webhooks", "--minutes", "15", stdout=out)
    assert out.getvalue().strip() == "1 stalled webhook delivery(ies) queued again."
    run_worker()
    assert WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED
    assert len(receiver.requests) == 1


def test_deliveries_waiting_for_their_backoff_are_not_requeued(api, receiver):
    receiver.statuses = [503]
    start_case(api, receiver)
    run_worker()
    out = StringIO()
    call_command("requeue_stalled_webhooks", stdout=out)
    assert out.getvalue().startswith("0 ")


@pytest.fixture
def untrusted_https_receiver(tmp_path, settings):
    """An HTTPS endpoint with a self-signed certificate (openssl is part of the base system)."""
    import shutil
    import ssl
    import subprocess
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    if shutil.which("openssl") is None:
        pytest.fail("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1"],
        check=True,
        capture_output=True,
    )
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    yield f"https://127.0.0.1:{server.server_port}/hooks", received
    server.shutdown()
    server.server_close()


def test_https_receivers_must_present_a_trusted_certificate(api, untrusted_https_receiver):
    url, received = untrusted_https_receiver
    assert api.run(run_body(url)).status_code == 201
    run_worker()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING  # retried later, never sent unverified
    assert "CERTIFICATE_VERIFY_FAILED" in delivery.attempts.get().error
    assert received == []


def test_a_delivery_another_worker_is_sending_is_left_to_it(api, receiver):
    start_case(api, receiver)
    WebhookDelivery.objects.update(claimed_until=timezone.now() + timedelta(minutes=1))
    run_worker()
    assert receiver.requests == []
    assert WebhookDelivery.objects.get().attempt_count == 0


def test_an_extra_task_ahead_of_the_scheduled_retry_sends_nothing(api, receiver):
    receiver.statuses = [503]
    start_case(api, receiver)
    run_worker()
    delivery = WebhookDelivery.objects.get()
    deliver_webhook.enqueue(str(delivery.pk))  # e.g. queued again by the stalled-delivery cron
    run_worker()
    assert len(receiver.requests) == 1
    assert WebhookDelivery.objects.get().attempt_count == 1


def test_a_stored_url_that_cannot_be_sent_fails_instead_of_sticking(api, receiver):
    start_case(api, receiver)
    WebhookDelivery.objects.update(url="http://hooks.example.com/h\u00e9")  # written before the stricter check
    run_worker()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempt_count) == (DeliveryStatus.FAILED, 1)
    assert "ASCII" in delivery.attempts.get().error


def test_a_receiver_that_trickles_its_answer_is_cut_off_at_the_timeout(api, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    server = TricklingServer(b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100, pause=0.2)
    assert api.run(run_body(f"http://127.0.0.1:{server.port}/hooks")).status_code == 201
    started = time.monotonic()
    run_worker()
    server.close()
    assert time.monotonic() - started < 5
    attempt = WebhookDelivery.objects.get().attempts.get()
    assert "no complete answer within 1 s" in attempt.error


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="two workers at once need row-level concurrency (CI runs the suite on PostgreSQL too)",
)
def test_two_workers_at_once_send_a_delivery_only_once(api, receiver):
    import threading

    from django.db import connections

    from webhooks.services import webhook_delivery_attempt

    receiver.delay = 0.5
    start_case(api, receiver)
    delivery_id = WebhookDelivery.objects.get().pk
    results = []

    def worker():
        try:
            results.append(webhook_delivery_attempt(delivery_id=delivery_id))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(receiver.requests) == 1
    assert sorted(results) == ["claimed by another worker", DeliveryStatus.DELIVERED]
    assert WebhookDelivery.objects.get().attempt_count == 1
