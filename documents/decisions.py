"""Per-document decisions (SPEC section 11, "Review"): approve, reject with a reason, ask for
revision with a reason, or undo. One service for the API and the case page; the decision is
stored in the document with Ballerine's strings, so task-level guards written for Ballerine
(`documents[].decision.status`) keep working, and the case re-checks `always` after it."""

import copy
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from webhooks.models import WebhookEvent
from workflows import decisions, locking
from workflows.actors import Actor
from workflows.errors import FieldError, NotFound, ServiceError, ValidationFailed
from workflows.models import HistoryKind
from workflows.services import context_replace, require_can_act, require_open
from workflows.validation import context_errors

# What a caller asks for -> the status stored (Ballerine's strings).
DECISIONS = {"approve": "approved", "reject": "rejected", "revision": "revision"}
REASON_FIELDS = {"rejected": "rejectionReason", "revision": "revisionReason"}
STATUS_LABELS = {"approved": "approved", "rejected": "rejected", "revision": "asked for revision", None: "undecided"}


class DocumentAlreadyDecided(ServiceError):
    """Someone decided the document after the page was loaded: this decision is not applied."""

    def __init__(self, document: dict):
        decision = document.get("decision") or {}
        status = decision.get("status")
        who = decision.get("decidedBy") or "someone"
        reason = decision.get(REASON_FIELDS.get(status, ""), "")
        super().__init__(
            message=f"This document was {STATUS_LABELS.get(status, status)} by {who} after your page was loaded"
            f"{f' ({reason})' if reason else ''}, so your decision was not applied. Check it and decide again if needed.",
            status_code=409,
        )


@dataclass
class DocumentDecisionResult:
    runtime: object
    document: dict
    failure: str = ""


def document_label(document: dict) -> str:
    parts = [str(document.get(key)) for key in ("category", "type") if document.get(key)]
    return " - ".join(parts) or str(document.get("id"))


def _decision_problems(decision, reason, comment) -> list[FieldError]:
    if decision is not None and decision not in DECISIONS:
        return [FieldError("decision", "Must be 'approve', 'reject', 'revision' or null (undo).")]
    problems = []
    status = DECISIONS.get(decision)
    if status in REASON_FIELDS and (not isinstance(reason, str) or not reason.strip()):
        problems.append(FieldError("reason", f"A reason is required to {'reject' if status == 'rejected' else 'ask for a revision of'} a document."))
    elif isinstance(reason, str) and len(reason) > decisions.REASON_MAX_LENGTH:
        problems.append(FieldError("reason", f"At most {decisions.REASON_MAX_LENGTH} characters."))
    if comment is not None and not isinstance(comment, str):
        problems.append(FieldError("comment", "Must be a string."))
    elif isinstance(comment, str) and len(comment) > decisions.COMMENT_MAX_LENGTH:
        problems.append(FieldError("comment", f"At most {decisions.COMMENT_MAX_LENGTH} characters."))
    return problems


def _people_rules(runtime, actor: Actor, role) -> None:
    """The decision rules of the case page: the assignee or an admin decides an assigned case."""
    if actor.user is not None and not decisions.may_decide(runtime, actor.user, role):
        raise decisions.NotYourCase(runtime.assignee.get_username())


@locking.deadlock_retried
@transaction.atomic
def document_decide(
    *,
    project,
    runtime_id,
    document_id: str,
    decision: str | None,
    reason: str = "",
    comment: str = "",
    actor: Actor,
    expected_version=None,
    expected_status: str | None = None,
) -> DocumentDecisionResult:
    """Decides one document of an open case. `expected_version` / `expected_status`: what the
    page showed (the case's version, the document's decision status, "" for undecided); a page that is behind
    is refused, naming the decision made meanwhile when there was one."""
    problems = _decision_problems(decision, reason, comment)
    if problems:
        raise ValidationFailed(problems)
    role = require_can_act(actor, project)
    runtime = locking.case_lock(project=project, runtime_id=runtime_id)
    documents = runtime.context.get("documents") if isinstance(runtime.context, dict) else None
    index = next(
        (i for i, document in enumerate(documents or []) if isinstance(document, dict) and str(document.get("id")) == str(document_id)),
        None,
    )
    if index is None:
        raise NotFound(f"This case has no document '{document_id}'.")
    current = documents[index]
    if expected_version is not None and int(expected_version) != runtime.version:
        shown_status = (current.get("decision") or {}).get("status") or ""
        if expected_status is not None and shown_status != expected_status:
            raise DocumentAlreadyDecided(current)
        raise decisions.StaleCase()
    require_open(runtime)
    if runtime.pending_event:
        raise decisions.DecisionPending(runtime)
    _people_rules(runtime, actor, role)
    status = DECISIONS.get(decision)
    new_decision = {
        "status": status,
        "rejectionReason": reason.strip() if status == "rejected" else None,
        "revisionReason": reason.strip() if status == "revision" else None,
        "comment": (comment or "").strip() or None,
        "decidedBy": actor.label,
        "decidedAt": timezone.now().isoformat(),
        # The version decided: a re-upload in revision adds a version, decided anew.
        "documentVersion": current.get("version", 1),
    }
    context = copy.deepcopy(runtime.context)
    context["documents"][index] = {**current, "decision": new_decision}
    problems = context_errors(context, runtime.definition_version.context_schema)
    if problems:
        raise ValidationFailed(problems, message="The context with this decision does not match the context schema")
    if actor.user is not None and runtime.assignee is None:
        # As for a case decision: deciding an unassigned case's document takes the case.
        runtime.assignee = actor.user
        decisions.history_row(
            runtime, actor, HistoryKind.ASSIGNED, payload={"from": None, "to": actor.user.get_username(), "because": "decided a document"}
        ).save()
    result = context_replace(
        project=project,
        runtime=runtime,
        context=context,
        actor=actor,
        kind=HistoryKind.DOCUMENT_DECIDED,
        payload={
            "documentId": str(document_id),
            "document": document_label(current),
            "documentVersion": new_decision["documentVersion"],
            "decision": status,
            "previousDecision": (current.get("decision") or {}).get("status"),
            "reason": new_decision["rejectionReason"] or new_decision["revisionReason"] or "",
            "comment": new_decision["comment"] or "",
        },
        webhook_event=WebhookEvent.DOCUMENT_CHANGED,
    )
    return DocumentDecisionResult(runtime=result.runtime, document=context["documents"][index], failure=result.failure)
