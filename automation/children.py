"""Child cases (SPEC section 12): a child plugin starts one case of another definition per
input (per item under an iterative plugin) through the same service as `run`, in the
transaction that applies the plugin's outcome, with the parent recorded on the child; a child's
changes are reported to its parent per the parent's `config.childCallbackResults`, in the
child's transaction, the parent locked first (workflows.locking)."""

import copy
from dataclasses import dataclass, field

from django.db import transaction

from webhooks.models import WebhookEvent
from workflows import locking
from workflows.actors import Actor
from workflows.errors import EventRefused, RuntimeClosed, ServiceError, ValidationFailed
from workflows.models import HistoryKind, RuntimeStatus
from workflows.services import context_write, history_write, system_event_send, workflow_start

from . import requests as plugin_requests


@dataclass
class ChildrenStarted:
    started: list = field(default_factory=list)  # child runtimes
    failed: list = field(default_factory=list)  # {"index", "error"}


def child_context(plugin: dict, plugin_input) -> dict:
    """The child's context: the plugin's transformers over its input (the item, under an
    iterative plugin). Raises PluginRequestError when they fail."""
    transformers = plugin.get("transformers") or []
    context = plugin_requests.apply_transformers(transformers, plugin_input) if transformers else copy.deepcopy(plugin_input)
    if not isinstance(context, dict):
        raise plugin_requests.PluginRequestError(f"The child plugin's transformers gave {type(context).__name__}, not a context object.")
    return context


def child_entry(child) -> dict:
    return {"entityId": child.entity.correlation_id, "status": child.status, "state": child.state, "tags": list(child.tags)}


def children_start(*, parent, plugin: dict, inputs: list, actor: Actor) -> ChildrenStarted:
    """Starts one child per input, each in its own savepoint (a refused one is reported and the
    others stay). Call with the parent locked, inside the outcome's transaction."""
    result = ChildrenStarted()
    for index, plugin_input in enumerate(inputs):
        try:
            with transaction.atomic():
                context = child_context(plugin, plugin_input)
                started = workflow_start(
                    project=parent.project,
                    workflow_id=plugin["definitionId"],
                    context=context,
                    config={"initialEvent": plugin["initEvent"]} if plugin.get("initEvent") else None,
                    actor=actor,
                    parent=parent,
                )
        except (ServiceError, plugin_requests.PluginRequestError) as refused:
            result.failed.append({"index": index, "error": str(refused)})
            continue
        result.started.append(started.runtime)
    return result


def parent_children_record(*, parent, children: list, actor: Actor, plugin_name: str) -> None:
    """`childWorkflows.<childDefinitionKey>.<childId>` on the parent for each new child."""
    if not children:
        return
    context = copy.deepcopy(parent.context)
    family = context.setdefault("childWorkflows", {})
    for child in children:
        family.setdefault(child.definition.key, {})[str(child.pk)] = child_entry(child)
    context_write(
        project=parent.project,
        runtime=parent,
        context=context,
        actor=actor,
        kind=HistoryKind.CHILDREN_STARTED,
        payload={"plugin": plugin_name, "children": [str(child.pk) for child in children]},
    )


def _callback_for(parent, child) -> dict | None:
    for callback in (parent.definition_version.config or {}).get("childCallbackResults") or []:
        if isinstance(callback, dict) and callback.get("definitionId") == child.definition.key:
            return callback
    return None


def child_report(child, actor: Actor) -> None:
    """After a change of a child: its entry on the parent updated, `result` and `deliverEvent`
    per the parent's childCallbackResults, and `workflow.child.changed` to the parent's
    subscribers; all in the child's transaction. The parent is locked (again: a writer of the
    child has locked it first)."""
    parent = locking.case_lock_any_project(runtime_id=child.parent_runtime_id)
    if parent is None:
        return
    callback = _callback_for(parent, child) or {}
    persisted = child.state in (callback.get("persistenceStates") or [])
    if parent.status != RuntimeStatus.ACTIVE:
        history_write(
            runtime=parent, actor=actor, kind=HistoryKind.CHILD_CHANGED,
            payload={"child": str(child.pk), "state": child.state, "status": child.status, "note": f"The parent is {parent.status}: nothing was delivered to it."},
        )
        return
    context = copy.deepcopy(parent.context)
    entry = context.setdefault("childWorkflows", {}).setdefault(child.definition.key, {}).setdefault(str(child.pk), {})
    entry.update(child_entry(child))
    if persisted or child.status == RuntimeStatus.COMPLETED:
        try:
            entry["result"] = plugin_requests.apply_transformers(callback.get("transformers") or [], child.context) if callback.get("transformers") else child.context
        except plugin_requests.PluginRequestError as problem:
            entry["result"] = {"error": str(problem)}
    context_write(
        project=parent.project, runtime=parent, context=context, actor=actor, kind=HistoryKind.CHILD_CHANGED,
        payload={"child": str(child.pk), "state": child.state, "status": child.status}, webhook_event=WebhookEvent.CHILD_CHANGED,
    )
    event = callback.get("deliverEvent")
    if not (persisted and event):
        return
    try:
        with transaction.atomic():
            result = system_event_send(project=parent.project, runtime=parent, name=event, payload=None, actor=actor)
    except (EventRefused, ValidationFailed, RuntimeClosed) as refused:
        history_write(
            runtime=parent, actor=actor, kind=HistoryKind.CHILD_CHANGED,
            payload={"child": str(child.pk), "deliverEvent": event, "refused": str(refused)},
        )
        return
    if result.failure:
        return  # the parent is marked failed, with the reason in its history
