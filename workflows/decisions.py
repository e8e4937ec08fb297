"""How people decide a case (SPEC section 5, "Console rules" and "Assignment discipline"):
which events are an operator's, which need a reason, who may decide, four eyes, and the
outcome a case shows. The services call these inside their transactions."""

import re
from dataclasses import dataclass

from django.utils import timezone

from projects.models import Role
from webhooks.models import WebhookEvent
from webhooks.services import webhook_deliveries_create, webhook_events_number

from .engine.machine import BUILTIN_EVENTS
from .errors import FieldError, ServiceError, ValidationFailed
from .models import HistoryEvent, HistoryKind, RuntimeStatus

REASON_MAX_LENGTH = 500
COMMENT_MAX_LENGTH = 5000
REASON_MARKS = ("rejected", "revision")
PLUGIN_LISTS = ("apiPlugins", "commonPlugins", "childWorkflowPlugins", "dispatchEventPlugins")
HOOK_EVENT = re.compile(r"/hook/([^/?#{}]+)")


# --- refusals ------------------------------------------------------------------------------


class StaleCase(ServiceError):
    """The form showed an older version of the case than the one stored."""

    def __init__(self):
        super().__init__(
            message="This case changed after your page was loaded, so nothing was done. "
            "Check the case as it is now and try again.",
            status_code=409,
        )


class NotYourCase(ServiceError):
    def __init__(self, assignee_label):
        super().__init__(
            message=f"This case is assigned to {assignee_label}: only they or a project admin can decide it. "
            "Take it over first.",
            status_code=403,
        )


class TakeOverNeeded(ServiceError):
    def __init__(self, assignee_label):
        self.assignee_label = assignee_label
        super().__init__(
            message=f"This case is assigned to {assignee_label}. Taking it over must be confirmed.",
            status_code=409,
        )


class NotAnOperatorEvent(ServiceError):
    def __init__(self, name):
        super().__init__(
            message=f"'{name}' is not an operator's event in this workflow; it is sent by the system or an integration.",
            errors=[FieldError("name", "Choose one of the buttons on the case page.")],
            status_code=400,
        )


class DecisionPending(ServiceError):
    def __init__(self, runtime):
        super().__init__(
            message=f"'{runtime.pending_event}' by {runtime.pending_by_label} awaits a second approval: "
            "a different member confirms it or sends it back first.",
            status_code=409,
        )


# --- labels --------------------------------------------------------------------------------


def readable(name: str) -> str:
    """`manual_review` -> "Manual review", `RESUBMITTED` -> "Resubmitted", `sendBack` -> "Send back"."""
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(name)).replace("_", " ").replace("-", " ").replace(".", " ").split()
    text = " ".join(words).lower()
    return text[:1].upper() + text[1:] if text else str(name)


def _label_of(node) -> str | None:
    if not isinstance(node, dict):
        return None
    meta = node.get("meta")
    label = meta.get("label") if isinstance(meta, dict) else None
    label = label or node.get("displayName")
    return label if isinstance(label, str) and label.strip() else None


def state_labels(statechart) -> dict[str, str]:
    states = statechart.get("states") if isinstance(statechart, dict) else None
    return {name: _label_of(state) or readable(name) for name, state in (states or {}).items()}


def event_labels(statechart) -> dict[str, str]:
    """An event's label: `meta.label` or `displayName` on one of its transitions, else its
    name made readable."""
    labels: dict[str, str] = {}
    for state in ((statechart or {}).get("states") or {}).values():
        for event, value in ((state or {}).get("on") or {}).items():
            candidates = value if isinstance(value, list) else [value]
            found = next((_label_of(c) for c in candidates if _label_of(c)), None)
            if found or event not in labels:
                labels[event] = found or labels.get(event) or readable(event)
    return labels


# --- which events are whose ----------------------------------------------------------------


def _extension_events(extensions) -> set[str]:
    """Plugin callback actions and the events a definition names in a hook URL."""
    names: set[str] = set()
    if not isinstance(extensions, dict):
        return names
    for key in PLUGIN_LISTS:
        plugins = extensions.get(key)
        for plugin in plugins if isinstance(plugins, list) else []:
            if not isinstance(plugin, dict):
                continue
            for action in ("successAction", "errorAction"):
                if isinstance(plugin.get(action), str):
                    names.add(plugin[action])
    for text in _strings(extensions):
        names.update(HOOK_EVENT.findall(text))
    return names


def _strings(value):
    """Every string inside a JSON value (a hook URL may sit anywhere in a plugin)."""
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, str):
            yield current
        elif isinstance(current, dict):
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)


def system_event_names(config, extensions) -> set[str]:
    config = config or {}
    names = set(config.get("systemEvents") or []) | _extension_events(extensions)
    for callback in config.get("childCallbackResults") or []:
        if isinstance(callback, dict) and isinstance(callback.get("deliverEvent"), str):
            names.add(callback["deliverEvent"])
    return names


def operator_events(version, machine, state: str, config=None) -> list[str]:
    """The events offered as buttons in `state`: `operatorEvents` when the definition lists
    them, else every event the state handles except system events, plugin callback actions
    and hook events."""
    config = version.config if config is None else config
    handled = machine.next_events(state)
    listed = (config or {}).get("operatorEvents")
    if listed:
        return [name for name in handled if name in listed]
    excluded = system_event_names(config, version.extensions)
    return [name for name in handled if name not in excluded]


def reason_events(config, machine, state: str) -> set[str]:
    """Events of `state` that ask for a reason: those with `decisionReasons`, and those that
    lead to a state named or tagged `rejected` or `revision`."""
    listed = set((config or {}).get("decisionReasons") or {})
    leading = {
        event
        for source, event, target in machine.edges()
        if source == state and event and any(mark in {target, *machine.tags(target)} for mark in REASON_MARKS)
    }
    return (listed | leading) & set(machine.next_events(state))


def reasons_for(config, event: str) -> list[str]:
    return list(((config or {}).get("decisionReasons") or {}).get(event) or [])


def reason_errors(payload) -> list[FieldError]:
    payload = payload or {}
    errors = []
    reason = payload.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        errors.append(FieldError("payload.reason", "A reason is required for this decision."))
    elif len(reason) > REASON_MAX_LENGTH:
        errors.append(FieldError("payload.reason", f"At most {REASON_MAX_LENGTH} characters."))
    comment = payload.get("comment")
    if comment is not None and not isinstance(comment, str):
        errors.append(FieldError("payload.comment", "Must be a string."))
    elif isinstance(comment, str) and len(comment) > COMMENT_MAX_LENGTH:
        errors.append(FieldError("payload.comment", f"At most {COMMENT_MAX_LENGTH} characters."))
    return errors


def four_eyes_events(config) -> set[str]:
    rule = (config or {}).get("fourEyes")
    return set(rule.get("events") or []) if isinstance(rule, dict) else set()


def four_eyes_roles(config) -> set[str]:
    rule = (config or {}).get("fourEyes")
    role = rule.get("role") if isinstance(rule, dict) else None
    return {Role.ADMIN} if role == Role.ADMIN else {Role.OPERATOR, Role.ADMIN}


def may_decide(runtime, user, role) -> bool:
    """The assignment rule: only the assignee or an admin decides an assigned case."""
    assignee = runtime.assignee
    return assignee is None or assignee.pk == user.pk or role == Role.ADMIN


def may_check(runtime, user, role) -> bool:
    """Whether `user` may confirm or send back the pending decision: not its maker, and with
    the role `fourEyes` asks for."""
    return runtime.pending_by_user_id != user.pk and role in four_eyes_roles(runtime.definition_version.config)


# --- checks inside an event ----------------------------------------------------------------


def version_check(runtime, expected_version) -> None:
    if expected_version is not None and int(expected_version) != runtime.version:
        raise StaleCase()


def person_event_check(runtime, machine, name: str, payload, *, actor, role) -> list[HistoryEvent]:
    """The rules for a person deciding a case from the pages: an operator's event only, the
    assignee or an admin only, a reason where one is asked. Deciding an unassigned case
    assigns it: the assignment row is returned, to be written with the event."""
    version = runtime.definition_version
    if name not in operator_events(version, machine, runtime.state) and name in machine.next_events(runtime.state):
        raise NotAnOperatorEvent(name)
    if name in BUILTIN_EVENTS:
        raise NotAnOperatorEvent(name)
    assignee = runtime.assignee
    if not may_decide(runtime, actor.user, role):
        raise NotYourCase(assignee.get_username())
    if name in reason_events(version.config, machine, runtime.state):
        errors = reason_errors(payload)
        if errors:
            raise ValidationFailed(errors)
    if assignee is not None:
        return []
    runtime.assignee = actor.user
    return [
        history_row(
            runtime,
            actor,
            HistoryKind.ASSIGNED,
            payload={"from": None, "to": actor.user.get_username(), "because": f"decided '{name}'"},
        )
    ]


def integration_reason_check(runtime, machine, name: str, payload) -> None:
    """API keys give reasons only when the definition says `requireDecisionReasons`, so
    Ballerine clients sending `{"name": "reject"}` keep working."""
    config = runtime.definition_version.config or {}
    if config.get("requireDecisionReasons") and name in reason_events(config, machine, runtime.state):
        errors = reason_errors(payload)
        if errors:
            raise ValidationFailed(errors)


def history_row(runtime, actor, kind, **fields) -> HistoryEvent:
    return HistoryEvent(
        project_id=runtime.project_id,
        runtime=runtime,
        kind=kind,
        from_state=fields.pop("from_state", runtime.state),
        to_state=fields.pop("to_state", runtime.state),
        **actor.history_fields(),
        **fields,
    )


def needs_second_approval(runtime, name: str, actor) -> bool:
    """A four-eyes event decided by a person waits for a second member. API keys and the
    system are outside the people's rules: their events are applied (but while a person's
    decision waits, they cannot confirm it by sending it: DecisionPending)."""
    if actor.user is None:
        return False
    return name in four_eyes_events(runtime.definition_version.config)


def decision_propose(*, project, runtime, name: str, payload, actor, before: list[HistoryEvent]) -> list[HistoryEvent]:
    """Park a four-eyes decision on the case: the event is checked (it is handled now) but
    not applied. One history row and `workflow.decision.pending` webhooks, in the caller's
    transaction."""
    now = timezone.now()
    runtime.pending_event = name
    runtime.pending_payload = payload or {}
    runtime.pending_by_user = actor.user
    runtime.pending_by_label = actor.label
    runtime.pending_at = now
    events = webhook_events_number(runtime, [WebhookEvent.DECISION_PENDING])
    runtime.save()
    history = [*before, history_row(runtime, actor, HistoryKind.DECISION_PROPOSED, event_name=name, payload=payload or {})]
    HistoryEvent.objects.bulk_create(history)
    webhook_deliveries_create(project=project, runtime=runtime, events=events, definition_key=runtime.definition.key)
    return history


def pending_clear(runtime) -> None:
    runtime.pending_event = ""
    runtime.pending_payload = {}
    runtime.pending_by_user = None
    runtime.pending_by_label = ""
    runtime.pending_at = None


def pending_drop_if_moved(runtime, actor, from_state: str) -> list[HistoryEvent]:
    """A pending decision was about the state it was made in: when something else (an
    integration, the system) moves the case on, it is dropped, and the history says so."""
    if not runtime.pending_event or runtime.state == from_state:
        return []
    row = history_row(
        runtime,
        actor,
        HistoryKind.DECISION_DROPPED,
        event_name=runtime.pending_event,
        from_state=from_state,
        payload={"proposedBy": runtime.pending_by_label, "payload": runtime.pending_payload},
    )
    pending_clear(runtime)
    return [row]


# --- the outcome a case shows --------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    key: str
    label: str
    css: str  # Bootstrap colour
    by: str
    at: object


def state_badge(state: str, tags) -> tuple[str, str]:
    """The label and colour of the decision a state stands for (for the history's final rows)."""
    marks = {state, *(tags or [])}
    for mark, label, css in (("approved", "Approved", "success"), ("rejected", "Rejected", "danger"), ("revision", "Revision requested", "info")):
        if mark in marks:
            return label, css
    return "Completed", "secondary"


def case_outcome(runtime) -> Outcome:
    """The first thing an operator and an auditor read: the decision, who took it, when."""
    if runtime.pending_event:
        return Outcome("pending", "Pending second approval", "warning", runtime.pending_by_label, runtime.pending_at)
    by, at = runtime.decided_by_label, runtime.decided_at
    if runtime.status == RuntimeStatus.FAILED:
        return Outcome("failed", "Failed", "danger", by, at or runtime.resolved_at)
    marks = {runtime.state, *(runtime.tags or [])}
    if "approved" in marks:
        return Outcome("approved", "Approved", "success", by, at)
    if "rejected" in marks:
        return Outcome("rejected", "Rejected", "danger", by, at)
    if "revision" in marks:
        return Outcome("revision", "Revision requested", "info", by, at)
    if runtime.status == RuntimeStatus.COMPLETED:
        return Outcome("completed", "Completed", "secondary", by, at or runtime.resolved_at)
    return Outcome("open", "Open", "primary", "", None)
