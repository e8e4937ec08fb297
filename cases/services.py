from django.db import transaction

from projects.models import Project
from workflows.errors import FieldError, ValidationFailed
from workflows.models import EntityKind, RuntimeStatus, WorkflowDefinition

from .models import Queue


@transaction.atomic
def queue_save(
    *,
    project: Project,
    slug: str,
    name: str,
    entity_kind: str,
    definitions: list[WorkflowDefinition],
    statuses: list[str] | None = None,
    states: list[str] | None = None,
    position: int = 0,
) -> Queue:
    """Create or update a queue; definitions are added to those it already shows."""
    errors = []
    if entity_kind not in EntityKind.values:
        errors.append(FieldError("entityKind", "Must be 'business' or 'individual'."))
    statuses = [RuntimeStatus.ACTIVE.value] if statuses is None else statuses
    bad = [s for s in statuses if s not in RuntimeStatus.values]
    if bad:
        errors.append(FieldError("statuses", f"Unknown statuses: {', '.join(map(str, bad))}."))
    if any(d.project_id != project.pk for d in definitions):
        errors.append(FieldError("definitions", "Definitions must belong to the queue's project."))
    if errors:
        raise ValidationFailed(errors)
    queue, _ = Queue.objects.update_or_create(
        project=project,
        slug=slug,
        defaults={
            "name": name,
            "entity_kind": entity_kind,
            "statuses": statuses,
            "states": states or [],
            "position": position,
        },
    )
    queue.definitions.add(*definitions)
    return queue
