"""Bulk assignment from a queue: assign to me, to a member, or unassign many cases at once.

Each case goes through the single assignment's own change (workflows.case_work.assignment_apply:
open cases only, someone else's case only when taken over, one history row), under the one
locking function (workflows.locking.cases_lock: parents first, then primary-key order), in
chunks of BULK_CHUNK cases per transaction, so a thousand cases never hold a thousand locks
at once. Cases that cannot be changed are listed with the reason; the others are done.

The rule for someone else's case, which the single page asks to confirm: in bulk an operator
changes only unassigned cases and their own; an admin may also take over other people's cases
when the form says so (`take_over`, the bulk form's confirmation). Unassigning counts the same.
"""

from dataclasses import dataclass, field

from django.db import models, transaction

from projects.models import Role
from workflows import decisions
from workflows.actors import Actor
from workflows.errors import FieldError, RuntimeClosed, ServiceError, ValidationFailed
from workflows.locking import cases_lock, lock_order
from workflows.models import HistoryEvent
from workflows.case_work import assignee_check, assignment_apply
from workflows.services import require_can_act

from .models import Queue
from . import selectors

BULK_CHUNK = 100


class BulkAction(models.TextChoices):
    ASSIGN_ME = "assign_me", "Assign to me"
    ASSIGN = "assign", "Assign to"
    UNASSIGN = "unassign", "Unassign"


@dataclass(frozen=True)
class Refusal:
    case_id: object
    name: str
    reason: str


@dataclass
class BulkResult:
    action: str
    assignee: object = None
    changed: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)

    @property
    def summary(self) -> str:
        done = {BulkAction.UNASSIGN: "unassigned"}.get(self.action) or f"assigned to {self.assignee.get_username()}"
        parts = [f"{len(self.changed):,} {done}"]
        if self.unchanged:
            parts.append(f"{len(self.unchanged):,} already {'were' if len(self.unchanged) > 1 else 'was'}")
        if self.refused:
            parts.append(f"{len(self.refused):,} could not be changed")
        return "; ".join(parts) + (":" if self.refused else ".")


def _in_queue(runtime, queue: Queue, definition_ids: set) -> bool:
    """Still one of the queue's cases (its workflows, kind and states; any status, as the page's
    status filter may show closed ones, which are then refused as closed)."""
    return (
        runtime.definition_id in definition_ids
        and runtime.entity_kind == queue.entity_kind
        and (not queue.states or runtime.state in queue.states)
    )


def _case_name(runtime) -> str:
    return runtime.entity_name or runtime.entity_correlation_id or str(runtime.pk)


def cases_bulk_assign(
    *,
    project,
    queue: Queue,
    selection: dict,
    action: str,
    actor: Actor,
    assignee=None,
    take_over: bool = False,
    chunk: int | None = None,
) -> BulkResult:
    """Applies `action` to the selected cases ({id: version shown, or None}), which the caller
    read from the queue's scoped queryset (cases.selectors.bulk_selection). A case whose
    version differs from the one given changed meanwhile and is left alone."""
    role = require_can_act(actor, project)  # PermissionDenied for viewers and non-members
    if action not in BulkAction.values:
        raise ValidationFailed([FieldError("action", "Choose assign to me, assign to a member or unassign.")])
    if action == BulkAction.ASSIGN_ME:
        assignee = actor.user
    elif action == BulkAction.UNASSIGN:
        assignee = None
    elif assignee is None:
        raise ValidationFailed([FieldError("assignee", "Choose the member to assign the cases to.")])
    assignee_check(project=project, assignee=assignee)
    if not selection:
        raise ValidationFailed([FieldError("cases", "Select at least one case.")])
    if len(selection) > selectors.BULK_CAP:
        raise ValidationFailed([FieldError("cases", f"At most {selectors.BULK_CAP:,} cases at once; narrow the filters.")])
    take_over = take_over and role == Role.ADMIN
    definition_ids = {d.pk for d in queue.definitions.all()}
    result = BulkResult(action=action, assignee=assignee)
    chunk = chunk or BULK_CHUNK
    ids = sorted(selection, key=str)  # the order cases_lock locks them in
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        with transaction.atomic():
            locked = cases_lock(project=project, runtime_ids=part)
            for missing in [pk for pk in part if pk not in locked]:
                result.refused.append(Refusal(missing, str(missing), "It no longer exists."))
            history_rows = []
            for runtime in lock_order(locked.values()):
                _assign_one(project, runtime, selection.get(runtime.pk), queue, definition_ids, assignee, actor, take_over, role, result, history_rows)
            HistoryEvent.objects.bulk_create(history_rows)  # one row per changed case, one INSERT
    return result


def _assign_one(project, runtime, shown_version, queue, definition_ids, assignee, actor, take_over, role, result, history_rows) -> None:
    name = _case_name(runtime)
    if not _in_queue(runtime, queue, definition_ids):
        result.refused.append(Refusal(runtime.pk, name, f"It left the queue {queue.name} meanwhile."))
        return
    if not runtime.is_open:
        result.refused.append(Refusal(runtime.pk, name, f"It is closed ({runtime.get_status_display().lower()})."))
        return
    if shown_version is not None and int(shown_version) != runtime.version:
        result.refused.append(Refusal(runtime.pk, name, "It changed after the list was shown; open it to see what changed."))
        return
    try:
        row = assignment_apply(
            project=project, runtime=runtime, assignee=assignee, actor=actor, take_over=take_over, history_rows=history_rows
        )
    except decisions.TakeOverNeeded as error:
        hint = (
            "Tick “Take over cases assigned to others” to reassign it."
            if role == Role.ADMIN
            else "In bulk, operators change only unassigned cases and their own; take it over from its page."
        )
        result.refused.append(Refusal(runtime.pk, name, f"It is assigned to {error.assignee_label}. {hint}"))
        return
    except RuntimeClosed as error:
        result.refused.append(Refusal(runtime.pk, name, error.message))
        return
    except ServiceError as error:  # any other refusal of the single assignment
        result.refused.append(Refusal(runtime.pk, name, error.message))
        return
    (result.changed if row is not None else result.unchanged).append(runtime.pk)
