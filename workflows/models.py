import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from config.fastload import FastWrites, bulk_insert
from projects.models import ApiKey, Project

from .entity_text import entity_display_name, entity_email

definition_key_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
    "Use letters, digits, '_', '.' and '-' (starting with a letter or digit).",
)


class WorkflowDefinition(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="definitions")
    key = models.CharField(
        max_length=100,
        validators=[definition_key_validator],
        help_text="The id callers send as workflowId.",
    )
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint(fields=["project", "key"], name="definition_unique_key"),
        ]

    def __str__(self):
        return self.name or self.key


class WorkflowDefinitionVersion(models.Model):
    """An immutable snapshot of a definition; runtimes pin the version they started on."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    definition = models.ForeignKey(
        WorkflowDefinition, on_delete=models.CASCADE, related_name="versions"
    )
    version = models.PositiveIntegerField()
    statechart = models.JSONField()
    context_schema = models.JSONField(default=dict, blank=True)
    config = models.JSONField(default=dict, blank=True)
    extensions = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Set by a definition file load (`load_definitions`, `load_demo`) on the version it wrote:
    # the file ("demo/<name>" for the demo's own files) and the SHA-256 of the content as
    # stored. A version written or edited in the admin has no mark, or a checksum that no
    # longer matches its content; loaders do not replace such a version unless told to.
    loaded_from = models.TextField(blank=True, default="", editable=False)
    loaded_sha256 = models.CharField(max_length=64, blank=True, default="", editable=False)

    class Meta:
        ordering = ["definition", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["definition", "version"], name="definition_version_unique"
            ),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="version_positive"),
        ]

    def __str__(self):
        return f"{self.definition.key} v{self.version}"

    def content(self) -> dict:
        return {
            "statechart": self.statechart,
            "context_schema": self.context_schema,
            "config": self.config,
            "extensions": self.extensions,
        }


class EntityKind(models.TextChoices):
    BUSINESS = "business", "Business"
    INDIVIDUAL = "individual", "Individual"


class ApprovalState(models.TextChoices):
    NEW = "new", "New"
    PROCESSING = "processing", "Processing"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class Entity(models.Model):
    """The business or individual a case is about, keyed by the caller's own id."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No index of its own: the unique (project, kind, correlation_id) one starts with it.
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="entities", db_index=False)
    kind = models.CharField(max_length=16, choices=EntityKind.choices)
    correlation_id = models.CharField(max_length=255)
    data = models.JSONField(default=dict, blank=True)
    display_name = models.CharField(max_length=255, blank=True)
    email = models.CharField(max_length=254, blank=True)
    approval_state = models.CharField(
        max_length=16, choices=ApprovalState.choices, default=ApprovalState.NEW
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "entities"
        ordering = ["display_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "kind", "correlation_id"], name="entity_unique_correlation_id"
            ),
        ]
        # Every run writes its entity: only what a lookup needs is indexed (the queues sort and
        # search the cases' own copies). With nothing indexed that a run changes, a run for a
        # known entity updates its row in place (a HOT update, no index written).
        indexes = [
            # The API's `entityId` filter (any kind).
            models.Index(fields=["project", "correlation_id"], name="entity_project_correlation"),
        ]

    def __str__(self):
        return self.display_name or self.correlation_id


class RuntimeStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


class WorkflowRuntime(FastWrites, models.Model):
    """One running instance of a definition version, shown to operators as a case."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Every run inserts a case and every event updates one (never in place: its state and
    # times are indexed), so each index here is paid on every write. The foreign keys have no
    # index of their own where another index starts with them (project, entity, definition:
    # the search index's first column); the nullable ones are indexed where set (see Meta),
    # which a run without them skips. A version keeps its own (whether any case uses it
    # decides whether an edit may change it in place).
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="runtimes", db_index=False)
    definition = models.ForeignKey(
        WorkflowDefinition, on_delete=models.PROTECT, related_name="runtimes", db_index=False
    )
    definition_version = models.ForeignKey(
        WorkflowDefinitionVersion, on_delete=models.PROTECT, related_name="runtimes"
    )
    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="runtimes", db_index=False)
    # Set on a case started by a parent's child plugin (SPEC section 12).
    parent_runtime = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", editable=False, db_index=False
    )
    # The entity's kind (never changes for an entity), copied here so that queues filter,
    # count and sort cases on one table's indexes instead of joining every entity.
    entity_kind = models.CharField(max_length=16, choices=EntityKind.choices, blank=True, default="", editable=False)
    # More copies for the queues, which sort and search on them with this table's indexes
    # alone: the entity's name and email as this case's own context gives them (what its case
    # page shows; each case of an entity keeps its own, so a run for the entity never writes
    # the entity's other cases), its id, and the assignee's user name (NULL when unassigned,
    # so that unassigned cases come last in ascending order, as with the join they replace).
    # save() keeps them in step with the context and the assignee.
    entity_name = models.CharField(max_length=255, blank=True, default="", editable=False)
    entity_correlation_id = models.CharField(max_length=255, blank=True, default="", editable=False)
    entity_email = models.CharField(max_length=254, blank=True, default="", editable=False)
    assignee_username = models.CharField(max_length=150, null=True, blank=True, editable=False)
    # The registration number as this case's context gives it (`entity.data.registrationNumber`,
    # Ballerine's business field), searched with the name, id and email.
    entity_registration_number = models.CharField(max_length=255, blank=True, default="", editable=False)
    state = models.CharField(max_length=200)
    status = models.CharField(
        max_length=16, choices=RuntimeStatus.choices, default=RuntimeStatus.ACTIVE
    )
    tags = models.JSONField(default=list, blank=True)
    context = models.JSONField(default=dict, blank=True)
    config = models.JSONField(default=dict, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_runtimes",
        db_index=False,
    )
    created_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    # A key that started cases is revoked, never deleted (PROTECT); a deleted user leaves
    # `created_by_label`, written at creation, to say who it was.
    created_by_api_key = models.ForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by_label = models.CharField(max_length=200, blank=True, editable=False)
    # Indexed alone too: the admin's list of every project's cases sorts on it.
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # When the case is due: created_at + the definition version's `config.slaHours`, stored at
    # creation (NULL without slaHours). The queues sort and filter on it ("overdue").
    due_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The number of the last webhook event of this case: each event gets the next one, in the
    # transaction of its change, so receivers can order what they are sent.
    event_sequence = models.PositiveIntegerField(default=0, editable=False)
    # Counts the changes of the case (every save adds one). Each form of the case page carries
    # the version it showed, and a form older than the case is refused (workflows.decisions).
    version = models.PositiveIntegerField(default=1, editable=False)
    # Counts the case's entries into a resting state (automation: a plugin run belongs to one
    # entry, and an outcome arriving after its entry is over is stale).
    state_entry = models.PositiveIntegerField(default=1, editable=False)
    # Who moved the case into its current state, and when (the outcome badge says so).
    decided_by_label = models.CharField(max_length=200, blank=True, editable=False)
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    # A four-eyes decision waiting for a second member (SPEC section 5, `fourEyes`): the event
    # is not applied, and the case stays in its state, until someone else confirms it.
    pending_event = models.CharField(max_length=200, blank=True, editable=False)
    pending_payload = models.JSONField(default=dict, blank=True, editable=False)
    pending_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False, db_index=False
    )
    pending_by_label = models.CharField(max_length=200, blank=True, editable=False)
    pending_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "workflow runtime (case)"
        verbose_name_plural = "workflow runtimes (cases)"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["project", "status", "-created_at"], name="runtime_project_status"),
            models.Index(
                fields=["project", "definition", "status", "-created_at"],
                name="runtime_project_definition",
            ),
            models.Index(fields=["project", "state", "id"], name="runtime_project_state_id"),
            models.Index(fields=["project", "status", "id"], name="runtime_project_status_id"),
            models.Index(fields=["project", "created_at", "id"], name="runtime_project_created_id"),
            models.Index(fields=["project", "updated_at", "id"], name="runtime_project_updated_id"),
            # Queues: kind and definition always, then each sort key with the id tie-breaker
            # (an index serves both directions), and the status last: a key column, so that
            # any status filter is checked in the index before a row is read, and one index
            # serves a queue's default statuses and "any status" alike (every index is written
            # by every run and event, so there is no second one per sort for the status).
            models.Index(fields=["project", "entity_kind", "definition", "created_at", "id", "status"], name="runtime_queue_created_status"),
            models.Index(fields=["project", "entity_kind", "definition", "updated_at", "id", "status"], name="runtime_queue_updated_status"),
            # A state's cases are mostly of one status.
            models.Index(fields=["project", "entity_kind", "definition", "state", "id", "status"], name="runtime_queue_state_status"),
            # A queue's count of its open (or failed, ...) cases.
            models.Index(fields=["project", "entity_kind", "definition", "status", "id"], name="runtime_queue_status"),
            # The copied sort keys, the same way.
            models.Index(fields=["project", "entity_kind", "definition", "entity_name", "id", "status"], name="runtime_queue_name"),
            models.Index(fields=["project", "entity_kind", "definition", "entity_correlation_id", "id", "status"], name="runtime_queue_correlation"),
            models.Index(fields=["project", "entity_kind", "definition", "assignee_username", "id", "status"], name="runtime_queue_assignee"),
            # The due time (slaHours): every case, for the sort with any status; and the open
            # cases alone, for the default view's sort, the overdue filter and the menu's
            # overdue counts (a range of this small index, whatever the closed cases).
            models.Index(fields=["project", "entity_kind", "definition", "due_at", "id", "status"], name="runtime_queue_due"),
            models.Index(
                fields=["project", "entity_kind", "definition", "due_at", "id"],
                name="runtime_queue_open_due",
                condition=models.Q(status="active"),
            ),
            models.Index(fields=["project", "assignee", "status"], name="runtime_project_assignee"),
            models.Index(fields=["entity", "definition", "status"], name="runtime_entity_active"),
            # A parent's children, and what deleting a user clears: only the cases that have one.
            *[
                models.Index(fields=[name], name=f"runtime_{name}_set", condition=models.Q(**{f"{name}__isnull": False}))
                for name in ("parent_runtime", "assignee", "created_by_user", "pending_by_user")
            ],
        ]

    def __str__(self):
        return f"{self.definition.key} / {self.entity} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.status == RuntimeStatus.ACTIVE

    def save(self, *args, **kwargs):
        if self._state.adding and not self.entity_kind and self.entity_id:
            # The queues' copy of the entity's kind (no query when the entity is loaded).
            self.entity_kind = self.entity.kind
        update_fields = kwargs.get("update_fields")
        copied = self.copy_queue_fields(update_fields)
        # Every change of a stored case is a new version, in the same UPDATE.
        if not self._state.adding:
            self.version += 1
            copied.append("version")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, *copied}
        super().save(*args, **kwargs)

    def copy_queue_fields(self, update_fields=None) -> list[str]:
        """Refresh the queues' copies that the fields being saved (all when None) feed; returns
        the names refreshed. Reads only what is loaded: the context, and the entity and the
        assignee when they are in the instance's cache (a case loaded without its assignee
        keeps its copy, which only an assignment changes)."""
        copied = []
        if self._state.adding or update_fields is None or "context" in update_fields:
            entity = self.context.get("entity") if isinstance(self.context, dict) else None
            data = entity.get("data") if isinstance(entity, dict) else None
            data = data if isinstance(data, dict) else {}
            record = self.entity if self.entity_id and WorkflowRuntime.entity.is_cached(self) else None
            self.entity_name = entity_display_name(self.entity_kind, data) or (record.display_name if record else self.entity_name)
            self.entity_email = entity_email(data) or (record.email if record else self.entity_email)
            if record is not None:
                self.entity_correlation_id = record.correlation_id
            elif not self.entity_correlation_id and isinstance(entity, dict) and isinstance(entity.get("id"), str):
                self.entity_correlation_id = entity["id"][:255]
            number = data.get("registrationNumber")
            self.entity_registration_number = number.strip()[:255] if isinstance(number, str) else ""
            copied += ["entity_name", "entity_email", "entity_correlation_id", "entity_registration_number"]
        if update_fields is None or "assignee" in update_fields:
            if self.assignee_id is None:
                self.assignee_username = None
            elif WorkflowRuntime.assignee.is_cached(self) and self.assignee is not None:
                self.assignee_username = self.assignee.get_username()
            copied.append("assignee_username")
        return copied


class HistoryKind(models.TextChoices):
    CREATED = "workflow.created", "Created"
    RERUN = "workflow.rerun", "Started again (context replaced)"
    TRANSITION = "workflow.transition", "State changed"
    CONTEXT_CHANGED = "workflow.context_changed", "Context changed"
    EVENT = "workflow.event", "Event received (no change)"
    FAILED = "workflow.failed", "Failed (the definition could not process an event)"
    ASSIGNED = "case.assigned", "Assigned"
    UNASSIGNED = "case.unassigned", "Unassigned"
    NOTE = "case.note", "Note"
    DECISION_PROPOSED = "decision.proposed", "Decision awaiting second approval"
    DECISION_CONFIRMED = "decision.confirmed", "Second approval given"
    DECISION_RETURNED = "decision.returned", "Decision sent back"
    DECISION_DROPPED = "decision.dropped", "Pending decision dropped (the case moved on)"
    PLUGIN_SUCCEEDED = "plugin.succeeded", "Plugin succeeded"
    PLUGIN_FAILED = "plugin.failed", "Plugin failed"
    PLUGIN_REQUEUED = "plugin.requeued", "Plugin queued again"
    HOOK = "workflow.hook", "Vendor callback (hook)"
    DOCUMENT_DECIDED = "document.decided", "Document decision"
    CHILDREN_STARTED = "children.started", "Child cases started"
    CHILD_CHANGED = "child.changed", "A child case changed"
    ENTITY_CORRECTED = "entity.corrected", "Entity data corrected"
    VERSION_MOVED = "workflow.version_moved", "Moved to a newer version"


class HistoryEventQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        # The rows of a change, in one INSERT built once (config.fastload): every event writes some.
        if args or kwargs or self.db != "default":
            return super().bulk_create(objs, *args, **kwargs)
        return bulk_insert(list(objs))

    def update(self, **kwargs):
        raise TypeError("History is append-only.")

    def delete(self):
        raise TypeError("History is append-only.")


class HistoryEvent(FastWrites, models.Model):
    """Append-only log: every change to a case writes one row in the same transaction."""

    # Read by case (history_runtime_time), so neither key has an index of its own: every
    # change writes a row, and each index is paid on every one.
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", db_index=False)
    runtime = models.ForeignKey(
        WorkflowRuntime, on_delete=models.CASCADE, related_name="history", db_index=False
    )
    kind = models.CharField(max_length=40, choices=HistoryKind.choices)
    event_name = models.CharField(max_length=200, blank=True)
    from_state = models.CharField(max_length=200, blank=True)
    to_state = models.CharField(max_length=200, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    actor_api_key = models.ForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=200, help_text="Who acted, kept if the actor is deleted.")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = HistoryEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["runtime", "created_at"], name="history_runtime_time"),
            # What deleting a user clears: the rows a person wrote (an API call's have none).
            models.Index(fields=["actor_user"], name="history_actor_user_set", condition=models.Q(actor_user__isnull=False)),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} at {self.created_at:%Y-%m-%d %H:%M:%S}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("History is append-only: rows are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("History is append-only: rows are never deleted.")


class IdempotencyRecord(models.Model):
    """The first response to a run with an `Idempotency-Key`, replayed for repeats."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_fingerprint = models.CharField(max_length=64)
    claim = models.CharField(max_length=32, help_text="Which request inserted the row.")
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "key"], name="idempotency_unique_key"),
        ]

    def __str__(self):
        return self.key
