"""Writes to cases: starting them (a run), events, and the context changes of the other
writers (hooks, plugins, document decisions). Every edge (API, pages, admin, commands) calls
these; each change to a case writes its history rows in the same transaction as the change.
Definitions are in `definitions`, the run's entity in `entities`, assignments and notes in
`case_work`."""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from automation.queueing import plugin_runs_queue
from documents.fetch_queue import file_fetches_queue
from documents.intake import documents_intake, documents_revise
from projects.models import ACTING_ROLES, Membership, Project, Role
from webhooks.models import WebhookEvent
from webhooks.services import webhook_deliveries_create, webhook_events_number

from . import decisions, engine, locking
from .actors import Actor
from .definitions import definition_version_resolve, machine_for
from .entities import entity_upsert
from .errors import (
    EventRefused,
    FieldError,
    OpenCaseExists,
    PermissionDenied,
    RuntimeClosed,
    ServiceError,
    ValidationFailed,
    WorkflowFailed,
)
from .json_values import json_value_errors, text_problem
from .models import ApprovalState, HistoryEvent, HistoryKind, RuntimeStatus, WorkflowRuntime
from .sla import due_time
from .validation import context_errors, run_input_errors, validate_run_input



# --- runtimes ------------------------------------------------------------------------------


@dataclass
class StartResult:
    runtime: WorkflowRuntime
    created: bool
    definition_key: str
    history: list[HistoryEvent] = field(default_factory=list)


def _engine_failure(error: engine.EngineError) -> ServiceError:
    return ServiceError(
        message=f"The workflow definition could not process this: {error}", status_code=422
    )


def _history(runtime: WorkflowRuntime, actor: Actor, kind: HistoryKind, **fields) -> HistoryEvent:
    return HistoryEvent(
        project_id=runtime.project_id, runtime=runtime, kind=kind, **actor.history_fields(), **fields
    )


def _transition_rows(runtime, actor, transitions) -> list[HistoryEvent]:
    return [
        _history(
            runtime,
            actor,
            HistoryKind.TRANSITION,
            event_name=t.event or "",
            from_state=t.source,
            to_state=t.target,
        )
        for t in transitions
    ]


def _apply_step(runtime: WorkflowRuntime, step: engine.StepResult) -> bool:
    """Puts the step's outcome on the case; True when the case came to rest in another state
    (a new entry: the plugins of that state are to run)."""
    entered = runtime._state.adding or step.state != runtime.state
    if entered and not runtime._state.adding:
        runtime.state_entry += 1
    runtime.state = step.state
    runtime.tags = list(step.tags)
    runtime.context = step.context
    if step.status == "completed" and runtime.status != RuntimeStatus.COMPLETED:
        runtime.status = RuntimeStatus.COMPLETED
        runtime.resolved_at = timezone.now()
    return entered


def state_outcome(state: str, tags) -> str | None:
    """The decision a final state stands for, by its name or tags: approved, rejected or none."""
    marks = {state, *tags}
    if "approved" in marks:
        return ApprovalState.APPROVED
    if "rejected" in marks:
        return ApprovalState.REJECTED
    return None


def _entity_outcome(runtime: WorkflowRuntime) -> str | None:
    if runtime.status != RuntimeStatus.COMPLETED:
        return None
    return state_outcome(runtime.state, runtime.tags)


def _record_entity_outcome(runtime: WorkflowRuntime) -> None:
    outcome = _entity_outcome(runtime)
    if outcome:
        entity = runtime.entity
        entity.approval_state = outcome
        entity.save(update_fields=["approval_state", "updated_at"])


def _entity_kept_errors(runtime: WorkflowRuntime, new_context) -> list[FieldError]:
    """A case belongs to one entity: an event may change its data, not which entity it is."""
    entity = new_context.get("entity") if isinstance(new_context, dict) else None
    entity = entity if isinstance(entity, dict) else {}
    kept = {"type": runtime.entity.kind, "id": runtime.entity.correlation_id}
    return [
        FieldError(
            f"context.entity.{key}",
            f"Must stay '{value}': a case's entity cannot be changed by an event (start a workflow for the other entity).",
        )
        for key, value in kept.items()
        if entity.get(key) != value
    ]


def _change_events(from_state: str, *, runtime: WorkflowRuntime, context_changed: bool) -> list[str]:
    """The webhook events a change to an active runtime makes, in the order they happened."""
    events = []
    if context_changed:
        events.append(WebhookEvent.CONTEXT_CHANGED)
    if runtime.state != from_state:
        events.append(WebhookEvent.STATE_CHANGED)
    if runtime.status == RuntimeStatus.COMPLETED:
        events.append(WebhookEvent.COMPLETED)
    return events


def _require_can_act(actor: Actor, project: Project) -> str | None:
    """The role a person acts with (superusers act as admins); None for API keys and the
    system, which are outside the people's rules."""
    if actor.user is None:
        return None  # API keys belong to one project; system actions are trusted.
    if actor.user.is_superuser:
        return Role.ADMIN
    role = (
        Membership.objects.filter(project=project, user=actor.user, role__in=ACTING_ROLES)
        .values_list("role", flat=True)
        .first()
    )
    if role is None:
        raise PermissionDenied()
    return role


require_can_act = _require_can_act
# For the other writers of cases in this app (workflows.maintenance).
transition_rows = _transition_rows
entity_outcome_record = _record_entity_outcome


def history_write(*, runtime: WorkflowRuntime, actor: Actor, kind: HistoryKind, payload: dict, event_name: str = "") -> HistoryEvent:
    """One history row for a change of a locked case that moves nothing (the case is saved,
    so its version counts the change)."""
    runtime.save(update_fields=["updated_at"])
    row = _history(runtime, actor, kind, event_name=event_name, from_state=runtime.state, to_state=runtime.state, payload=payload)
    row.save()
    return row


def _merged_config(base: dict, override: dict | None) -> dict:
    return engine.deep_merge(base or {}, override or {}, "replace")


@locking.deadlock_retried
@transaction.atomic
def workflow_start(
    *,
    project: Project,
    workflow_id: str,
    context,
    config=None,
    version: int | None = None,
    actor: Actor,
    update_open_case: bool = True,
    parent: WorkflowRuntime | None = None,
) -> StartResult:
    """`POST /workflows/run` (SPEC section 4, steps 1-3) for the API and the pages alike.
    With `update_open_case` off (a person adding a case by hand), an entity's open case is
    not overwritten: OpenCaseExists is raised instead. With `parent` (a child plugin, SPEC
    section 12) a new case is always started, recorded as the parent's child: a person who is a
    UBO of two companies gets two cases."""
    _require_can_act(actor, project)
    definition_version = definition_version_resolve(project=project, key=workflow_id, version=version)
    if run_input_errors(context=context, config=config, context_schema=None, project=project):
        # No entity to look a case up by: report everything against the resolved version.
        validate_run_input(
            context=context, config=config, context_schema=definition_version.context_schema, project=project
        )
    # Base64 pages become stored files, and documents get ids, before anything is written.
    context = documents_intake(project, context, created_by_label=actor.label)
    # Without an override the version's config is the case's as it is: the version was read for
    # this call alone (definition_version_resolve), so nothing else holds that dict.
    run_config = _merged_config(definition_version.config, config) if config else (definition_version.config or {})
    entity, entity_created = entity_upsert(project=project, entity_input=context["entity"])

    # A brand-new entity cannot have an active runtime yet: no need to look.
    existing = None
    if not entity_created and parent is None and not run_config.get("allowMultipleActiveWorkflows"):
        existing = locking.open_case_lock(entity=entity, definition_id=definition_version.definition_id)
    # A case stays on the version it started on, its states and its schema; the upsert above
    # is undone with the transaction when the context does not fit.
    if existing is not None and not update_open_case:
        raise OpenCaseExists(existing.pk)
    target_version = existing.definition_version if existing is not None else definition_version
    schema_problems = context_errors(context, target_version.context_schema)
    if schema_problems:
        raise ValidationFailed(schema_problems)
    machine = machine_for(target_version)
    if existing is not None:
        return _workflow_rerun(project, existing, machine, context, config, actor, workflow_id)

    try:
        step = machine.start(context)
        transitions = list(step.transitions)
        initial_event = run_config.get("initialEvent")
        if initial_event and step.status != "completed":
            before = step.state
            step = machine.send(step.state, step.context, initial_event, {})
            if not step.handled and step.refusal != "guards_failed":
                allowed = ", ".join(machine.next_events(before)) or "none"
                raise ValidationFailed(
                    [FieldError("config.initialEvent", f"State '{before}' does not handle '{initial_event}' (it handles: {allowed}).")]
                )
            transitions += step.transitions
    except engine.EngineError as error:
        raise _engine_failure(error) from error

    runtime = WorkflowRuntime(
        project=project,
        definition_id=definition_version.definition_id,
        definition_version=definition_version,
        entity=entity,
        entity_kind=entity.kind,
        config=run_config,
        created_by_user=actor.user,
        created_by_api_key=actor.api_key,
        created_by_label=actor.label,
        parent_runtime=parent,
        due_at=due_time(definition_version.config, timezone.now()),  # slaHours (workflows.sla)
    )
    runtime.definition_version = definition_version
    _apply_step(runtime, step)
    events = webhook_events_number(
        runtime, [WebhookEvent.CREATED] + ([WebhookEvent.COMPLETED] if runtime.status == RuntimeStatus.COMPLETED else [])
    )
    runtime.save()
    history = [
        _history(
            runtime,
            actor,
            HistoryKind.CREATED,
            to_state=machine.initial_state,
            payload={"context": context, "config": config or {}},
        ),
        *_transition_rows(runtime, actor, transitions),
    ]
    HistoryEvent.objects.bulk_create(history)
    _record_entity_outcome(runtime)
    webhook_deliveries_create(project=project, runtime=runtime, events=events, definition_key=workflow_id)
    plugin_runs_queue(runtime)
    file_fetches_queue(runtime)
    return StartResult(runtime=runtime, created=True, definition_key=workflow_id, history=history)


def _workflow_rerun(project, runtime, machine, context, config, actor, definition_key) -> StartResult:
    """A run for an entity that already has an active runtime of the definition updates that
    case instead of starting a second one: its keys merge over the context as UPDATE_CONTEXT
    does, its documents by id (the previous context is kept in history)."""
    previous_context = runtime.context
    from_state = runtime.state
    if isinstance(context.get("documents"), list):
        context = {**context, "documents": documents_revise(previous_context.get("documents"), context["documents"])}
    merged = engine.rerun_context(previous_context, context)
    # What is stored is the merge, so it is what must fit the schema (a run's own context can
    # fit while the merge does not, e.g. under maxProperties).
    problems = context_errors(merged, runtime.definition_version.context_schema)
    if problems:
        raise ValidationFailed(problems, message="The case's context with this run merged in does not match the context schema")
    try:
        step = machine.send(runtime.state, runtime.context, "UPDATE_CONTEXT", {"context": merged})
    except engine.EngineError as error:
        raise _engine_failure(error) from error
    if config:
        runtime.config = _merged_config(runtime.config, config)
    entered = _apply_step(runtime, step)
    _decided(runtime, actor, from_state)
    dropped = decisions.pending_drop_if_moved(runtime, actor, from_state)
    changed = runtime.context != previous_context
    events = webhook_events_number(runtime, _change_events(from_state, runtime=runtime, context_changed=changed))
    runtime.save()
    # The call is recorded either way; a repeat of the same data says so instead of storing
    # the context twice.
    payload = (
        {"previousContext": previous_context, "context": context, "config": config or {}}
        if changed
        else {"unchanged": True, "config": config or {}}
    )
    history = [
        _history(runtime, actor, HistoryKind.RERUN, from_state=from_state, to_state=from_state, payload=payload),
        *_transition_rows(runtime, actor, step.transitions),
        *dropped,
    ]
    HistoryEvent.objects.bulk_create(history)
    _record_entity_outcome(runtime)
    webhook_deliveries_create(project=project, runtime=runtime, events=events, definition_key=definition_key)
    if entered:
        plugin_runs_queue(runtime)
    file_fetches_queue(runtime)
    _report_to_parent(runtime, actor)
    return StartResult(runtime=runtime, created=False, definition_key=definition_key, history=history)


def _runtime_for_update(*, project: Project, runtime_id) -> WorkflowRuntime:
    # Everything the answer shows comes with the lock, so callers need not read it again.
    return locking.case_lock(project=project, runtime_id=runtime_id)


def _require_open(runtime: WorkflowRuntime) -> None:
    if runtime.status != RuntimeStatus.ACTIVE:
        raise RuntimeClosed(f"The workflow is {runtime.status}; it accepts no more changes.")


@dataclass
class EventResult:
    runtime: WorkflowRuntime
    history: list[HistoryEvent]
    # Set by system_event_send when the definition could not process the event (case failed).
    failure: str = ""


@locking.deadlock_retried
def workflow_send_event(
    *, project: Project, runtime_id, name: str, payload=None, actor: Actor, expected_version=None
) -> EventResult:
    """Apply an event. The row lock serialises concurrent events on one runtime: each sees
    the state the previous one left, so none is lost. When the definition itself cannot
    process the event (a guard that throws, `always` transitions that loop), nothing of the
    event is applied and the case is marked failed, with the reason in its history.

    People follow the console rules (workflows.decisions): operator events only, the
    assignee or an admin decides, reasons where asked, and `expected_version` (the version
    the page showed) must still be the case's. A four-eyes event waits for a second member."""
    try:
        return _workflow_send_event(
            project=project, runtime_id=runtime_id, name=name, payload=payload, actor=actor, expected_version=expected_version
        )
    except _DefinitionBroke as broke:
        _workflow_mark_failed(broke, actor=actor)
        raise WorkflowFailed(
            f"The workflow definition could not process '{name}': {broke.error}. The case is marked failed."
        ) from broke.error


class _DefinitionBroke(Exception):
    def __init__(self, runtime, event_name, error):
        super().__init__(str(error))
        self.runtime, self.event_name, self.error = runtime, event_name, error


@transaction.atomic
def _workflow_mark_failed(broke: _DefinitionBroke, *, actor: Actor) -> None:
    runtime = locking.case_lock(project=broke.runtime.project, runtime_id=broke.runtime.pk)
    if runtime.status != RuntimeStatus.ACTIVE or runtime.state != broke.runtime.state:
        return  # something else changed the case meanwhile: it is not this failure's to mark
    _mark_failed_locked(runtime, event_name=broke.event_name, error=broke.error, actor=actor)


def _mark_failed_locked(runtime: WorkflowRuntime, *, event_name: str, error, actor: Actor) -> None:
    runtime.status = RuntimeStatus.FAILED
    runtime.resolved_at = timezone.now()
    runtime.decided_by_label, runtime.decided_at = actor.label, runtime.resolved_at
    decisions.pending_clear(runtime)
    events = webhook_events_number(runtime, [WebhookEvent.FAILED])
    runtime.save()
    _history(
        runtime,
        actor,
        HistoryKind.FAILED,
        event_name=event_name,
        from_state=runtime.state,
        to_state=runtime.state,
        payload={"error": str(error)},
    ).save()
    webhook_deliveries_create(project=runtime.project, runtime=runtime, events=events, definition_key=runtime.definition.key)
    _report_to_parent(runtime, actor)


def system_event_send(*, project: Project, runtime: WorkflowRuntime, name: str, payload=None, actor: Actor) -> EventResult:
    """Sends an event for the system (a plugin's success or error action, a vendor's hook) to
    a case the caller has locked (workflows.locking) inside its transaction: the same engine
    step, history, webhooks, `always` and plugins as any event. A definition that cannot
    process it marks the case failed in this transaction and says so in `failure`, so the
    caller's transaction keeps that mark."""
    _require_open(runtime)
    machine = machine_for(runtime.definition_version)
    try:
        return event_apply(project=project, runtime=runtime, machine=machine, name=name, payload=payload, actor=actor)
    except _DefinitionBroke as broke:  # raised before anything of the event was written
        _mark_failed_locked(runtime, event_name=name, error=broke.error, actor=actor)
        return EventResult(
            runtime=runtime,
            history=[],
            failure=f"The workflow definition could not process '{name}': {broke.error}. The case is marked failed.",
        )


def context_replace(
    *, project: Project, runtime: WorkflowRuntime, context: dict, actor: Actor, kind: HistoryKind, payload: dict, webhook_event: str
) -> EventResult:
    """Replaces the context of a locked, open case (a document decision) with one history row
    of `kind` and the `webhook_event` webhook, then re-checks `always` as any event does, so a
    definition can move on by itself (transition rows, webhooks and plugins as for an event).
    The caller has checked the new context against the schema. A definition that cannot
    process it marks the case failed in this transaction (`failure`)."""
    machine = machine_for(runtime.definition_version)
    previous, from_state = runtime.context, runtime.state
    try:
        step = machine.send(runtime.state, previous, "UPDATE_CONTEXT", {"context": context})
    except engine.EngineError as error:
        _mark_failed_locked(runtime, event_name="UPDATE_CONTEXT", error=error, actor=actor)
        return EventResult(runtime=runtime, history=[], failure=f"The workflow definition could not process the change: {error}. The case is marked failed.")
    entered = _apply_step(runtime, step)
    runtime.context = context  # what was decided, exactly (the step merged it over the old one)
    _decided(runtime, actor, from_state)
    dropped = decisions.pending_drop_if_moved(runtime, actor, from_state)
    moved = [event for event in _change_events(from_state, runtime=runtime, context_changed=False)]
    events = webhook_events_number(runtime, [webhook_event, *moved])
    runtime.save()
    row = _history(runtime, actor, kind, from_state=from_state, to_state=from_state, payload={**payload, "previousContext": previous})
    history = [row, *_transition_rows(runtime, actor, step.transitions), *dropped]
    HistoryEvent.objects.bulk_create(history)
    _record_entity_outcome(runtime)
    webhook_deliveries_create(project=project, runtime=runtime, events=events, definition_key=runtime.definition.key)
    if entered:
        plugin_runs_queue(runtime)
    _report_to_parent(runtime, actor)
    return EventResult(runtime=runtime, history=history)


def context_write(
    *, project: Project, runtime: WorkflowRuntime, context: dict, actor: Actor, kind: HistoryKind, payload: dict, webhook_event: str = WebhookEvent.CONTEXT_CHANGED
) -> HistoryEvent:
    """Replaces the context of a locked, open case for the system (a plugin's persisted
    response, a hook's result), with one history row (`payload` plus the previous context)
    and the context-changed webhook, in the caller's transaction. The caller has checked the
    new context against the schema."""
    previous = runtime.context
    changed = context != previous
    runtime.context = context
    events = webhook_events_number(runtime, [webhook_event] if changed else [])
    runtime.save()
    row = _history(
        runtime,
        actor,
        kind,
        from_state=runtime.state,
        to_state=runtime.state,
        payload={**payload, **({"previousContext": previous} if changed else {"unchanged": True})},
    )
    row.save()
    webhook_deliveries_create(project=project, runtime=runtime, events=events, definition_key=runtime.definition.key)
    _report_to_parent(runtime, actor)
    return row


def _decided(runtime: WorkflowRuntime, actor: Actor, from_state: str) -> None:
    """Who moved the case into its state, and when: the outcome badge shows it."""
    if runtime.state != from_state or runtime.status != RuntimeStatus.ACTIVE:
        runtime.decided_by_label, runtime.decided_at = actor.label, timezone.now()


@transaction.atomic
def _workflow_send_event(*, project: Project, runtime_id, name: str, payload, actor: Actor, expected_version=None) -> EventResult:
    if not isinstance(name, str) or not name:
        raise ValidationFailed([FieldError("name", "This field is required (an event name).")])
    if text_problem(name):
        raise ValidationFailed([FieldError("name", text_problem(name))])
    if payload is not None and not isinstance(payload, dict):
        raise ValidationFailed([FieldError("payload", "Must be an object.")])
    if payload:
        errors = json_value_errors(payload, "payload")
        if errors:
            raise ValidationFailed(errors)
    role = _require_can_act(actor, project)
    runtime = _runtime_for_update(project=project, runtime_id=runtime_id)
    _require_open(runtime)
    decisions.version_check(runtime, expected_version)
    machine = machine_for(runtime.definition_version)
    if runtime.pending_event and name not in engine.BUILTIN_EVENTS:
        raise decisions.DecisionPending(runtime)
    before = []
    if actor.user is not None:
        before = decisions.person_event_check(runtime, machine, name, payload, actor=actor, role=role)
    elif actor.api_key is not None:
        decisions.integration_reason_check(runtime, machine, name, payload)
    return event_apply(
        project=project,
        runtime=runtime,
        machine=machine,
        name=name,
        payload=payload,
        actor=actor,
        before=before,
        propose=decisions.needs_second_approval(runtime, name, actor),
    )


def event_apply(*, project, runtime, machine, name, payload, actor, before=(), propose=False) -> EventResult:
    """Applies an event to a locked, open case whose rules were checked, writing `before`
    (rows of the same change) first. With `propose`, the event is only checked and parked
    for a second approval (decisions.decision_propose)."""
    try:
        step = machine.send(runtime.state, runtime.context, name, payload or {})
    except engine.InvalidEventPayload as error:
        raise ValidationFailed([FieldError("payload", str(error))]) from error
    except engine.EngineError as error:
        raise _DefinitionBroke(runtime, name, error) from error
    if not step.handled:
        allowed = machine.next_events(runtime.state)
        if step.refusal == "guards_failed":
            raise EventRefused(
                f"Event '{name}' is not allowed now: no transition's condition is met in state "
                f"'{runtime.state}'.",
                allowed,
            )
        raise EventRefused(f"Event '{name}' is not handled in state '{runtime.state}'.", allowed)
    if step.context_changed:
        errors = _entity_kept_errors(runtime, step.context) + context_errors(
            step.context, runtime.definition_version.context_schema
        )
        if errors:
            raise ValidationFailed(errors, message="The new context does not match the context schema")
    if propose:
        history = decisions.decision_propose(
            project=project, runtime=runtime, name=name, payload=payload, actor=actor, before=list(before)
        )
        return EventResult(runtime=runtime, history=history)

    previous_context, from_state = runtime.context, runtime.state
    entered = _apply_step(runtime, step)
    _decided(runtime, actor, from_state)
    dropped = decisions.pending_drop_if_moved(runtime, actor, from_state)
    events = webhook_events_number(runtime, _change_events(from_state, runtime=runtime, context_changed=step.context_changed))
    runtime.save()
    history = list(before)
    if step.context_changed:
        history.append(
            _history(
                runtime,
                actor,
                HistoryKind.CONTEXT_CHANGED,
                event_name=name,
                from_state=from_state,
                to_state=from_state,
                payload={"previousContext": previous_context, "payload": payload or {}},
            )
        )
    rows = _transition_rows(runtime, actor, step.transitions)
    if rows and not step.context_changed:
        rows[0].payload = payload or {}
    if not rows and not step.context_changed:
        # Handled without moving or changing anything (a targetless transition): still on
        # record, with what was sent.
        rows = [
            _history(runtime, actor, HistoryKind.EVENT, event_name=name, from_state=from_state, to_state=from_state, payload=payload or {})
        ]
    history += rows + dropped
    HistoryEvent.objects.bulk_create(history)
    _record_entity_outcome(runtime)
    webhook_deliveries_create(project=project, runtime=runtime, events=events, definition_key=runtime.definition.key)
    if entered:
        plugin_runs_queue(runtime)
    _report_to_parent(runtime, actor)
    return EventResult(runtime=runtime, history=history)


def _report_to_parent(runtime: WorkflowRuntime, actor: Actor) -> None:
    """A child's change goes to its parent in the same transaction (SPEC section 12)."""
    if runtime.parent_runtime_id:
        from automation.children import child_report  # automation builds on these services

        # The parent hears it from the child (SPEC 12), whoever changed the child.
        child_report(runtime, Actor(system_label=f"child case {runtime.pk}"))


require_open = _require_open
runtime_for_update = _runtime_for_update
parent_report = _report_to_parent
