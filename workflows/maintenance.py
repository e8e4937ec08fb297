"""Case maintenance (issue 16, item 2): correcting a case's entity data, and moving a failed
case to a newer version of its definition so that it goes on from there.

Both are for operators and admins of the case's project (and the system), each in one
transaction with the case locked (workflows.locking), with one history row of its own kind
and the webhooks of the change. People follow the assignment discipline of decisions (SPEC
section 5): the assignee or an admin acts on an assigned case, an operator acting on an
unassigned case becomes its assignee, and a form older than the case is refused.

Completed cases are closed records: they are neither corrected nor moved. A failed case's
data may be corrected (to repair what made it fail) without running its definition; an
active case's correction is a context change like any other, after which `always`
transitions are checked again."""

import copy
import uuid
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from automation.queueing import plugin_runs_queue
from webhooks.models import WebhookEvent
from webhooks.services import webhook_deliveries_create, webhook_events_number

from . import decisions, engine, locking
from .actors import Actor
from .config_schema import RUN_CONFIG_KEYS
from .entity_text import entity_display_name, entity_email
from .errors import FieldError, RuntimeClosed, ServiceError, ValidationFailed
from .models import HistoryEvent, HistoryKind, RuntimeStatus, WorkflowDefinitionVersion, WorkflowRuntime
from .definitions import machine_for
from .services import (
    context_replace,
    context_write,
    entity_outcome_record,
    parent_report,
    require_can_act,
    transition_rows,
)
from .validation import context_errors, run_input_errors, schema_errors, schema_validator

DATA_PATH = "context.entity.data"


# --- refusals ------------------------------------------------------------------------------


class CaseCompleted(RuntimeClosed):
    def __init__(self, what: str):
        super().__init__(
            f"This case is completed: it is a closed record and its {what} cannot be changed. "
            "Start a new case for the entity instead."
        )


class NotFailed(ServiceError):
    def __init__(self, runtime):
        super().__init__(
            message=f"Only a failed case can be moved to another version; this case is {runtime.status}.",
            status_code=409,
        )


# --- the entity's data as the definition describes it -------------------------------------


def entity_data_input_schema(version: WorkflowDefinitionVersion) -> dict | None:
    """The part of the initial state's `meta.inputSchema` that describes `entity.data`
    ({"dataSchema", "uiSchema"}), whether the input schema describes the entity (Ballerine's
    demo) or the whole context; None when it does not describe the data's fields."""
    from cases.manual import describes_context, input_schema_of  # the pages' reading of it

    input_schema = input_schema_of(version)
    if input_schema is None:
        return None
    schema, ui = input_schema["dataSchema"], input_schema.get("uiSchema") or {}
    path = ("entity", "data") if describes_context(input_schema) else ("data",)
    for key in path:
        schema = (schema.get("properties") or {}).get(key)
        ui = ui.get(key) if isinstance(ui, dict) else None
        if not isinstance(schema, dict):
            return None
    if not isinstance(schema.get("properties"), dict) or not schema["properties"]:
        return None
    return {"dataSchema": schema, "uiSchema": ui if isinstance(ui, dict) else {}}


def json_same(old, new) -> bool:
    """JSON equality: 1 and 1.0 are one number (a form gives floats), true is not 1."""
    if isinstance(old, bool) or isinstance(new, bool):
        return type(old) is type(new) and old == new
    if isinstance(old, int | float) and isinstance(new, int | float):
        return old == new
    if isinstance(old, dict) and isinstance(new, dict):
        return old.keys() == new.keys() and all(json_same(old[key], new[key]) for key in old)
    if isinstance(old, list) and isinstance(new, list):
        return len(old) == len(new) and all(json_same(a, b) for a, b in zip(old, new))
    return type(old) is type(new) and old == new


def data_changes(old, new, path: str = "entity.data") -> list[dict]:
    """What changed between two JSON values, path by path: `{"path", "old", "new"}`, without
    "old" for an added key and without "new" for a removed one. Objects are compared key by
    key; anything else (lists included) as a whole."""
    if isinstance(old, dict) and isinstance(new, dict):
        changes = []
        for key in [*old, *(key for key in new if key not in old)]:
            child = f"{path}.{key}"
            if key not in new:
                changes.append({"path": child, "old": old[key]})
            elif key not in old:
                changes.append({"path": child, "new": new[key]})
            else:
                changes += data_changes(old[key], new[key], child)
        return changes
    return [] if json_same(old, new) else [{"path": path, "old": old, "new": new}]


def _people_check(runtime, actor: Actor, role) -> None:
    """The assignee or an admin acts on an assigned case."""
    if actor.user is not None and not decisions.may_decide(runtime, actor.user, role):
        raise decisions.NotYourCase(runtime.assignee.get_username())


def _take_if_unassigned(runtime, actor: Actor, because: str) -> list[HistoryEvent]:
    """A person acting on an unassigned case becomes its assignee (the row is returned,
    unsaved; the case is saved by the change)."""
    if actor.user is None or runtime.assignee is not None:
        return []
    runtime.assignee = actor.user
    return [
        decisions.history_row(
            runtime, actor, HistoryKind.ASSIGNED, payload={"from": None, "to": actor.user.get_username(), "because": because}
        )
    ]


# --- correcting the entity's data ----------------------------------------------------------


@dataclass
class CorrectionResult:
    runtime: WorkflowRuntime
    changes: list[dict] = field(default_factory=list)
    history: list[HistoryEvent] = field(default_factory=list)
    # Set when the definition could not process the corrected context (the case is failed).
    failure: str = ""


def correction_errors(runtime: WorkflowRuntime, context: dict) -> list[FieldError]:
    """What is wrong with the case's context carrying corrected data: what a run checks (the
    entity's own fields, the version's context schema) and the input schema's rules for the
    data, each once, with its path."""
    version = runtime.definition_version
    errors = run_input_errors(context=context, config=None, context_schema=version.context_schema)
    input_schema = entity_data_input_schema(version)
    if input_schema is not None:
        seen = {error.path for error in errors}
        data = context["entity"]["data"]
        errors += [
            error
            for error in schema_errors(schema_validator(input_schema["dataSchema"]), data, DATA_PATH)
            if error.path not in seen
        ]
    return errors


@transaction.atomic
def case_entity_correct(*, project, runtime_id, data, actor: Actor, expected_version=None) -> CorrectionResult:
    """Replaces `entity.data` in an active or failed case's context (and on the entity's record,
    whose name the queues show), with one `entity.corrected` history row holding the changes
    path by path, and the context-changed webhook. The entity's type and id stay. Invalid data
    is refused with every error located and changes nothing; data equal to the case's changes
    nothing either (no row: `changes` is empty). An active case then re-checks `always` as any
    context change does (transition rows, webhooks and plugins as for an event)."""
    if not isinstance(data, dict):
        raise ValidationFailed([FieldError(DATA_PATH, "Must be an object.")])
    role = require_can_act(actor, project)
    runtime = locking.case_lock(project=project, runtime_id=runtime_id)
    decisions.version_check(runtime, expected_version)
    if runtime.status == RuntimeStatus.COMPLETED:
        raise CaseCompleted("entity data")
    if runtime.pending_event:
        raise decisions.DecisionPending(runtime)
    _people_check(runtime, actor, role)
    context = copy.deepcopy(runtime.context)
    entity = context.get("entity") if isinstance(context.get("entity"), dict) else {}
    previous = entity.get("data") if isinstance(entity.get("data"), dict) else {}
    context["entity"] = {**entity, "type": runtime.entity.kind, "id": runtime.entity.correlation_id, "data": data}
    errors = correction_errors(runtime, context)
    if errors:
        raise ValidationFailed(errors, message="The corrected data does not match the workflow's schema")
    changes = data_changes(previous, data)
    if not changes:
        return CorrectionResult(runtime=runtime)
    before = _take_if_unassigned(runtime, actor, because="corrected the entity data")
    HistoryEvent.objects.bulk_create(before)
    payload = {"changes": changes}
    if runtime.status == RuntimeStatus.ACTIVE:
        result = context_replace(
            project=project,
            runtime=runtime,
            context=context,
            actor=actor,
            kind=HistoryKind.ENTITY_CORRECTED,
            payload=payload,
            webhook_event=WebhookEvent.CONTEXT_CHANGED,
        )
        if result.failure:
            return CorrectionResult(runtime=runtime, history=before, failure=result.failure)
        history = before + result.history
    else:  # failed: the data is repaired, the definition is not run
        history = before + [
            context_write(project=project, runtime=runtime, context=context, actor=actor, kind=HistoryKind.ENTITY_CORRECTED, payload=payload)
        ]
    record = runtime.entity
    record.data = data
    record.display_name = entity_display_name(record.kind, data)[:255]
    record.email = entity_email(data)[:254]
    record.save(update_fields=["data", "display_name", "email", "updated_at"])
    return CorrectionResult(runtime=runtime, changes=changes, history=history)


# --- moving a failed case to a newer version -----------------------------------------------


@dataclass
class MoveResult:
    runtime: WorkflowRuntime
    history: list[HistoryEvent]
    from_version: int
    plugins_queued: int = 0


def movable_states(version: WorkflowDefinitionVersion) -> list[str]:
    """The states a case may be moved to in `version`: every state that is not final (a case
    is moved to be worked on; a final state is reached through the workflow)."""
    machine = machine_for(version)
    return [state for state in machine.state_names if not machine.is_final(state)]


def _moved_config(runtime_config: dict, old_config: dict, new_config: dict) -> dict:
    """The case's config under the new version: the new definition config with what the run
    itself set (run-level keys whose value is not the old definition's) merged over it."""
    run_keys = {
        key: value
        for key, value in (runtime_config or {}).items()
        if key in RUN_CONFIG_KEYS and ((old_config or {}).get(key) != value)
    }
    return engine.deep_merge(new_config or {}, run_keys, "replace")


def _move_target(project, runtime, version_id) -> WorkflowDefinitionVersion:
    current = runtime.definition_version
    try:
        version_uuid = uuid.UUID(str(version_id))
    except ValueError:
        version_uuid = None
    target = (
        WorkflowDefinitionVersion.objects.filter(pk=version_uuid, definition__project=project).first()
        if version_uuid is not None
        else None
    )
    if target is None or target.definition_id != runtime.definition_id:
        raise ValidationFailed([FieldError("version", f"Choose a newer version of this case's workflow ({runtime.definition.key}).")])
    if target.version <= current.version:
        raise ValidationFailed(
            [FieldError("version", f"Version {target.version} is not newer than the case's version {current.version}.")]
        )
    return target


@transaction.atomic
def case_version_move(*, project, runtime_id, version_id, state: str, actor: Actor, expected_version=None) -> MoveResult:
    """Moves a failed case to a newer version of its definition, into `state` (which must be
    a state of that version and not final), and makes it active again: its context must
    match the new version's context schema. One `workflow.version_moved` history row (from
    and to version and state), `workflow.state.changed` to subscribers, and then the case goes
    on from there: `always` transitions are followed (their rows and webhooks as after an
    event) and the plugins of the state it rests in are queued, as on any entry. Refused,
    changing nothing, when the case is not failed, the version is not a newer one of the same
    definition, the state is not there, or the new version cannot go on from it."""
    role = require_can_act(actor, project)
    runtime = locking.case_lock(project=project, runtime_id=runtime_id)
    decisions.version_check(runtime, expected_version)
    if runtime.status == RuntimeStatus.COMPLETED:
        raise CaseCompleted("workflow version")
    if runtime.status != RuntimeStatus.FAILED:
        raise NotFailed(runtime)
    _people_check(runtime, actor, role)
    target = _move_target(project, runtime, version_id)
    if not isinstance(state, str) or state not in movable_states(target):
        known = state in machine_for(target).state_names if isinstance(state, str) else False
        raise ValidationFailed(
            [
                FieldError(
                    "state",
                    f"'{state}' is a final state of version {target.version}: choose a state to go on from."
                    if known
                    else f"Version {target.version} has no state '{state}'.",
                )
            ]
        )
    problems = context_errors(runtime.context, target.context_schema)
    if problems:
        raise ValidationFailed(problems, message=f"The case's context does not match the context schema of version {target.version}")
    machine = machine_for(target)
    try:
        # An empty UPDATE_CONTEXT follows the state's `always` transitions and changes nothing else.
        step = machine.send(state, runtime.context, "UPDATE_CONTEXT", {"context": {}})
    except engine.EngineError as error:
        raise ServiceError(
            message=f"Version {target.version} cannot go on from '{state}': {error}. Nothing was changed.", status_code=422
        ) from error
    before = _take_if_unassigned(runtime, actor, because=f"moved the case to version {target.version}")
    source, from_state = runtime.definition_version, runtime.state
    now = timezone.now()
    runtime.config = _moved_config(runtime.config, source.config, target.config)
    runtime.definition_version = target
    runtime.state, runtime.tags = step.state, list(step.tags)
    runtime.state_entry += 1  # a new entry: the plugins of the state it rests in are to run
    runtime.status, runtime.resolved_at = RuntimeStatus.ACTIVE, None
    if step.status == "completed":
        runtime.status, runtime.resolved_at = RuntimeStatus.COMPLETED, now
    runtime.decided_by_label, runtime.decided_at = actor.label, now
    events = webhook_events_number(
        runtime, [WebhookEvent.STATE_CHANGED, *([WebhookEvent.COMPLETED] if runtime.status == RuntimeStatus.COMPLETED else [])]
    )
    runtime.save()
    moved = decisions.history_row(
        runtime,
        actor,
        HistoryKind.VERSION_MOVED,
        from_state=from_state,
        to_state=state,
        payload={"fromVersion": source.version, "toVersion": target.version, "fromState": from_state, "toState": state},
    )
    history = [*before, moved, *transition_rows(runtime, actor, step.transitions)]
    HistoryEvent.objects.bulk_create(history)
    entity_outcome_record(runtime)
    webhook_deliveries_create(project=project, runtime=runtime, events=events, definition_key=runtime.definition.key)
    queued = plugin_runs_queue(runtime)
    parent_report(runtime, actor)
    return MoveResult(runtime=runtime, history=history, from_version=source.version, plugins_queued=len(queued))
