"""Reads for the operators' pages, always scoped to the current project."""

import hashlib

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from projects.models import ACTING_ROLES, Membership, Project
from workflows import decisions
from workflows.models import RuntimeStatus, WorkflowDefinitionVersion, WorkflowRuntime
from workflows.entity_text import entity_display_name
from workflows.services import state_outcome

from .models import Queue
from .pagination import COUNT_CAP


def queue_list(*, project: Project) -> list[Queue]:
    return list(Queue.objects.filter(project=project).prefetch_related("definitions").order_by("position", "name"))


def queue_get(*, project: Project, slug: str) -> Queue | None:
    return Queue.objects.filter(project=project, slug=slug).prefetch_related("definitions").first()


def queue_condition(queue: Queue) -> Q:
    """The runtimes a queue shows, as one condition (used for rows and for menu counts)."""
    condition = Q(entity_kind=queue.entity_kind, definition__in=[d.pk for d in queue.definitions.all()])
    if queue.statuses:
        condition &= Q(status__in=queue.statuses)
    if queue.states:
        condition &= Q(state__in=queue.states)
    return condition


def queue_counts(*, project: Project, queues: list[Queue]) -> dict[int, int]:
    """Open cases per queue (see queue_menu_counts), in one query."""
    return {pk: open_count for pk, (open_count, _) in _menu_counts(project=project, queues=queues).items()}


# The menu's counts of a project with at least this many open cases in its queues are kept this
# long in the cache (per project and queue set): below it, counting is cheap and always exact.
MENU_COUNTS_CACHE_FROM = 2_000
MENU_COUNTS_CACHE_SECONDS = 30


def queue_menu_counts(*, project: Project, queues: list[Queue], cached: bool = True) -> dict[int, tuple[int, int]]:
    """(open, overdue) cases per queue for the menu, each count stopping after COUNT_CAP + 1
    rows (shown as "10,000+"), all in one query on the queues' indexes (the overdue ones on the
    open cases' due-time index: a range, whatever the closed cases). A project with
    MENU_COUNTS_CACHE_FROM open cases or more reads them at most every
    MENU_COUNTS_CACHE_SECONDS (unless not `cached`): at a million cases counting costs ~10 ms a
    page, and a count of thousands that is half a minute old shows the same work."""
    if not queues:
        return {}
    signature = ";".join(
        f"{q.pk}:{q.entity_kind}:{','.join(str(d.pk) for d in q.definitions.all())}:{','.join(q.statuses or [])}:{','.join(q.states or [])}"
        for q in queues
    )
    key = f"queue-menu-counts:{project.pk}:{hashlib.sha256(signature.encode()).hexdigest()[:32]}"
    counts = cache.get(key) if cached else None
    if counts is None:
        counts = _menu_counts(project=project, queues=queues, overdue=True)
        if sum(open_count for open_count, _ in counts.values()) >= MENU_COUNTS_CACHE_FROM:
            cache.set(key, counts, MENU_COUNTS_CACHE_SECONDS)
    return counts


def _menu_counts(*, project: Project, queues: list[Queue], overdue: bool = False) -> dict[int, tuple[int, int]]:
    if not queues:
        return {}
    now = timezone.now()
    parts, params = [], []
    for n, queue in enumerate(queues):
        open_cases = WorkflowRuntime.objects.filter(queue_condition(queue), project=project, status=RuntimeStatus.ACTIVE)
        for m, rows in enumerate([open_cases, *([open_cases.filter(due_at__lt=now)] if overdue else [])]):
            try:
                sql, sql_params = rows.order_by().values("pk")[: COUNT_CAP + 1].query.sql_with_params()
            except EmptyResultSet:  # a queue without workflows
                parts.append("0")
                continue
            parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS q{n}_{m})")
            params.extend(sql_params)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        counts = cursor.fetchone()
    step = 2 if overdue else 1
    return {
        queue.pk: (counts[n * step], counts[n * step + 1] if overdue else 0) for n, queue in enumerate(queues)
    }


def count_label(count: int) -> str:
    return f"{COUNT_CAP:,}+" if count > COUNT_CAP else str(count)


def queue_runtimes(*, queue: Queue, base_statuses: bool = True) -> QuerySet[WorkflowRuntime]:
    """The queue's cases with everything a row shows. With `base_statuses=False` the queue's
    status restriction is left to the page's filter."""
    condition = Q(entity_kind=queue.entity_kind, definition__in=[d.pk for d in queue.definitions.all()])
    if base_statuses and queue.statuses:
        condition &= Q(status__in=queue.statuses)
    if queue.states:
        condition &= Q(state__in=queue.states)
    # A row shows the case's copies of its entity's name and id and of its assignee's user
    # name: no join with the entities or the users, whatever the order.
    return (
        WorkflowRuntime.objects.filter(condition, project_id=queue.project_id)
        .select_related("definition")
        .only(
            "id", "version", "state", "status", "created_at", "updated_at", "tags", "resolved_at",
            "decided_by_label", "decided_at", "pending_event", "pending_by_label", "pending_at",
            "entity_name", "entity_correlation_id", "assignee_username", "due_at",
            "definition__key", "definition__name",
        )
    )


def latest_versions(definitions) -> dict:
    """Newest version of each definition, in one query."""
    newest = (
        WorkflowDefinitionVersion.objects.filter(definition=OuterRef("definition"))
        .order_by("-version")
        .values("version")[:1]
    )
    versions = WorkflowDefinitionVersion.objects.filter(
        definition__in=definitions, version=Subquery(newest)
    ).select_related("definition")
    return {version.definition_id: version for version in versions}


def project_members(*, project: Project, acting_only: bool = False):
    memberships = Membership.objects.filter(project=project).select_related("user").order_by("user__username")
    if acting_only:
        memberships = memberships.filter(role__in=ACTING_ROLES)
    return [m.user for m in memberships]


def acting_member_get(*, project: Project, username: str):
    """The user named `username` if they may act on this project's cases, else None."""
    membership = (
        Membership.objects.filter(project=project, user__username=username, role__in=ACTING_ROLES)
        .select_related("user")
        .first()
    )
    return membership.user if membership else None


def case_get(*, project: Project, runtime_id) -> WorkflowRuntime | None:
    return (
        WorkflowRuntime.objects.filter(project=project, pk=runtime_id)
        .select_related("definition", "definition_version", "entity", "assignee")
        .first()
    )


CASE_HISTORY_ROWS = 50


def case_history(*, runtime: WorkflowRuntime, limit: int | None = CASE_HISTORY_ROWS) -> tuple[list, bool]:
    """The newest `limit` history rows (all with None), newest first, and whether there are
    older ones (one query: a row more than shown is read to know)."""
    rows = runtime.history.select_related("actor_user").order_by("-created_at", "-id")
    if limit is None:
        return list(rows), False
    rows = list(rows[: limit + 1])
    return rows[:limit], len(rows) > limit


def case_queue(*, project: Project, runtime: WorkflowRuntime) -> Queue | None:
    """The queue a case is worked from: the first in the menu that lists its workflow."""
    return (
        Queue.objects.filter(project=project, definitions=runtime.definition_id, entity_kind=runtime.entity.kind)
        .order_by("position", "name")
        .first()
    )


def case_entity_data(runtime: WorkflowRuntime) -> dict:
    """The entity as this case knows it (its own context). The entity record holds the data
    last received for it, possibly from a later case."""
    entity = runtime.context.get("entity") if isinstance(runtime.context, dict) else None
    data = entity.get("data") if isinstance(entity, dict) else None
    return data if isinstance(data, dict) else {}


def case_name(runtime: WorkflowRuntime) -> str:
    """The case's own name for its entity (from its context), else the entity record's."""
    entity = runtime.entity
    return entity_display_name(entity.kind, case_entity_data(runtime)) or entity.display_name or entity.correlation_id


def case_event_choices(machine, state: str) -> list[dict]:
    """The events available in `state`: name, whether it completes the case, and the decision
    it leads to (approved, rejected, or None)."""
    finals = {
        event: state_outcome(target, machine.tags(target))
        for source, event, target in machine.edges()
        if source == state and event and machine.is_final(target)
    }
    return [
        {"name": name, "final": name in finals, "outcome": finals.get(name)} for name in machine.next_events(state)
    ]


def state_labels_set(cases: list) -> None:
    """Gives each case its `state_label` as its own definition version names the state
    (`meta.label`, else the readable name), as the queue shows it: one query for all the
    versions of the page's cases."""
    version_ids = {case.definition_version_id for case in cases}
    charts = WorkflowDefinitionVersion.objects.filter(pk__in=version_ids).values_list("pk", "statechart") if version_ids else []
    labels = {pk: decisions.state_labels(chart) for pk, chart in charts}
    for case in cases:
        case.state_label = labels.get(case.definition_version_id, {}).get(case.state) or decisions.readable(case.state)


def case_family(*, runtime) -> dict:
    """A parent case's children (one query, however many) and a child's parent (SPEC 12)."""
    from workflows.models import WorkflowRuntime

    children = list(
        WorkflowRuntime.objects.filter(project_id=runtime.project_id, parent_runtime=runtime)
        .select_related("entity", "assignee", "definition")
        .order_by("created_at")
    )
    state_labels_set(children)
    parent = None
    if runtime.parent_runtime_id:
        parent = WorkflowRuntime.objects.select_related("entity").filter(project_id=runtime.project_id, pk=runtime.parent_runtime_id).first()
    return {
        "parent": parent,
        "children": [
            {"case": child, "ownership": _ownership_in(child.context)}
            for child in children
        ],
    }


def _ownership_in(context):
    """A child's ownership as its own case holds it: the person entity is shared by every
    company the person owns a part of, so its record holds whichever run came last."""
    entity = context.get("entity") if isinstance(context, dict) else None
    data = entity.get("data") if isinstance(entity, dict) else None
    return data.get("ownership") if isinstance(data, dict) else None


# --- bulk work and saved views ---------------------------------------------------------------

# The most cases one bulk action changes (the page says so; more is refused, not cut short).
BULK_CAP = 1000


def project_memberships(*, project: Project) -> list[Membership]:
    """Every membership of the project with its user, by user name (one query): the queue's
    assignee filter lists them all, its bulk assignment only those who may act."""
    return list(Membership.objects.filter(project=project).select_related("user").order_by("user__username"))


def bulk_selection(*, queryset, cap: int | None = None) -> tuple[dict, bool]:
    """The cases a bulk action would change, read from the queue's own scoped queryset (the
    page's filter, or the queue's cases among the ids sent): {id: version} in primary-key
    order, at most `cap`, and whether there were more (cap + 1 rows are read, no count)."""
    cap = BULK_CAP if cap is None else cap
    rows = list(queryset.order_by("pk").values_list("pk", "version")[: cap + 1])
    return dict(rows[:cap]), len(rows) > cap


def saved_views_menu(*, project: Project, user) -> dict[int, list]:
    """The saved views a user sees, per queue id: the project's, then their own, each by name.
    One query however many there are."""
    from .models import SavedView

    views = (
        SavedView.objects.filter(Q(owner__isnull=True) | Q(owner=user), project=project)
        .only("id", "queue_id", "owner_id", "name", "query")
        .order_by("queue_id", "owner_id", "name")
    )
    menu: dict[int, list] = {}
    for view in views:
        menu.setdefault(view.queue_id, []).append(view)
    for views_of_queue in menu.values():
        views_of_queue.sort(key=lambda view: (view.owner_id is not None, view.name.casefold()))
    return menu
