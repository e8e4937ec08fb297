"""Case work that moves no state: assigning a case (alone, or in bulk through
`assignment_apply`) and notes. Each writes one history row in the change's transaction."""

from django.db import transaction

from projects.models import ACTING_ROLES, Membership, Project

from . import decisions
from .actors import Actor
from .errors import FieldError, ValidationFailed
from .json_values import text_problem
from .models import HistoryEvent, HistoryKind, WorkflowRuntime
from .services import require_can_act, require_open, runtime_for_update

NOTE_MAX_LENGTH = 10_000


@transaction.atomic
def case_assign(
    *, project: Project, runtime_id, assignee, actor: Actor, expected_version=None, take_over: bool = False
) -> WorkflowRuntime:
    """Assign the case to a member who may act on it, or unassign it (assignee None). A
    person taking a case away from someone else must say so (`take_over`)."""
    require_can_act(actor, project)
    runtime = runtime_for_update(project=project, runtime_id=runtime_id)
    require_open(runtime)
    decisions.version_check(runtime, expected_version)
    assignee_check(project=project, assignee=assignee)
    assignment_apply(project=project, runtime=runtime, assignee=assignee, actor=actor, take_over=take_over)
    return runtime


def assignee_check(*, project: Project, assignee) -> None:
    """Superusers too: a case may only go to someone who sees it in this project's queues."""
    if assignee is not None and not Membership.objects.filter(
        project=project, user=assignee, role__in=ACTING_ROLES
    ).exists():
        raise ValidationFailed(
            [FieldError("assignee", "Cases can only be assigned to operators of this project.")]
        )


def assignment_apply(
    *, project: Project, runtime: WorkflowRuntime, assignee, actor: Actor, take_over: bool = False, history_rows: list | None = None
) -> HistoryEvent | None:
    """The assignment of one case locked by the caller, to an assignee already checked
    (assignee_check): refused when the case is closed or someone else's without `take_over`;
    None when it is already so, else its history row. The single and the bulk assignment
    (cases.bulk) both change a case through here; the bulk one passes `history_rows`, where
    the row is put to be inserted with the others of its transaction (one INSERT)."""
    require_open(runtime)
    previous = runtime.assignee
    if (previous.pk if previous else None) == (assignee.pk if assignee else None):
        return None
    if actor.user is not None and previous is not None and previous.pk != actor.user.pk and not take_over:
        raise decisions.TakeOverNeeded(previous.get_username())
    runtime.assignee = assignee
    runtime.save(update_fields=["assignee", "updated_at"])
    kind = HistoryKind.ASSIGNED if assignee else HistoryKind.UNASSIGNED
    row = HistoryEvent(
        project=project,
        runtime=runtime,
        kind=kind,
        from_state=runtime.state,
        to_state=runtime.state,
        payload={
            "from": previous.get_username() if previous else None,
            "to": assignee.get_username() if assignee else None,
        },
        **actor.history_fields(),
    )
    if history_rows is None:
        row.save()
    else:
        history_rows.append(row)
    return row


@transaction.atomic
def case_add_note(*, project: Project, runtime_id, text: str, actor: Actor, expected_version=None) -> HistoryEvent:
    require_can_act(actor, project)
    # Browsers send a textarea's line breaks as CRLF: stored as plain newlines.
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise ValidationFailed([FieldError("text", "A note cannot be empty.")])
    if len(text) > NOTE_MAX_LENGTH:
        raise ValidationFailed([FieldError("text", f"At most {NOTE_MAX_LENGTH} characters.")])
    if text_problem(text):
        raise ValidationFailed([FieldError("text", text_problem(text))])
    runtime = runtime_for_update(project=project, runtime_id=runtime_id)
    decisions.version_check(runtime, expected_version)
    runtime.save(update_fields=["updated_at"])
    return HistoryEvent.objects.create(
        project=project,
        runtime=runtime,
        kind=HistoryKind.NOTE,
        from_state=runtime.state,
        to_state=runtime.state,
        payload={"text": text},
        **actor.history_fields(),
    )
