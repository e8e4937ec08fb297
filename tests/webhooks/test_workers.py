"""Several real worker processes at once (PostgreSQL): order kept, nothing sent twice, and a
hanging receiver does not starve the deliveries of everyone else."""

import json
import time

import pytest
from django.db import transaction

from tests.api.conftest import SEED_BODY
from tests.servers import HangingReceiver
from webhooks.models import DeliveryStatus, WebhookDelivery
from workflows.actors import Actor
from workflows.services import workflow_start

from .conftest import ON_POSTGRES, Receiver, WorkerProcesses, subscription, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), ON_POSTGRES]


@pytest.fixture
def workers(transactional_db):
    started = []

    def start(count, **settings_env):
        pool = WorkerProcesses(count, **settings_env)
        started.append(pool)
        return pool

    yield start
    for pool in started:
        pool.stop()


def all_delivered(count):
    return lambda: WebhookDelivery.objects.filter(status=DeliveryStatus.DELIVERED).count() >= count


def test_two_workers_deliver_one_cases_events_in_order_through_an_outage(api, receiver, workers):
    receiver.statuses = [503] * 4  # down for its first four attempts
    workers(2, WEBHOOK_RETRY_BASE_SECONDS=0.2, WEBHOOK_RETRY_MAX_SECONDS=0.5)
    body = {**SEED_BODY, "config": {"subscriptions": [subscription(receiver.url())]}}
    runtime_id = api.run(body).json()["workflowRuntimeId"]
    for step in range(12):
        payload = {"newContext": {"progress": {"step": step}}}
        response = api.post(f"/api/v1/external/workflows/{runtime_id}/event", {"name": "DEEP_MERGE_CONTEXT", "payload": payload})
        assert response.status_code == 200
    wait_until(all_delivered(13), timeout=60)

    accepted = [r for r in receiver.requests if r["status"] == 200]
    sequences = [json.loads(r["body"])["sequence"] for r in accepted]
    assert sequences == list(range(1, 14))  # in the order they happened
    delivery_ids = [r["headers"]["X-Webhook-Delivery"] for r in accepted]
    assert len(set(delivery_ids)) == 13  # and none accepted twice
    assert len(receiver.requests) == 13 + 4  # no attempt beyond the refused ones
    every_attempt = [json.loads(r["body"])["sequence"] for r in receiver.requests]
    assert every_attempt == sorted(every_attempt)  # never a later event while an earlier one waited


def start_cases(project, urls_by_case, prefix):
    """One case per URL list, all in one transaction: their tasks appear at once."""
    with transaction.atomic():
        for number, urls in enumerate(urls_by_case):
            context = json.loads(json.dumps(SEED_BODY["context"]))
            context["entity"]["id"] = f"{prefix}-{number}"
            workflow_start(
                project=project,
                workflow_id="till_basic_kyb_demo",
                context=context,
                config={"subscriptions": [subscription(url) for url in urls]},
                actor=Actor(),
            )


HEALTHY_CASES = 600
HANGING_CASES = 15
ROUNDS = 3


def timed_batch(demo_project, receiver, prefix, hanging_url=None):
    """Seconds until the healthy receiver has every delivery of a new batch of cases."""
    urls = [[receiver.url()] for _ in range(HEALTHY_CASES)]
    if hanging_url:
        # Spread through the batch, the first one at the front: the worst case.
        step = HEALTHY_CASES // HANGING_CASES
        for index in range(HANGING_CASES):
            urls.insert(index * (step + 1), [hanging_url])
    before = len(receiver.requests)
    start_cases(demo_project, urls, prefix)
    started = time.monotonic()  # the batch's tasks are committed: the workers start on them
    wait_until(lambda: len(receiver.requests) - before >= HEALTHY_CASES, timeout=120)
    return time.monotonic() - started


def median(values):
    return sorted(values)[len(values) // 2]


@pytest.mark.timing
def test_a_hanging_receiver_does_not_slow_other_cases_deliveries(api, demo_project, receiver, workers):
    workers(2, WEBHOOK_TIMEOUT_SECONDS=0.3)
    timed_batch(demo_project, receiver, "warm-up")  # the workers' first queries and connections
    normal, with_hanging, hung_attempts = [timed_batch(demo_project, receiver, "normal-0")], [], []
    # Batches alternate, and each batch beside a hanging receiver is compared with the batches
    # just before and after it, so that the machine's other load falls on both alike. Each
    # hanging batch has a receiver never seen before, whose first timeouts are the whole cost.
    for round_number in range(ROUNDS):
        hanging = HangingReceiver()
        try:
            with_hanging.append(timed_batch(demo_project, receiver, f"hanging-{round_number}", hanging.url()))
        finally:
            hanging.close()
        hung_attempts.append(WebhookDelivery.objects.filter(url=hanging.url(), attempt_count__gt=0).count())
        normal.append(timed_batch(demo_project, receiver, f"normal-{round_number + 1}"))
    ratios = [with_hanging[i] / ((normal[i] + normal[i + 1]) / 2) for i in range(ROUNDS)]
    print(f"{HEALTHY_CASES} deliveries to a healthy receiver, 2 workers: {normal} s alone, {with_hanging} s beside "
          f"{HANGING_CASES} cases of a hanging one ({hung_attempts} attempts reached it); ratios {ratios}")
    # Without the suspension every case of the hanging receiver would hold a worker for the
    # whole timeout: 15 x 0.3 s of worker time, more than the batch takes.
    assert median(ratios) <= 1.2, (normal, with_hanging)
    assert max(hung_attempts) <= 2  # at most one attempt per worker, then the rest waited
