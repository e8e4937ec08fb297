"""Plugin runs done by the task worker (SPEC section 10): claimed in a short transaction with
the case locked, the vendor called with no transaction open, the outcome applied in its own
transaction with the case locked again. An outcome whose entry into the state is over is
recorded as stale and changes nothing."""

import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

import outbound
from projects.secrets import SecretUnreadable
from projects.selectors import project_secrets
from workflows import decisions, locking
from workflows.actors import Actor, plugin_actor
from workflows.errors import EventRefused, RuntimeClosed, ServiceError, ValidationFailed
from workflows.models import HistoryKind, RuntimeStatus
from workflows.services import context_write, history_write, require_can_act, system_event_send
from workflows.validation import context_errors

from . import requests as plugin_requests
from .models import BLOCKING_STATUSES, PluginAttempt, PluginList, PluginRun, PluginRunStatus
from .children import children_start, parent_children_record
from .entities import entities_update
from .declarations import is_fire_and_forget
from .queueing import next_run_release, plugin_declaration, plugin_runs_queue, plugins_for_state
from .tasks import run_plugin

logger = logging.getLogger(__name__)

# Statuses of a vendor answer that are worth asking again.
RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
USER_AGENT = "casework-plugins/1"


def retry_delay(attempt_number: int) -> float:
    return min(settings.PLUGIN_RETRY_BASE_SECONDS * 2 ** (attempt_number - 1), settings.PLUGIN_RETRY_MAX_SECONDS)


@dataclass
class Job:
    """What an attempt needs, read while the case was locked, so the call needs no database."""

    run_id: object
    attempt_count: int
    list_name: str
    plugin: dict
    extensions: dict
    plugin_input: dict
    secrets: dict
    webhook_secret: str
    project: object
    idempotency_key: str
    secrets_problem: str = ""


@dataclass
class Outcome:
    ok: bool
    output: object = None
    error: str = ""
    retryable: bool = False
    http_status: int | None = None
    request: dict = field(default_factory=dict)
    request_payload: object = None
    response_excerpt: str = ""
    waiting: bool = False  # the vendor answered IN_PROGRESS: its result comes by the hook
    # A child plugin (alone, or the action of an iterative one): the children to start with the
    # outcome, one per input; no call goes out.
    child_plugin: dict | None = None
    child_inputs: list = field(default_factory=list)
    # A dispatch plugin: the handler and its payload, applied with the outcome (no call goes out).
    dispatch: tuple | None = None


class _PluginFailure(Exception):
    def __init__(self, message: str, *, retryable: bool = False, http_status=None):
        super().__init__(message)
        self.retryable, self.http_status = retryable, http_status


# --- the attempt ---------------------------------------------------------------------------


def plugin_run_attempt(*, run_id) -> str:
    """One attempt at a queued run (the task `run_plugin`). Returns what happened."""
    claimed = _claim(run_id)
    if isinstance(claimed, str):
        return claimed
    started, began = timezone.now(), time.perf_counter()
    try:
        outcome = _execute(claimed)
    except Exception as failure:  # recorded, never lost: the run fails with the cause
        logger.exception("Plugin run %s failed unexpectedly", run_id)
        outcome = Outcome(ok=False, error=f"{type(failure).__name__}: {failure}")
    duration_ms = round((time.perf_counter() - began) * 1000)
    return _finish(claimed, outcome, started=started, duration_ms=duration_ms)


def _lease() -> timedelta:
    return timedelta(seconds=settings.PLUGIN_TIMEOUT_SECONDS * 2 + 30)


@transaction.atomic
def _claim(run_id):
    now = timezone.now()
    peek = PluginRun.objects.filter(pk=run_id).values("runtime_id", "status", "claimed_until", "next_attempt_at").first()
    if peek is None:
        return "missing"
    if peek["status"] not in BLOCKING_STATUSES:
        return peek["status"]
    if peek["next_attempt_at"] and peek["next_attempt_at"] > now + timedelta(seconds=1):
        return "not due"
    runtime = locking.case_lock_any_project(runtime_id=peek["runtime_id"])
    run = PluginRun.objects.select_for_update().select_related("project").filter(pk=run_id).first()
    if runtime is None or run is None:
        return "missing"
    if run.status == PluginRunStatus.RUNNING and run.claimed_until and run.claimed_until > now:
        return "claimed by another worker"
    if run.status not in BLOCKING_STATUSES:
        return run.status
    earlier = (
        PluginRun.objects.filter(runtime_id=run.runtime_id, status__in=BLOCKING_STATUSES)
        .exclude(pk=run.pk)
        .order_by("entry", "position", "created_at")
        .values_list("entry", "position", "created_at")
        .first()
    )
    if earlier is not None and earlier < (run.entry, run.position, run.created_at):
        return "waiting for an earlier run of the case"  # that one queues this one when done
    if runtime.state_entry != run.entry or runtime.status == RuntimeStatus.FAILED:
        _end(run, PluginRunStatus.STALE, error=f"Not run: the case had left '{run.state}' before the run started.")
        return run.status
    found = plugin_declaration(runtime.definition_version.extensions, run.plugin_name)
    if found is None:
        _end(run, PluginRunStatus.FAILED, error=f"The definition has no plugin named '{run.plugin_name}'.")
        return run.status
    list_name, plugin = found
    try:
        secrets, secrets_problem = project_secrets(run.project), ""
    except SecretUnreadable as unreadable:  # a key rotated away: the run says so, nothing is sent
        secrets, secrets_problem = {}, str(unreadable)
    run.status, run.claimed_until = PluginRunStatus.RUNNING, now + _lease()
    run.started_at = run.started_at or now
    run.save(update_fields=["status", "claimed_until", "started_at"])
    return Job(
        run_id=run.pk,
        attempt_count=run.attempt_count,
        list_name=list_name,
        plugin=plugin,
        extensions=runtime.definition_version.extensions,
        plugin_input=plugin_requests.plugin_input(runtime.context, str(runtime.pk), runtime.config),
        secrets=secrets,
        secrets_problem=secrets_problem,
        webhook_secret=run.project.webhook_secret,
        project=run.project,
        idempotency_key=str(run.idempotency_key),
    )


def _end(run: PluginRun, status: str, *, error: str = "") -> None:
    """Finishes a run that was never sent, and lets the case's next run go."""
    run.status, run.finished_at, run.claimed_until, run.next_attempt_at = status, timezone.now(), None, None
    if error:
        run.error = error
    run.save(update_fields=["status", "finished_at", "claimed_until", "next_attempt_at", "error"])
    next_run_release(run.runtime_id)


# --- calling the vendor (no transaction, no lock) ------------------------------------------


def _execute(job: Job) -> Outcome:
    if job.secrets_problem:
        return Outcome(ok=False, error=job.secrets_problem)
    kind = job.plugin.get("pluginKind")
    if job.list_name == PluginList.API:
        return _api_call(job, job.plugin, job.plugin_input, job.idempotency_key)
    if job.list_name == PluginList.COMMON and kind == "transformer":
        return _transformer(job)
    if job.list_name == PluginList.COMMON and kind == "iterative":
        return _iterative(job)
    if job.list_name == PluginList.CHILD:
        return Outcome(ok=True, child_plugin=job.plugin, child_inputs=[job.plugin_input])
    if job.list_name == PluginList.DISPATCH:
        return _dispatch(job)
    return Outcome(ok=False, error=f"Plugins of kind '{kind or job.list_name}' do not run on this server yet.")


def _excerpt(content: bytes, secrets: dict) -> str:
    text = content[: settings.PLUGIN_EXCERPT_CHARS * 4].decode("utf-8", errors="replace")
    return plugin_requests.redact(text, secrets)[: settings.PLUGIN_EXCERPT_CHARS]


def _api_call(job: Job, plugin: dict, plugin_input: dict, idempotency_key: str) -> Outcome:
    try:
        prepared = plugin_requests.prepare_request(
            plugin,
            plugin_input,
            secrets=job.secrets,
            public_base_url=settings.PUBLIC_BASE_URL,
            webhook_secret=job.webhook_secret,
        )
    except plugin_requests.PluginRequestError as problem:
        return Outcome(ok=False, error=str(problem))
    headers = {"User-Agent": USER_AGENT, **prepared.headers, "Idempotency-Key": idempotency_key}
    recorded = {**prepared.redacted, "idempotencyKey": idempotency_key}
    try:
        response = outbound.request(
            prepared.method,
            prepared.url,
            project=job.project,
            headers=headers,
            content=prepared.body,
            timeout=settings.PLUGIN_TIMEOUT_SECONDS,
            follow_redirects=True,
            max_response_bytes=settings.PLUGIN_RESPONSE_MAX_BYTES + 1,
        )
    except outbound.TargetRefused as refused:
        return Outcome(ok=False, error=f"Target refused: {refused}", request=recorded)
    except outbound.OutboundTimeout as failure:
        return Outcome(ok=False, error=f"Timeout: {failure}", retryable=True, request=recorded)
    except OSError as failure:  # outbound.OutboundError: connection refused, TLS, protocol
        return Outcome(ok=False, error=str(failure), retryable=True, request=recorded)
    excerpt = _excerpt(response.content, job.secrets)
    status = response.status_code
    base = {"http_status": status, "request": recorded, "request_payload": plugin_requests.redact(prepared.payload, job.secrets), "response_excerpt": excerpt}
    if len(response.content) > settings.PLUGIN_RESPONSE_MAX_BYTES:
        return Outcome(ok=False, error=f"The vendor's answer is larger than {settings.PLUGIN_RESPONSE_MAX_BYTES} bytes.", **base)
    if not 200 <= status < 300:
        return Outcome(ok=False, error=f"The vendor answered {status}.", retryable=status in RETRYABLE_STATUS, **base)
    try:
        output = plugin_requests.read_response(plugin, status, response.content, response.headers.get("content-type"))
    except plugin_requests.PluginRequestError as problem:
        return Outcome(ok=False, error=str(problem), **base)
    waiting = isinstance(output, dict) and output.get("status") == "IN_PROGRESS"
    # A vendor that echoes a secret back does not get it stored in the case.
    return Outcome(ok=True, output=plugin_requests.redact(output, job.secrets), waiting=waiting, **base)


def _transformer(job: Job) -> Outcome:
    try:
        output = plugin_requests.apply_transformers(job.plugin.get("transformers") or [], job.plugin_input)
    except plugin_requests.PluginRequestError as problem:
        return Outcome(ok=False, error=str(problem))
    return Outcome(ok=True, output=output)


def _dispatch(job: Job) -> Outcome:
    """The payload of a dispatch plugin: its `payload` with its transformers' output over it."""
    payload = dict(job.plugin.get("payload") or {})
    if job.plugin.get("transformers"):
        try:
            computed = plugin_requests.apply_transformers(job.plugin["transformers"], job.plugin_input)
        except plugin_requests.PluginRequestError as problem:
            return Outcome(ok=False, error=str(problem))
        if not isinstance(computed, dict):
            return Outcome(ok=False, error=f"The transformers gave {type(computed).__name__}, not a payload object.")
        payload.update(computed)
    return Outcome(ok=True, dispatch=(job.plugin.get("eventName"), payload))


def _iterative(job: Job) -> Outcome:
    """Runs the action plugin for each item; all must succeed. The failed items and their
    errors are the output of a failure; what the others did stays."""
    try:
        items = plugin_requests.apply_transformers(job.plugin.get("iterateOn") or [], job.plugin_input)
    except plugin_requests.PluginRequestError as problem:
        return Outcome(ok=False, error=str(problem))
    if not isinstance(items, list):
        return Outcome(ok=False, error=f"iterateOn gave {type(items).__name__}, not a list of items.")
    found = plugin_declaration(job.extensions, job.plugin.get("actionPluginName"))
    if found is not None and found[0] == PluginList.CHILD:
        return Outcome(ok=True, child_plugin=found[1], child_inputs=items)  # one child per item
    if found is None or found[0] != PluginList.API:
        return Outcome(ok=False, error=f"The action plugin '{job.plugin.get('actionPluginName')}' does not run on this server yet.")
    action = found[1]
    results, failed, retryable = [], [], False
    for index, item in enumerate(items):
        outcome = _api_call(job, action, item if isinstance(item, dict) else {"item": item}, f"{job.idempotency_key}-{index}")
        results.append(outcome.output if outcome.ok else None)
        if not outcome.ok:
            failed.append({"index": index, "error": outcome.error})
            retryable = retryable or outcome.retryable
    if failed:
        return Outcome(ok=False, error=f"{len(failed)} of {len(items)} items failed.", retryable=retryable, output={"failedItems": failed})
    return Outcome(ok=True, output=results)


# --- the outcome ---------------------------------------------------------------------------


@locking.deadlock_retried
@transaction.atomic
def _finish(job: Job, outcome: Outcome, *, started, duration_ms: int) -> str:
    runtime = locking.case_lock_any_project(runtime_id=PluginRun.objects.values_list("runtime_id", flat=True).get(pk=job.run_id))
    run = PluginRun.objects.select_for_update().select_related("project").get(pk=job.run_id)
    if run.status != PluginRunStatus.RUNNING or run.attempt_count != job.attempt_count:
        return run.status  # changed meanwhile (another worker took over an expired lease)
    number = run.attempt_count + 1
    PluginAttempt.objects.create(
        run=run, number=number, started_at=started, duration_ms=duration_ms, http_status=outcome.http_status, error=outcome.error
    )
    run.attempt_count, run.claimed_until, run.duration_ms = number, None, duration_ms
    run.http_status, run.error = outcome.http_status, outcome.error
    run.request, run.response_excerpt = outcome.request, outcome.response_excerpt
    if not outcome.ok and outcome.retryable and number < settings.PLUGIN_MAX_ATTEMPTS:
        run.status, run.next_attempt_at = PluginRunStatus.QUEUED, timezone.now() + timedelta(seconds=retry_delay(number))
        run.save()
        run_plugin.using(run_after=run.next_attempt_at).enqueue(str(run.pk))
        return "retrying"
    run.finished_at, run.next_attempt_at = timezone.now(), None
    if outcome.ok:
        run.status = PluginRunStatus.WAITING if outcome.waiting else PluginRunStatus.SUCCEEDED
    else:
        run.status = PluginRunStatus.FAILED
    if runtime is None or runtime.state_entry != run.entry or runtime.status == RuntimeStatus.FAILED:
        # The answer is kept on the run; the case, which has moved on, is not touched.
        run.error = _joined(run.error, "Stale: the case had left the state when the answer came; nothing applied.")
        run.status = PluginRunStatus.STALE
        run.save()
        next_run_release(run.runtime_id)
        return run.status
    if runtime.status != RuntimeStatus.ACTIVE:
        # A plugin of a final state (an e-mail on approval): it ran; a closed case takes no change.
        if not is_fire_and_forget(job.plugin):
            run.error = _joined(run.error, "The case is closed: the outcome was not applied to it.")
        run.save()
        next_run_release(run.runtime_id)
        return run.status
    run.save()
    _apply(run, runtime, job, outcome)
    next_run_release(run.runtime_id)
    return run.status


def _apply(run: PluginRun, runtime, job: Job, outcome: Outcome) -> None:
    """Persists the outcome in the context, records it, and sends the plugin's action."""
    plugin, project, actor = job.plugin, run.project, plugin_actor(run.plugin_name)
    if outcome.child_plugin is not None:
        outcome = _children(run, runtime, outcome, actor)
    if outcome.dispatch is not None:
        outcome = _dispatched(run, runtime, outcome)
    if is_fire_and_forget(plugin):
        return  # Ballerine's rule: only the run is recorded
    ok, error = outcome.ok, outcome.error
    if ok:
        try:
            context = plugin_requests.persist(runtime.context, plugin, outcome.output, outcome.request_payload)
        except plugin_requests.PluginRequestError as problem:  # a destination through a scalar
            context, ok, error = runtime.context, False, str(problem)
        problems = context_errors(context, runtime.definition_version.context_schema) if ok else []
        if problems:
            ok, error = False, "The vendor's answer does not fit the context schema: " + "; ".join(
                f"{problem.path}: {problem.message}" for problem in problems
            )
    if not ok:
        context = plugin_requests.persist_error(runtime.context, plugin, error)
        failed_items = outcome.output.get("failedItems") if isinstance(outcome.output, dict) and not outcome.ok else None
        if failed_items:  # an iterative plugin: which items failed, and why
            context["pluginsOutput"][run.plugin_name]["failedItems"] = failed_items
        if context_errors(context, runtime.definition_version.context_schema):
            context = runtime.context  # even the error does not fit: it stays on the run only
    if not ok and run.status != PluginRunStatus.FAILED:
        run.status, run.error = PluginRunStatus.FAILED, error
        run.save(update_fields=["status", "error"])
    kind = HistoryKind.PLUGIN_SUCCEEDED if ok else HistoryKind.PLUGIN_FAILED
    context_write(
        project=project,
        runtime=runtime,
        context=context,
        actor=actor,
        kind=kind,
        payload={
            "pluginRun": str(run.pk),
            "plugin": run.plugin_name,
            "kind": run.plugin_kind,
            "httpStatus": outcome.http_status,
            "error": error,
            "attempts": run.attempt_count,
        },
    )
    action = plugin.get("successAction") if ok else plugin.get("errorAction")
    if action:
        _send_action(run, runtime, project, action, actor)


def _children(run: PluginRun, runtime, outcome: Outcome, actor: Actor) -> Outcome:
    """Starts the children in this (the outcome's) transaction, the parent locked; the ones
    that could not start are the failed items, and the others stay started."""
    started = children_start(parent=runtime, plugin=outcome.child_plugin, inputs=outcome.child_inputs, actor=actor)
    parent_children_record(parent=runtime, children=started.started, actor=actor, plugin_name=run.plugin_name)
    output = {"children": [str(child.pk) for child in started.started]}
    if started.failed:
        error = f"{len(started.failed)} of {len(outcome.child_inputs)} child cases could not start: " + "; ".join(item["error"] for item in started.failed)
        run.status, run.error = PluginRunStatus.FAILED, error
        run.save(update_fields=["status", "error"])
        return Outcome(ok=False, error=error, output={**output, "failedItems": started.failed})
    return Outcome(ok=True, output=output)


DISPATCH_HANDLERS = {"ENTITIES_UPDATE": entities_update}


def _dispatched(run: PluginRun, runtime, outcome: Outcome) -> Outcome:
    """Runs the registered handler in this (the outcome's) transaction, the case locked."""
    name, payload = outcome.dispatch
    handler = DISPATCH_HANDLERS.get(name)
    if handler is None:
        return Outcome(ok=False, error=f"No handler is registered as '{name}'.")
    try:
        with transaction.atomic():
            output = handler(runtime=runtime, payload=payload)
    except ValidationFailed as refused:
        run.status, run.error = PluginRunStatus.FAILED, str(refused)
        run.save(update_fields=["status", "error"])
        return Outcome(ok=False, error=str(refused))
    return Outcome(ok=True, output=output)


def _send_action(run: PluginRun, runtime, project, action: str, actor: Actor) -> None:
    try:
        with transaction.atomic():  # a refused action leaves the persisted outcome in place
            result = system_event_send(project=project, runtime=runtime, name=action, payload=None, actor=actor)
    except (EventRefused, ValidationFailed, RuntimeClosed) as refused:
        note = f"Its action '{action}' was refused: {refused}"
    else:
        if not result.failure:
            return
        note = result.failure
    run.error = _joined(run.error, note)
    run.save(update_fields=["error"])


def _joined(first: str, second: str) -> str:
    return f"{first} {second}" if first else second


# --- people --------------------------------------------------------------------------------


@transaction.atomic
def plugin_run_again(*, project, runtime_id, plugin_name: str, actor: Actor, expected_version=None) -> PluginRun:
    """Run again (an operator or admin): queues the plugin anew for the case's current entry,
    when the case is open and still in a state that lists it."""
    require_can_act(actor, project)
    runtime = locking.case_lock(project=project, runtime_id=runtime_id)
    if runtime.status != RuntimeStatus.ACTIVE:
        raise RuntimeClosed(f"The workflow is {runtime.status}; it accepts no more changes.")
    decisions.version_check(runtime, expected_version)
    listed = [entry for entry in plugins_for_state(runtime.definition_version.extensions, runtime.state) if entry[1].get("name") == plugin_name]
    if not listed:
        raise ServiceError(f"No plugin '{plugin_name}' runs in state '{runtime.state}'.")
    if PluginRun.objects.filter(runtime=runtime, plugin_name=plugin_name, status__in=BLOCKING_STATUSES).exists():
        raise ServiceError(f"'{plugin_name}' is already queued or running for this case.")
    runs = plugin_runs_queue(runtime, listed, requested_by_label=actor.label)
    history_write(
        runtime=runtime,
        actor=actor,
        kind=HistoryKind.PLUGIN_REQUEUED,
        payload={"plugin": plugin_name, "pluginRun": str(runs[0].pk)},
    )
    return runs[0]


def plugin_runs_requeue_stalled(*, older_than: timedelta) -> int:
    """Queues again the runs whose task was lost (a worker killed mid-run): queued and overdue,
    or running past their lease. Their Idempotency-Key stays the same."""
    now = timezone.now()
    cutoff = now - older_than

    stalled = list(
        PluginRun.objects.filter(status__in=BLOCKING_STATUSES)
        .filter(
            Q(status=PluginRunStatus.QUEUED, next_attempt_at__lt=cutoff)
            | Q(status=PluginRunStatus.RUNNING, claimed_until__lt=now)
        )
        .values_list("pk", flat=True)
    )
    with transaction.atomic():
        for run_id in stalled:
            run_plugin.enqueue(str(run_id))
    return len(stalled)
