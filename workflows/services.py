"""Writes to workflows and cases. Every edge (API, pages, admin, commands) calls these; each
change to a case writes its history rows in the same transaction as the change."""

import json
from dataclasses import dataclass, field
from functools import lru_cache

from django.db import connection, transaction
from django.utils import timezone

from config.fastload import columns as fastload_columns, first_of, hot_cursor
from automation.queueing import plugin_runs_queue
from documents.fetch_queue import file_fetches_queue
from documents.intake import documents_intake, documents_revise
from projects.models import ACTING_ROLES, Membership, Project, Role
from webhooks.models import WebhookEvent
from webhooks.services import webhook_deliveries_create, webhook_events_number

from . import decisions, engine, locking
from .actors import Actor
from .errors import (
    EventRefused,
    FieldError,
    NotFound,
    OpenCaseExists,
    PermissionDenied,
    RuntimeClosed,
    ServiceError,
    ValidationFailed,
    WorkflowFailed,
)
from .models import (
    ApprovalState,
    Entity,
    EntityKind,
    HistoryEvent,
    HistoryKind,
    RuntimeStatus,
    WorkflowDefinition,
    WorkflowDefinitionVersion,
    WorkflowRuntime,
)
from .json_values import json_value_errors, text_problem
# Also what each case copies from its own context (WorkflowRuntime.save).
from .entity_text import entity_display_name, entity_email as _entity_email
from .sla import due_time
from .validation import context_errors, definition_errors, run_input_errors, validate_run_input

NOTE_MAX_LENGTH = 10_000


# --- definitions ---------------------------------------------------------------------------


@dataclass
class DefinitionSaveResult:
    definition: WorkflowDefinition
    version: WorkflowDefinitionVersion
    version_created: bool


def _validate_definition_content(content: dict) -> None:
    errors = definition_errors(**content)
    if errors:
        raise ValidationFailed(errors, message="Invalid workflow definition")


def _normalised_content(statechart, context_schema, config, extensions) -> dict:
    return {
        "statechart": statechart,
        "context_schema": context_schema or {},
        "config": config or {},
        "extensions": extensions or {},
    }


@transaction.atomic
def definition_save(
    *,
    project: Project,
    key: str,
    name: str = "",
    statechart,
    context_schema=None,
    config=None,
    extensions=None,
    created_by=None,
) -> DefinitionSaveResult:
    """Create the definition or add a version when the content changed; unchanged content
    changes nothing. Invalid content raises ValidationFailed and writes nothing."""
    content = _normalised_content(statechart, context_schema, config, extensions)
    _validate_definition_content(content)
    WorkflowDefinition.objects.get_or_create(
        project=project, key=key, defaults={"name": name or key}
    )
    # The lock serialises version numbering between concurrent loaders.
    definition = WorkflowDefinition.objects.select_for_update().get(project=project, key=key)
    if name and definition.name != name:
        definition.name = name
        definition.save(update_fields=["name"])
    latest = definition.versions.order_by("-version").first()
    if latest is not None and latest.content() == content:
        return DefinitionSaveResult(definition, latest, version_created=False)
    version = WorkflowDefinitionVersion.objects.create(
        definition=definition,
        version=(latest.version + 1) if latest else 1,
        created_by=created_by,
        **content,
    )
    return DefinitionSaveResult(definition, version, version_created=True)


@transaction.atomic
def definition_version_update(
    *, version: WorkflowDefinitionVersion, statechart, context_schema, config, extensions, created_by=None
) -> DefinitionSaveResult:
    """Edit a version. A version that any runtime uses is never changed: the edit becomes a
    new version instead."""
    content = _normalised_content(statechart, context_schema, config, extensions)
    _validate_definition_content(content)
    definition = WorkflowDefinition.objects.select_for_update().get(pk=version.definition_id)
    current = WorkflowDefinitionVersion.objects.get(pk=version.pk)
    if current.content() == content:
        return DefinitionSaveResult(definition, current, version_created=False)
    if not current.runtimes.exists():
        for name, value in content.items():
            setattr(current, name, value)
        current.save(update_fields=list(content))
        return DefinitionSaveResult(definition, current, version_created=False)
    latest = definition.versions.order_by("-version").first()
    new_version = WorkflowDefinitionVersion.objects.create(
        definition=definition, version=latest.version + 1, created_by=created_by, **content
    )
    return DefinitionSaveResult(definition, new_version, version_created=True)


@lru_cache(maxsize=256)
def _machine_for_json(statechart_json: str) -> engine.Machine:
    return engine.Machine(json.loads(statechart_json))


def machine_for(version: WorkflowDefinitionVersion) -> engine.Machine:
    """The compiled machine of a version (cached: compiling guards is not free)."""
    return _machine_for_json(json.dumps(version.statechart, sort_keys=True))


def definition_version_resolve(*, project: Project, key: str, version: int | None = None):
    """The version a run uses: the newest, or the pinned one. 404 outside the project.

    Raw SQL because this sits on the hot path of every run and the ORM spends longer
    compiling this join than PostgreSQL spends answering it (measured with bench/run.py)."""
    if text_problem(key):
        raise NotFound(f"Workflow definition not found: {text_problem(key)}")
    qn = connection.ops.quote_name
    versions, definitions = WorkflowDefinitionVersion._meta.db_table, WorkflowDefinition._meta.db_table
    sql = (
        f"SELECT {fastload_columns(WorkflowDefinitionVersion, 'v')} FROM {qn(versions)} v JOIN {qn(definitions)} d ON d.{qn('id')} = v.{qn('definition_id')} "
        f"WHERE d.{qn('project_id')} = %s AND d.{qn('key')} = %s"
        + (f" AND v.{qn('version')} = %s" if version is not None else "")
        + f" ORDER BY v.{qn('version')} DESC LIMIT 1"
    )
    params = [project.pk, key] + ([version] if version is not None else [])
    found = first_of(WorkflowDefinitionVersion, sql, params)
    if found is None:
        if version is not None:
            raise NotFound(f"Workflow definition '{key}' has no version {version}.")
        raise NotFound(f"Workflow definition '{key}' not found.")
    return found


# --- entities ------------------------------------------------------------------------------


def _upsert_returning_pk(obj, *, unique_fields: list[str], update_fields: list[str]):
    """INSERT ... ON CONFLICT DO UPDATE ... RETURNING pk (PostgreSQL and SQLite >= 3.35 share
    this syntax). The ORM's bulk_create cannot return the stored primary key when the key has
    a Python-side default, and a second SELECT would cost a round trip on every run."""
    meta = type(obj)._meta
    qn = connection.ops.quote_name
    fields = meta.concrete_fields
    columns = {meta.get_field(name).column for name in update_fields}
    sql = (
        f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        f"ON CONFLICT ({', '.join(qn(meta.get_field(n).column) for n in unique_fields)}) "
        f"DO UPDATE SET {', '.join(f'{qn(c)} = EXCLUDED.{qn(c)}' for c in sorted(columns))} "
        f"RETURNING {qn(meta.pk.column)}"
    )
    values = [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields]
    with hot_cursor() as cursor:
        cursor.execute(sql, values)
        return meta.pk.to_python(cursor.fetchone()[0])


def entity_upsert(*, project: Project, entity_input: dict) -> tuple[Entity, bool]:
    """Insert or update the entity by (project, kind, id) in one statement; returns
    `(entity, created)`. On PostgreSQL, ON CONFLICT DO UPDATE locks the row until commit,
    which serialises concurrent runs for one entity; SQLite serialises all writers anyway."""
    kind, data = entity_input["type"], entity_input["data"]
    now = timezone.now()
    entity = Entity(
        project=project,
        kind=kind,
        correlation_id=entity_input["id"],
        data=data,
        display_name=entity_display_name(kind, data),
        email=_entity_email(data),
        approval_state=ApprovalState.PROCESSING,  # a new run puts the entity back in processing
        created_at=now,
        updated_at=now,
    )
    new_pk = entity.pk
    entity.pk = _upsert_returning_pk(
        entity,
        unique_fields=["project", "kind", "correlation_id"],
        update_fields=["data", "display_name", "email", "approval_state", "updated_at"],
    )
    entity._state.adding = False
    created = entity.pk == new_pk
    if not created:
        entity.refresh_from_db(fields=["created_at"])
    return entity, created


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


# --- case work -----------------------------------------------------------------------------


@transaction.atomic
def case_assign(
    *, project: Project, runtime_id, assignee, actor: Actor, expected_version=None, take_over: bool = False
) -> WorkflowRuntime:
    """Assign the case to a member who may act on it, or unassign it (assignee None). A
    person taking a case away from someone else must say so (`take_over`)."""
    _require_can_act(actor, project)
    runtime = _runtime_for_update(project=project, runtime_id=runtime_id)
    _require_open(runtime)
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
    _require_open(runtime)
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
    _require_can_act(actor, project)
    # Browsers send a textarea's line breaks as CRLF: stored as plain newlines.
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise ValidationFailed([FieldError("text", "A note cannot be empty.")])
    if len(text) > NOTE_MAX_LENGTH:
        raise ValidationFailed([FieldError("text", f"At most {NOTE_MAX_LENGTH} characters.")])
    if text_problem(text):
        raise ValidationFailed([FieldError("text", text_problem(text))])
    runtime = _runtime_for_update(project=project, runtime_id=runtime_id)
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


require_open = _require_open
parent_report = _report_to_parent
