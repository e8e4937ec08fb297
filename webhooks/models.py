"""Webhook subscriptions of a project and the outbox of deliveries (SPEC section 7)."""

import uuid

from django.db import models

from projects.models import Project


class WebhookEvent(models.TextChoices):
    CREATED = "workflow.created", "Workflow created"
    STATE_CHANGED = "workflow.state.changed", "State changed"
    CONTEXT_CHANGED = "workflow.context.changed", "Context changed"
    COMPLETED = "workflow.completed", "Workflow completed"
    FAILED = "workflow.failed", "Workflow failed"
    DECISION_PENDING = "workflow.decision.pending", "Decision awaiting second approval"
    DECISION_RETURNED = "workflow.decision.returned", "Decision sent back"
    DOCUMENT_CHANGED = "workflow.context.document.changed", "Document changed"
    CHILD_CHANGED = "workflow.child.changed", "A child case changed"


class WebhookSubscription(models.Model):
    """A project-wide subscription. Definitions (`config.subscriptions`) and single runs
    (`config.subscriptions` in the run request) subscribe through their config."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="webhook_subscriptions")
    url = models.URLField(max_length=2000)
    events = models.JSONField(default=list, blank=True, help_text="Event names; empty means every event.")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["url"]
        indexes = [models.Index(fields=["project", "is_active"], name="webhook_sub_project_active")]

    def __str__(self):
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed (gave up)"


class WebhookDelivery(models.Model):
    """One event for one URL, written in the transaction of the change it reports (an outbox)
    and sent after commit by a task worker. The body is stored as sent, byte for byte, so its
    signature can be checked by the receiver and the row shows exactly what was delivered."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="webhook_deliveries")
    runtime = models.ForeignKey(
        "workflows.WorkflowRuntime", on_delete=models.CASCADE, related_name="webhook_deliveries"
    )
    event = models.CharField(max_length=64, choices=WebhookEvent.choices)
    # The case's event number (WorkflowRuntime.event_sequence): deliveries to one URL for one
    # case are sent in this order, each after the earlier ones are delivered or given up on.
    sequence = models.PositiveIntegerField(default=0)
    url = models.URLField(max_length=2000)
    body = models.TextField()
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempt_count = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Set by the worker sending it, so no second worker sends the same attempt meanwhile.
    claimed_until = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["project", "status", "-created_at"], name="webhook_delivery_status"),
            # "Is an earlier delivery to this URL for this case still pending?"
            models.Index(
                fields=["runtime", "sequence"],
                condition=models.Q(status="pending"),
                name="webhook_delivery_pending_seq",
            ),
        ]

    def __str__(self):
        return f"{self.event} → {self.url}"


class WebhookAttempt(models.Model):
    """One try at sending a delivery: what the receiver answered, or why there was no answer."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_unique_number"),
        ]

    def __str__(self):
        return f"attempt {self.number}: {self.status_code or self.error}"


class WebhookTarget(models.Model):
    """The health of one receiver (scheme, host and port), shared by every delivery to it.
    Until a receiver has answered once, and after it let an attempt run into the timeout, it
    gets one attempt at a time (a probe); a receiver that timed out is suspended for a while.
    Its deliveries wait meanwhile without holding a worker, so one hanging receiver cannot
    starve everyone else's."""

    origin = models.CharField(max_length=300, unique=True)
    consecutive_timeouts = models.PositiveIntegerField(default=0)
    # Suspended after a timeout, or the lease of the probe being sent.
    suspended_until = models.DateTimeField(null=True, blank=True)
    last_timeout_at = models.DateTimeField(null=True, blank=True)
    # The last attempt that ended without running into the timeout (an answer or a refusal).
    responsive_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["origin"]

    def __str__(self):
        return self.origin
