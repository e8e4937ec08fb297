"""Plugin runs: the outbox of automation (SPEC section 10). A run is written in the transaction
that moved the case into a state whose plugins it runs, and is done by a task worker after
commit; every attempt is recorded."""

import uuid

from django.db import models

from projects.models import Project


class PluginRunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    WAITING = "waiting", "Waiting for callback"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    STALE = "stale", "Stale (the case had left the state)"


# A run in one of these blocks the next run of its case (runs of a case go one at a time).
BLOCKING_STATUSES = (PluginRunStatus.QUEUED, PluginRunStatus.RUNNING)
FINISHED_STATUSES = (PluginRunStatus.WAITING, PluginRunStatus.SUCCEEDED, PluginRunStatus.FAILED, PluginRunStatus.STALE)


class PluginList(models.TextChoices):
    """Where the plugin is declared in the version's `extensions`, in Ballerine's run order."""

    DISPATCH = "dispatchEventPlugins", "Dispatch event"
    CHILD = "childWorkflowPlugins", "Child workflow"
    COMMON = "commonPlugins", "Common"
    API = "apiPlugins", "API"


class PluginRun(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    runtime = models.ForeignKey("workflows.WorkflowRuntime", on_delete=models.CASCADE, related_name="plugin_runs")
    plugin_name = models.CharField(max_length=100)
    plugin_list = models.CharField(max_length=32, choices=PluginList.choices)
    plugin_kind = models.CharField(max_length=64)
    display_name = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=200)
    # The case's `state_entry` when the run was queued: the entry into `state` it belongs to.
    entry = models.PositiveIntegerField()
    # Runs of one case go in (entry, position) order.
    position = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=16, choices=PluginRunStatus.choices, default=PluginRunStatus.QUEUED)
    # Sent to the vendor on every attempt of this run, so a retry never buys a check twice.
    idempotency_key = models.UUIDField(default=uuid.uuid4, editable=False)
    attempt_count = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # A worker's lease on a running attempt; an expired one is picked up again.
    claimed_until = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    # What was sent and received, secrets redacted, bodies cut to an excerpt.
    request = models.JSONField(default=dict, blank=True)
    response_excerpt = models.TextField(blank=True)
    # Who asked for it: "" (the case entered the state) or the person who pressed Run again.
    requested_by_label = models.CharField(max_length=200, blank=True)
    callback_received_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["runtime", "entry", "position", "created_at"]
        indexes = [
            models.Index(fields=["runtime", "entry", "position"], name="plugin_run_runtime_order"),
            models.Index(
                fields=["runtime", "entry", "position"],
                condition=models.Q(status__in=["queued", "running"]),
                name="plugin_run_runtime_blocking",
            ),
            models.Index(
                fields=["next_attempt_at"], condition=models.Q(status__in=["queued", "running"]), name="plugin_run_due"
            ),
            models.Index(
                fields=["runtime", "plugin_name"], condition=models.Q(status="waiting"), name="plugin_run_waiting"
            ),
        ]

    def __str__(self):
        return f"{self.plugin_name} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES


class PluginAttempt(models.Model):
    run = models.ForeignKey(PluginRun, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["run", "number"]
        constraints = [models.UniqueConstraint(fields=["run", "number"], name="plugin_attempt_unique_number")]

    def __str__(self):
        return f"attempt {self.number} of {self.run_id}"


class EntityRole(models.TextChoices):
    UBO = "ubo", "UBO"
    DIRECTOR = "director", "Director"


class EntityLink(models.Model):
    """A person's part in a business: a UBO (with ownership) or a director. Written by the
    ENTITIES_UPDATE handler (SPEC section 10), shown in the case page's UBO table."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    business = models.ForeignKey("workflows.Entity", on_delete=models.CASCADE, related_name="people_links")
    person = models.ForeignKey("workflows.Entity", on_delete=models.CASCADE, related_name="business_links")
    role = models.CharField(max_length=16, choices=EntityRole.choices)
    ownership = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["business", "role", "-ownership"]
        constraints = [models.UniqueConstraint(fields=["business", "person", "role"], name="entity_link_unique_role")]

    def __str__(self):
        return f"{self.person_id} {self.role} of {self.business_id}"
