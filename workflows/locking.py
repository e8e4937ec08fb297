"""The one way to lock cases for a change (SPEC section 10): every writer to a case (events,
re-runs, hooks, plugin outcomes, document decisions, bulk actions, corrections) takes its row
locks here, so two writers always lock cases in the same order.

The order: a parent case before its children, and among cases of one generation, primary-key
order. A writer that needs several cases asks for all of them in one call.

One writer takes another row first: a run locks its entity (the upsert) before the entity's
open case, because that entity lock is what keeps two runs for one entity from opening two
cases. A change to a case that records the entity's outcome (an approval) locks them the
other way round, so a run and an approval of the same entity at the same moment can deadlock.
PostgreSQL detects it and aborts one of them; `deadlock_retried` runs that one again, in a new
transaction, once the other has committed.
"""

import functools
import logging

from django.db import OperationalError, connection

from config.fastload import get_with_related

from .errors import NotFound
from .models import RuntimeStatus, WorkflowRuntime

logger = logging.getLogger(__name__)

DEADLOCK_SQLSTATE = "40P01"
DEADLOCK_ATTEMPTS = 3


def is_deadlock(error: BaseException) -> bool:
    return getattr(error.__cause__, "sqlstate", None) == DEADLOCK_SQLSTATE


def deadlock_retried(function):
    """Runs `function` (which opens its own transaction) again when the database aborted it to
    break a deadlock, up to DEADLOCK_ATTEMPTS times. Inside a caller's transaction it runs
    once: only the outermost transaction can be started again."""

    @functools.wraps(function)
    def retried(*args, **kwargs):
        for attempt in range(1, DEADLOCK_ATTEMPTS + 1):
            if connection.in_atomic_block:
                return function(*args, **kwargs)
            try:
                return function(*args, **kwargs)
            except OperationalError as error:
                if attempt == DEADLOCK_ATTEMPTS or not is_deadlock(error):
                    raise
                logger.warning("%s was chosen to break a deadlock; running it again (attempt %d)", function.__name__, attempt + 1)

    return retried


# What a change reads of a case besides its row: loaded in the locking SELECT itself.
RELATED = ("definition_version", "definition", "entity", "assignee")


def case_lock(*, project, runtime_id) -> WorkflowRuntime:
    """Locks one case of the project (FOR UPDATE) and returns it with what a change reads;
    NotFound when the project has no such case. A child case's parent is locked first (a
    child's change reports to its parent in the same transaction). A case without a parent,
    the usual one, is locked by one SELECT (config.fastload: the ORM compiled this query
    slower than PostgreSQL answered it), which takes it only if it has no parent: a case's
    parent is set when it is created and never changes, so nothing else can be first."""
    runtime = get_with_related(
        WorkflowRuntime, related=RELATED, filters={"project": project.pk, "pk": runtime_id}, null=("parent_runtime",), lock=True
    )
    if runtime is not None:
        return runtime
    runtime = _parent_first_lock({"project": project.pk, "pk": runtime_id})
    if runtime is None:
        raise NotFound("Workflow runtime not found.")
    return runtime


def case_lock_any_project(*, runtime_id) -> WorkflowRuntime | None:
    """The same lock for the task worker, which acts for the case's own project (read from the
    case itself); None when the case is gone."""
    runtime = get_with_related(WorkflowRuntime, related=RELATED, filters={"pk": runtime_id}, null=("parent_runtime",), lock=True)
    return runtime if runtime is not None else _parent_first_lock({"pk": runtime_id})


def _parent_first_lock(filters: dict) -> WorkflowRuntime | None:
    """A child case, locked after its parent; None when there is no such case."""
    found = list(WorkflowRuntime.objects.filter(**filters).values_list("parent_runtime_id", flat=True)[:1])
    if not found:
        return None
    if found[0] is not None:
        get_with_related(WorkflowRuntime, related=(), filters={"pk": found[0]}, lock=True)
    return get_with_related(WorkflowRuntime, related=RELATED, filters=filters, lock=True)


def lock_order(runtimes) -> list:
    """Parents before children, then primary keys (as strings, as the database compares UUIDs
    the same way on every backend)."""

    def depth(runtime) -> int:
        return 1 if runtime.parent_runtime_id else 0

    return sorted(runtimes, key=lambda runtime: (depth(runtime), str(runtime.pk)))


def cases_lock(*, project, runtime_ids, related=RELATED) -> dict:
    """Locks several cases of the project in the one order and returns {id: case}. Ids the
    project does not have are left out. Rows are locked one statement per case, in order, so
    the database cannot lock them in the order it happens to scan them."""
    ids = sorted({str(runtime_id) for runtime_id in runtime_ids})
    located = list(
        WorkflowRuntime.objects.filter(project=project, pk__in=ids).only("pk", "parent_runtime_id").order_by("pk")
    )
    parents = sorted({str(runtime.parent_runtime_id) for runtime in located if runtime.parent_runtime_id} - set(ids))
    for parent_id in parents:  # a child's parent first, even when it is not one of the cases asked for
        get_with_related(WorkflowRuntime, related=(), filters={"pk": parent_id}, lock=True)
    locked = {}
    for runtime in lock_order(located):
        row = get_with_related(WorkflowRuntime, related=related, filters={"project": project.pk, "pk": runtime.pk}, lock=True)
        if row is not None:
            locked[row.pk] = row
    return locked


def open_case_lock(*, entity, definition_id):
    """Locks the entity's newest open case of the definition (a run for that entity updates it
    instead of starting a second case); None when it has none. One statement."""
    return (
        WorkflowRuntime.objects.select_for_update(of=("self",))
        .select_related(*RELATED)
        .filter(entity=entity, definition_id=definition_id, status=RuntimeStatus.ACTIVE)
        .order_by("-created_at")
        .first()
    )
