"""The vendor callback: `POST /workflows/{id}/hook/{event}` (SPEC section 10, "Async vendors").

In one transaction with the case locked: the body merged into the context at
`resultDestination`, the plugin run it answers marked done, then the event sent as any event
is. An event the caller may not send now is refused with the allowed ones, and nothing is
written."""

import re
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from workflows import decisions, engine, locking
from workflows.actors import Actor
from workflows.errors import EventRefused, FieldError, RuntimeClosed, ValidationFailed
from workflows.json_values import json_value_errors, text_problem
from workflows.models import HistoryKind, RuntimeStatus
from workflows.definitions import machine_for
from workflows.services import context_write, system_event_send
from workflows.validation import context_errors

from .models import PluginRun, PluginRunStatus

DEFAULT_DESTINATION = "hookResponse"
# Where a vendor may not write: what the case is about, its evidence, and its children.
PROTECTED_ROOTS = frozenset({"entity", "documents", "childWorkflows"})
SEGMENT = re.compile(r"^[A-Za-z0-9_$-]+$")
SIGNED_ACTOR_LABEL = "vendor callback (signed)"


@dataclass
class HookResult:
    runtime: object
    already_applied: bool = False
    plugin_run: PluginRun | None = None
    failure: str = ""


def destination_path(value) -> list[str]:
    """The dot path of `resultDestination`, checked; ValidationFailed says what is wrong."""
    value = DEFAULT_DESTINATION if value in (None, "") else value
    if not isinstance(value, str) or len(value) > 500:
        raise ValidationFailed([FieldError("resultDestination", "Must be a dot path of at most 500 characters.")])
    segments = value.split(".")
    if not all(SEGMENT.match(segment) for segment in segments) or "__proto__" in segments:
        raise ValidationFailed(
            [FieldError("resultDestination", "Must be a dot path of letters, digits, '_', '-' or '$' (e.g. pluginsOutput.sanctions).")]
        )
    if segments[0] in PROTECTED_ROOTS:
        raise ValidationFailed(
            [FieldError("resultDestination", f"A callback may not write into '{segments[0]}' (entity, documents and childWorkflows are protected).")]
        )
    return segments


def merged_at(context: dict, segments: list[str], data) -> dict:
    """The context with `data` deep-merged at the path (arrays replaced); a `status` beside
    the destination that already exists becomes SUCCESS (Ballerine's rule)."""
    patch = data
    for segment in reversed(segments):
        patch = {segment: patch}
    merged = engine.deep_merge(context, patch, "replace")
    parent = merged
    for segment in segments[:-1]:
        parent = parent.get(segment) if isinstance(parent, dict) else None
    if isinstance(parent, dict) and "status" in parent and segments[-1] != "status":
        parent["status"] = "SUCCESS"
    return merged


def _answered_run(runtime, event: str, process_name: str | None, hook_path: str):
    """(the waiting run this call answers or None, whether a run it answers is already done)."""
    candidates = PluginRun.objects.filter(runtime=runtime, status__in=[PluginRunStatus.WAITING, PluginRunStatus.SUCCEEDED])
    if process_name:
        candidates = candidates.filter(plugin_name=process_name)
    for run in candidates.order_by("-entry", "-position"):
        sent = str(run.request.get("url", "")) + str(run.request.get("body", ""))
        if not process_name and hook_path not in sent:
            continue
        if run.status == PluginRunStatus.WAITING:
            return run, False
        if run.callback_received_at is not None:
            return None, True
    return None, False


def _allowed_events(runtime, machine, *, signed: bool) -> list[str]:
    handled = machine.next_events(runtime.state)
    if not signed:
        return handled
    operator = set(decisions.operator_events(runtime.definition_version, machine, runtime.state, runtime.config))
    return [name for name in handled if name not in operator]


@locking.deadlock_retried
@transaction.atomic
def workflow_hook(
    *, project, runtime_id, event: str, data, result_destination=None, process_name=None, actor: Actor, signed: bool, hook_path: str = ""
) -> HookResult:
    """Applies a vendor's callback (SPEC section 10). `signed`: authenticated by the hook
    secret, which may send no operator events."""
    if not isinstance(event, str) or not event or text_problem(event):
        raise ValidationFailed([FieldError("event", text_problem(event or "") or "An event name is required.")])
    errors = json_value_errors(data, "body")
    if errors:
        raise ValidationFailed(errors)
    segments = destination_path(result_destination)
    runtime = locking.case_lock(project=project, runtime_id=runtime_id)
    run, already = _answered_run(runtime, event, process_name, hook_path)
    if already:
        return HookResult(runtime=runtime, already_applied=True)
    if runtime.status != RuntimeStatus.ACTIVE:
        raise RuntimeClosed(f"The workflow is {runtime.status}; it accepts no more changes.")
    machine = machine_for(runtime.definition_version)
    allowed = _allowed_events(runtime, machine, signed=signed)
    if event not in allowed:
        why = "an operator's decision, which a signed callback may not send" if event in machine.next_events(runtime.state) else f"not handled in state '{runtime.state}'"
        raise EventRefused(f"Event '{event}' is {why}.", allowed)
    context = merged_at(runtime.context, segments, data)
    problems = context_errors(context, runtime.definition_version.context_schema)
    if problems:
        raise ValidationFailed(problems, message="The context with this callback merged in does not match the context schema")
    context_write(
        project=project,
        runtime=runtime,
        context=context,
        actor=actor,
        kind=HistoryKind.HOOK,
        payload={
            "event": event,
            "resultDestination": ".".join(segments),
            "processName": process_name or "",
            "pluginRun": str(run.pk) if run else None,
            "signed": signed,
        },
    )
    if run is not None:
        run.status, run.callback_received_at = PluginRunStatus.SUCCEEDED, timezone.now()
        run.save(update_fields=["status", "callback_received_at"])
    # A guard that turns the event down raises here, and the transaction writes nothing.
    result = system_event_send(project=project, runtime=runtime, name=event, payload=None, actor=actor)
    return HookResult(runtime=result.runtime, plugin_run=run, failure=result.failure)


def signed_actor() -> Actor:
    return Actor(system_label=SIGNED_ACTOR_LABEL)
