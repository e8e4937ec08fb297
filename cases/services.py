from django.db import transaction

from projects.models import Project
from workflows.errors import FieldError, ValidationFailed
from workflows.models import EntityKind, RuntimeStatus, WorkflowDefinition

from .models import Queue
from .queue_rules import queue_errors

# The names definition files give the fields the queue rules name.
FILE_KEYS = {"entity_kind": "entityKind"}


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
    """Create or update a queue; definitions are added to those it already shows. Refused, as
    in the admin, when the queue could never show a case (cases.queue_rules)."""
    errors = []
    kind_known = entity_kind in EntityKind.values
    if not kind_known:
        errors.append(FieldError("entityKind", "Must be 'business' or 'individual'."))
    statuses = [RuntimeStatus.ACTIVE.value] if statuses is None else statuses
    existing = Queue.objects.filter(project=project, slug=slug).first()
    shown = list(existing.definitions.all()) if existing else []
    shown += [d for d in definitions if d not in shown]
    errors += [
        FieldError(FILE_KEYS.get(error.path, error.path), error.message)
        for error in queue_errors(
            project=project,
            entity_kind=entity_kind if kind_known else None,
            definitions=shown,
            statuses=statuses,
            states=states or [],
        )
    ]
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
