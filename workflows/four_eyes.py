"""Four eyes (SPEC section 5, `fourEyes`): a decision waiting on a case is confirmed (and its
event applied) or sent back by a different member; API keys and the system cannot do either."""

from django.db import transaction

from projects.models import Project
from webhooks.models import WebhookEvent
from webhooks.services import webhook_deliveries_create, webhook_events_number

from . import decisions
from .actors import Actor
from .errors import FieldError, PermissionDenied, ServiceError, ValidationFailed, WorkflowFailed
from .json_values import text_problem
from .models import HistoryKind
from .definitions import machine_for
from .services import (
    EventResult,
    _DefinitionBroke,
    _require_can_act,
    _require_open,
    _runtime_for_update,
    _workflow_mark_failed,
    event_apply,
)

RETURN_REASON_MAX_LENGTH = decisions.COMMENT_MAX_LENGTH


class OwnDecision(ServiceError):
    def __init__(self):
        super().__init__(
            message="You made this decision: a different member must give the second approval.", status_code=403
        )


class NotACheckerRole(ServiceError):
    def __init__(self):
        super().__init__(
            message="Only a project admin may give the second approval for this workflow.", status_code=403
        )


class NothingPending(ServiceError):
    def __init__(self):
        super().__init__(message="No decision awaits a second approval on this case.", status_code=409)


def _checked_case(*, project: Project, runtime_id, actor: Actor, expected_version):
    """The locked case, once the actor may check its pending decision."""
    if actor.user is None:
        raise PermissionDenied(
            "A second approval is given by a member on the case page; API keys and the system cannot give one."
        )
    role = _require_can_act(actor, project)  # viewers and outsiders: refused
    runtime = _runtime_for_update(project=project, runtime_id=runtime_id)
    _require_open(runtime)
    decisions.version_check(runtime, expected_version)
    if not runtime.pending_event:
        raise NothingPending()
    if runtime.pending_by_user_id is not None and runtime.pending_by_user_id == actor.user.pk:
        raise OwnDecision()
    if role not in decisions.four_eyes_roles(runtime.definition_version.config):
        raise NotACheckerRole()
    return runtime


def decision_confirm(*, project: Project, runtime_id, actor: Actor, expected_version=None) -> EventResult:
    """The second approval: the pending event is applied now, by the checker, after a
    history row saying who proposed it and who confirmed it."""
    try:
        return _decision_confirm(project=project, runtime_id=runtime_id, actor=actor, expected_version=expected_version)
    except _DefinitionBroke as broke:
        _workflow_mark_failed(broke, actor=actor)
        raise WorkflowFailed(
            f"The workflow definition could not process '{broke.event_name}': {broke.error}. The case is marked failed."
        ) from broke.error


@transaction.atomic
def _decision_confirm(*, project, runtime_id, actor, expected_version) -> EventResult:
    runtime = _checked_case(project=project, runtime_id=runtime_id, actor=actor, expected_version=expected_version)
    name, payload = runtime.pending_event, dict(runtime.pending_payload or {})
    confirmed = decisions.history_row(
        runtime,
        actor,
        HistoryKind.DECISION_CONFIRMED,
        event_name=name,
        payload={
            **payload,
            "proposedBy": runtime.pending_by_label,
            "proposedAt": runtime.pending_at.isoformat() if runtime.pending_at else None,
        },
    )
    decisions.pending_clear(runtime)
    return event_apply(
        project=project,
        runtime=runtime,
        machine=machine_for(runtime.definition_version),
        name=name,
        payload=payload,
        actor=actor,
        before=[confirmed],
    )


@transaction.atomic
def decision_return(*, project: Project, runtime_id, actor: Actor, reason: str, expected_version=None):
    """Sends the pending decision back with a reason: nothing of it is applied, the case is
    free for another decision."""
    reason = (reason or "").replace("\r\n", "\n").strip()
    if not reason:
        raise ValidationFailed([FieldError("reason", "A reason is required to send a decision back.")])
    if len(reason) > RETURN_REASON_MAX_LENGTH:
        raise ValidationFailed([FieldError("reason", f"At most {RETURN_REASON_MAX_LENGTH} characters.")])
    if text_problem(reason):
        raise ValidationFailed([FieldError("reason", text_problem(reason))])
    runtime = _checked_case(project=project, runtime_id=runtime_id, actor=actor, expected_version=expected_version)
    row = decisions.history_row(
        runtime,
        actor,
        HistoryKind.DECISION_RETURNED,
        event_name=runtime.pending_event,
        payload={"reason": reason, "proposedBy": runtime.pending_by_label, "payload": runtime.pending_payload},
    )
    decisions.pending_clear(runtime)
    events = webhook_events_number(runtime, [WebhookEvent.DECISION_RETURNED])
    runtime.save()
    row.save()
    webhook_deliveries_create(project=project, runtime=runtime, events=events, definition_key=runtime.definition.key)
    return runtime
