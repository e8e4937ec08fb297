from django.db import models
from django.conf import settings

from projects.models import Project
from workflows.models import EntityKind, RuntimeStatus, WorkflowDefinition


def default_queue_statuses():
    return [RuntimeStatus.ACTIVE.value]


class Queue(models.Model):
    """A saved filter over a project's cases with its own list page."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="queues")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100)
    entity_kind = models.CharField(max_length=16, choices=EntityKind.choices)
    definitions = models.ManyToManyField(WorkflowDefinition, related_name="queues", blank=True)
    statuses = models.JSONField(
        default=default_queue_statuses, blank=True, help_text="Runtime statuses shown; empty = all."
    )
    states = models.JSONField(default=list, blank=True, help_text="States shown; empty = all.")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "slug"], name="queue_unique_slug"),
        ]

    def __str__(self):
        return self.name


class SavedView(models.Model):
    """A named set of a queue's filters and sort: a person's own (`owner`) or, saved by an
    admin, the whole project's (no owner). `query` is the query string as the queue's filter
    normalised it (cases.saved_views)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="saved_views")
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="saved_views")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="saved_views",
        help_text="Empty: a view for the whole project.",
    )
    name = models.CharField(max_length=80)
    query = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["queue", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "queue", "name"], condition=models.Q(owner__isnull=False), name="saved_view_unique_personal_name"
            ),
            models.UniqueConstraint(
                fields=["project", "queue", "name"], condition=models.Q(owner__isnull=True), name="saved_view_unique_project_name"
            ),
        ]
        indexes = [models.Index(fields=["project", "owner"], name="saved_view_menu")]

    def __str__(self):
        return self.name

    @property
    def is_personal(self) -> bool:
        return self.owner_id is not None
