"""Webhook deliveries: written with the change they report (outbox), sent by task workers,
retried with exponential backoff, every attempt recorded (SPEC section 7)."""

import json
import logging
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from outbound.client import OutboundError
from outbound.targets import TargetRefused, target_origin
from projects.models import Project

from . import sending
from .models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookSubscription, WebhookTarget
from .tasks import deliver_webhook

logger = logging.getLogger(__name__)


def _targets(project, runtime) -> dict[str, set[str]]:
    """URL -> events it wants, from the project's subscriptions, the definition's config and
    the run's config. A URL named at several levels gets each event once."""
    targets: dict[str, set[str]] = {}
    every = set(WebhookEvent.values)
    rows = []
    if project.has_webhook_subscriptions:  # most projects have none: no query for them
        rows = WebhookSubscription.objects.filter(project=project, is_active=True).order_by().values_list("url", "events")
    configured = [
        (sub["url"], sub.get("events"))
        for config in (runtime.definition_version.config, runtime.config)
        for sub in (config or {}).get("subscriptions") or []
    ]
    for url, events in [*rows, *configured]:
        targets.setdefault(url, set()).update(set(events) & every if events else every)
    return targets


def _iso(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


def _body(*, delivery_id, event: str, sequence: int, runtime, definition_key: str, at) -> str:
    entity = runtime.entity
    return json.dumps(
        {
            "id": str(delivery_id),
            "eventName": event,
            "sequence": sequence,
            "apiVersion": 1,
            "timestamp": at.isoformat(),
            "environment": settings.ENVIRONMENT_NAME,
            "workflowCreatedAt": _iso(runtime.created_at),
            "workflowResolvedAt": _iso(runtime.resolved_at),
            "workflowRuntimeId": str(runtime.pk),
            "workflowDefinitionId": definition_key,
            "workflowDefinitionVersion": runtime.definition_version.version,
            "workflowStatus": runtime.status,
            "workflowFinalState": runtime.state,
            "ballerineEntityId": str(entity.pk),
            "correlationId": entity.correlation_id,
            "entity": {"id": str(entity.pk), "type": entity.kind, "correlationId": entity.correlation_id},
            "state": runtime.state,
            "status": runtime.status,
            "tags": runtime.tags,
            "context": runtime.context,
            # Ballerine's receivers read the context as `data`.
            "data": runtime.context,
        },
        ensure_ascii=False,
    )


def webhook_events_number(runtime, events: list[str]) -> list[tuple[str, int]]:
    """Gives each event of a change the case's next sequence numbers. Called before the
    runtime is saved in the change's transaction, so the numbers are stored with it and two
    changes of one case (serialised by its row lock) never share one."""
    numbered = []
    for event in events:
        runtime.event_sequence += 1
        numbered.append((event, runtime.event_sequence))
    return numbered


def webhook_deliveries_create(
    *, project, runtime, events: list[tuple[str, int]], definition_key: str
) -> list[WebhookDelivery]:
    """Called inside the transaction of a change with its numbered events: one delivery row
    per subscribed URL and event, and its task row, so they commit (or vanish) with the change
    itself."""
    if not events:
        return []
    targets = _targets(project, runtime)
    if not targets:
        return []
    at = timezone.now()
    deliveries = []
    for event, sequence in events:
        for url, wanted in targets.items():
            if event in wanted:
                delivery_id = uuid.uuid4()
                body = _body(
                    delivery_id=delivery_id, event=event, sequence=sequence, runtime=runtime, definition_key=definition_key, at=at
                )
                deliveries.append(
                    WebhookDelivery(
                        id=delivery_id,
                        project=project,
                        runtime=runtime,
                        event=event,
                        sequence=sequence,
                        url=url,
                        body=body,
                        next_attempt_at=at,
                    )
                )
    WebhookDelivery.objects.bulk_create(deliveries)
    for delivery in deliveries:
        deliver_webhook.enqueue(str(delivery.pk))
    return deliveries


def retry_delay(attempt_number: int) -> float:
    """Seconds before the attempt after `attempt_number`: doubling, capped."""
    return min(settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempt_number - 1), settings.WEBHOOK_RETRY_MAX_SECONDS)


def _claim(delivery: WebhookDelivery, now) -> bool:
    """Takes the delivery's next attempt for this worker; False when another worker has it."""
    lease = now + timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS * 2 + 30)
    return bool(
        WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING, attempt_count=delivery.attempt_count)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=lease)
    )


def _earlier_delivery_pending(delivery: WebhookDelivery) -> bool:
    if not delivery.sequence:
        return False  # written before deliveries were numbered: nothing to wait for
    return WebhookDelivery.objects.filter(
        runtime_id=delivery.runtime_id, url=delivery.url, status=DeliveryStatus.PENDING, sequence__lt=delivery.sequence
    ).exists()


def _release_next(delivery: WebhookDelivery) -> None:
    """Queues the delivery that waited for this one (same URL and case, next in sequence).
    Called in the transaction that ends this one, so the task commits with that outcome."""
    following = (
        WebhookDelivery.objects.filter(
            runtime_id=delivery.runtime_id, url=delivery.url, status=DeliveryStatus.PENDING, sequence__gt=delivery.sequence
        )
        .order_by("sequence")
        .values_list("pk", flat=True)
        .first()
    )
    if following is not None:
        deliver_webhook.enqueue(str(following))


def _defer(delivery: WebhookDelivery, until) -> None:
    """Moves a delivery's next attempt to `until` without trying it (not an attempt)."""
    with transaction.atomic():
        updated = WebhookDelivery.objects.filter(
            pk=delivery.pk, status=DeliveryStatus.PENDING, attempt_count=delivery.attempt_count
        ).update(next_attempt_at=until, claimed_until=None)
        if updated:
            deliver_webhook.using(run_after=until).enqueue(str(delivery.pk))


# How soon a delivery looks again while another worker's probe of its receiver is in flight.
PROBE_RECHECK = timedelta(seconds=1)


def _target_gate(origin: str, now) -> tuple[object, bool]:
    """(time to try again or None, whether this attempt is the receiver's probe). A receiver
    that has answered before and has not timed out since is sent to freely; any other gets one
    attempt at a time, and none while it is suspended after a timeout."""
    lease = now + timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS * 2 + 5)
    target = WebhookTarget.objects.filter(origin=origin).first()
    if target is None:
        try:
            with transaction.atomic():
                WebhookTarget.objects.create(origin=origin, suspended_until=lease)
        except IntegrityError:
            return now + PROBE_RECHECK, False  # another worker's first attempt is under way
        return None, True
    if target.responsive_at is not None and not target.consecutive_timeouts:
        return None, False
    if target.suspended_until and target.suspended_until > now:
        if target.consecutive_timeouts:
            return target.suspended_until, False
        return min(target.suspended_until, now + PROBE_RECHECK), False
    claimed = WebhookTarget.objects.filter(pk=target.pk, suspended_until=target.suspended_until).update(
        suspended_until=lease
    )
    return (None, True) if claimed else (now + PROBE_RECHECK, False)


def _target_record(origin: str, *, timed_out: bool, probing: bool, now) -> None:
    if timed_out:
        target, _ = WebhookTarget.objects.select_for_update().get_or_create(origin=origin)
        target.consecutive_timeouts += 1
        target.last_timeout_at = now
        target.suspended_until = now + timedelta(seconds=retry_delay(target.consecutive_timeouts))
        target.save()
    elif probing:
        # The probe ended in time (an answer or a refusal): the receiver is not hanging.
        WebhookTarget.objects.filter(origin=origin).update(consecutive_timeouts=0, suspended_until=None, responsive_at=now)


def webhook_delivery_attempt(*, delivery_id) -> str:
    """Sends a pending delivery once and records the attempt; schedules the next one on
    failure until WEBHOOK_MAX_ATTEMPTS. A delivery waits while an earlier one to the same URL
    for the same case is pending, and while its receiver is suspended for timing out. Returns
    what happened."""
    now = timezone.now()
    delivery = WebhookDelivery.objects.select_related("project").filter(pk=delivery_id).first()
    if delivery is None:
        return "missing"
    if delivery.status != DeliveryStatus.PENDING:
        return delivery.status
    if delivery.next_attempt_at and delivery.next_attempt_at > now + timedelta(seconds=1):
        return "not due"  # an extra task (requeue, retry-now) ahead of the scheduled attempt
    if _earlier_delivery_pending(delivery):
        return "waiting for an earlier delivery"  # that one queues this one when it is done
    if not _claim(delivery, now):
        return "claimed by another worker"
    origin = target_origin(delivery.url)
    wait_until, probing = _target_gate(origin, now) if origin else (None, False)
    if wait_until is not None:
        _defer(delivery, wait_until)
        return "receiver suspended or being probed"
    number = delivery.attempt_count + 1
    started = time.perf_counter()
    status_code, error, give_up, timed_out = None, "", False, False
    try:
        status_code = sending.post(
            url=delivery.url,
            body=delivery.body.encode(),
            secret=delivery.project.webhook_secret,
            headers={
                "X-Webhook-Event": delivery.event,
                "X-Webhook-Delivery": str(delivery.pk),
                "X-Webhook-Attempt": str(number),
                "X-Webhook-Sequence": str(delivery.sequence),
            },
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
            project=delivery.project,
        )
    except TargetRefused as refused:
        error, give_up = str(refused), True
    except TimeoutError as failure:
        error, timed_out = f"{type(failure).__name__}: {failure}", True
    except OutboundError as failure:
        error = str(failure)  # names the cause: "ConnectionRefusedError: ..."
    except OSError as failure:
        error = f"{type(failure).__name__}: {failure}"
    except Exception as failure:  # anything else is recorded too: a delivery never just stops
        logger.exception("Webhook delivery %s attempt %s failed unexpectedly", delivery.pk, number)
        error = f"{type(failure).__name__}: {failure}"
    duration_ms = round((time.perf_counter() - started) * 1000)
    succeeded = status_code is not None and 200 <= status_code < 300
    if status_code is not None and not succeeded:
        error = f"The receiver answered {status_code}."

    with transaction.atomic():
        if origin:
            _target_record(origin, timed_out=timed_out, probing=probing, now=timezone.now())
        locked = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        if locked.status != DeliveryStatus.PENDING or locked.attempt_count != delivery.attempt_count:
            return locked.status  # changed meanwhile (an admin's action): this result is moot
        WebhookAttempt.objects.create(
            delivery=locked,
            number=number,
            started_at=now,
            duration_ms=duration_ms,
            status_code=status_code,
            error=error,
        )
        locked.attempt_count, locked.claimed_until = number, None
        if succeeded:
            locked.status, locked.delivered_at, locked.next_attempt_at = DeliveryStatus.DELIVERED, timezone.now(), None
        elif give_up or number >= settings.WEBHOOK_MAX_ATTEMPTS:
            locked.status, locked.next_attempt_at = DeliveryStatus.FAILED, None
        else:
            locked.next_attempt_at = timezone.now() + timedelta(seconds=retry_delay(number))
            deliver_webhook.using(run_after=locked.next_attempt_at).enqueue(str(locked.pk))
        locked.save(update_fields=["attempt_count", "claimed_until", "status", "delivered_at", "next_attempt_at"])
        if locked.status != DeliveryStatus.PENDING:
            _release_next(locked)
    if not succeeded:
        logger.warning("Webhook delivery %s (%s) attempt %s failed: %s", delivery.pk, delivery.event, number, error)
    return locked.status


@transaction.atomic
def webhook_delivery_retry(*, delivery: WebhookDelivery) -> bool:
    """Sends an undelivered delivery again now (an admin's "retry now"); False if it was
    already delivered."""
    locked = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    if locked.status == DeliveryStatus.DELIVERED:
        return False
    locked.status, locked.next_attempt_at = DeliveryStatus.PENDING, timezone.now()
    locked.save(update_fields=["status", "next_attempt_at"])
    deliver_webhook.enqueue(str(locked.pk))
    return True


def webhook_deliveries_requeue_stalled(*, older_than: timedelta) -> int:
    """Queues again the pending deliveries whose attempt is overdue by more than `older_than`:
    their task was lost (a worker killed mid-attempt). Returns how many were queued."""
    cutoff = timezone.now() - older_than
    now = timezone.now()
    stalled = list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lt=cutoff)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))  # not being sent right now
        .values_list("pk", flat=True)
    )
    with transaction.atomic():
        for delivery_id in stalled:
            WebhookDelivery.objects.filter(pk=delivery_id).update(next_attempt_at=timezone.now())
            deliver_webhook.enqueue(str(delivery_id))
    return len(stalled)


@transaction.atomic
def webhook_target_resume(*, target: WebhookTarget) -> int:
    """Ends a receiver's suspension and queues its waiting deliveries now (each still waits
    for the earlier ones of its case). Returns how many were queued."""
    WebhookTarget.objects.filter(pk=target.pk).update(consecutive_timeouts=0, suspended_until=None)
    # (Its next attempt is a probe again, unless it had answered before.)
    now = timezone.now()
    waiting = [
        delivery
        for delivery in WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__gt=now)
        .only("pk", "url")
        .iterator()
        if target_origin(delivery.url) == target.origin
    ]
    WebhookDelivery.objects.filter(pk__in=[d.pk for d in waiting]).update(next_attempt_at=now)
    for delivery in waiting:
        deliver_webhook.enqueue(str(delivery.pk))
    return len(waiting)


@transaction.atomic
def project_subscription_flag_refresh(*, project_id) -> None:
    """Keeps `Project.has_webhook_subscriptions` true exactly when it has an active one. The
    project row is locked first and the subscriptions counted after: two changes at once then
    take turns, and the second counts what the first committed."""
    if not Project.objects.select_for_update().filter(pk=project_id).exists():
        return
    active = WebhookSubscription.objects.filter(project_id=project_id, is_active=True).exists()
    Project.objects.filter(pk=project_id).update(has_webhook_subscriptions=active)
