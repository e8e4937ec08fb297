from django.db import models

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
