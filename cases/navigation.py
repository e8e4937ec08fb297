"""Walking a queue's view from a case page (issue 16 item 3).

A queue's row links carry the view they were shown in (`?from=/queues/<slug>/?<filters, sort,
page>`). The case page checks it (only a path of one of the project's queues, rebuilt from the
queue's own URL, so it can never lead to another host or a `javascript:` URL), leads back to
it, and finds the previous and next cases of that view by keyset on the view's order (its sort
key and the id): one query for both, whatever the size of the queue."""

from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from django.db import connections
from django.db.models import F, OrderBy, Q, Subquery
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from django.db.models.functions import Coalesce
from django.http import QueryDict
from django.urls import Resolver404, resolve, reverse

from workflows.models import WorkflowRuntime

FROM_PARAM = "from"
# Longer is not a view a queue page wrote (its filters are short): refused, not cut.
FROM_MAX_LENGTH = 2000
# The view each case was last opened from, kept in the session so that it survives the case's
# own forms (assign, notes, decisions and their confirmation pages redirect to the bare case URL).
SESSION_KEY = "case_views"
REMEMBERED_CASES = 50


@dataclass(frozen=True)
class QueueView:
    """One of the project's queues with the query string of a view of it (filters, sort, page)."""

    queue: object
    query: str = ""

    @property
    def url(self) -> str:
        path = reverse("cases:queue", kwargs={"slug": self.queue.slug})
        return f"{path}?{self.query}" if self.query else path

    @property
    def from_query(self) -> str:
        """`from=...` for a link to a case opened from this view."""
        return urlencode({FROM_PARAM: self.url})

    def filter_data(self) -> QueryDict:
        """The view's filters and sort, as the queue's filter reads them (without the page)."""
        data = QueryDict(self.query, mutable=True)
        data.pop("page", None)
        return data


def view_parse(value, *, queues) -> QueueView | None:
    """The view a `from` value names, if it is the path of one of `queues` (the project's);
    None for anything else: another host, a scheme, another page, an unknown queue."""
    if not isinstance(value, str) or not value or len(value) > FROM_MAX_LENGTH:
        return None
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.fragment:
        return None
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    if match.view_name != "cases:queue":
        return None
    queue = next((q for q in queues if q.slug == match.kwargs.get("slug")), None)
    if queue is None:
        return None
    # Re-encoded: the link written back is the queue's own path with a plain query string.
    return QueueView(queue=queue, query=QueryDict(parts.query).urlencode())


def default_view(runtime, *, queues) -> QueueView | None:
    """The case's queue (the first in the menu listing its workflow for its kind of entity)
    with its default view."""
    for queue in queues:
        if queue.entity_kind == runtime.entity_kind and any(d.pk == runtime.definition_id for d in queue.definitions.all()):
            return QueueView(queue=queue)
    return None


def view_remember(session, runtime_id, view: QueueView) -> None:
    """Keeps the view this case was opened from (at most REMEMBERED_CASES cases, the newest)."""
    remembered = dict(session.get(SESSION_KEY) or {})
    key = str(runtime_id)
    if remembered.get(key) == view.url and list(remembered)[-1:] == [key]:
        return  # nothing changes: no session write
    remembered.pop(key, None)
    remembered[key] = view.url
    session[SESSION_KEY] = dict(list(remembered.items())[-REMEMBERED_CASES:])


def view_remembered(session, runtime_id) -> str | None:
    remembered = session.get(SESSION_KEY)
    return remembered.get(str(runtime_id)) if isinstance(remembered, dict) else None


@dataclass(frozen=True)
class _Key:
    name: str  # a field path, e.g. "created_at" or "definition__key"
    descending: bool
    value: object
    nullable: bool
    nulls_high: bool | None = None  # where the order puts NULLs, when it says (None: the database's default)


def _field_value(runtime, name: str):
    value = runtime
    for part in name.split("__"):
        value = getattr(value, part, None)
        if value is None:
            return None
    return value


def _nullable(name: str) -> bool:
    model, field = WorkflowRuntime, None
    for part in name.split("__"):
        field = model._meta.get_field(part)
        model = field.related_model or model
    return bool(field.null)


def _order_keys(queryset, runtime) -> list[_Key] | None:
    """The queryset's order as keys with the case's values, ending with the primary key; None
    when it orders by something other than plain fields (then there are no neighbour links)."""
    keys = []
    for item in queryset.query.order_by:
        if isinstance(item, OrderBy) and isinstance(item.expression, F):
            # F("due_at").asc(nulls_last=True): NULLs after every value, whichever the direction.
            name, descending = item.expression.name, item.descending
            nulls_high = None
            if item.nulls_last or item.nulls_first:
                nulls_high = bool(item.nulls_last) != descending
        elif isinstance(item, str) and not item.startswith("?"):
            name, descending, nulls_high = item.lstrip("-"), item.startswith("-"), None
        else:
            return None
        name = "id" if name == "pk" else name
        keys.append(_Key(name, descending, _field_value(runtime, name), _nullable(name), nulls_high))
    if not keys or keys[-1].name != "id":
        return None  # every queue order ends with the primary key (StableOrderingFilter)
    return keys


def _tie(key: _Key) -> Q:
    return Q(**{f"{key.name}__isnull": True}) if key.value is None else Q(**{key.name: key.value})


def _beyond(key: _Key, upwards: bool, nulls_high: bool) -> list[Q]:
    """The values past the case's on this key, going up (or down) the order: as conditions in
    the order their rows come (the NULLs, which sort at one end, apart)."""
    nulls_high = nulls_high if key.nulls_high is None else key.nulls_high
    nulls_ahead = key.nullable and nulls_high == upwards
    if key.value is None:
        return [] if nulls_ahead else [Q(**{f"{key.name}__isnull": False})]
    parts = [Q(**{f"{key.name}__{'gt' if upwards else 'lt'}": key.value})]
    if nulls_ahead:
        parts.append(Q(**{f"{key.name}__isnull": True}))
    return parts


def _segments(keys: list[_Key], *, forward: bool, nulls_high: bool) -> list[Q]:
    """The rows after (or before) the case in the view's order, as conditions in the order their
    rows come: the first one that matches anything holds the neighbour. Each is a range of one
    index (the queue's filters, the sort key and the id); the last key and the id go together
    as one row comparison, `(key, id) > (value, id)`, which the index reads from its position."""
    segments = []
    moves = [(not key.descending) == forward for key in keys]
    last = len(keys) - 1
    start = last
    if last >= 1 and keys[last - 1].value is not None and moves[last - 1] == moves[last]:
        key, prefix = keys[last - 1], _ties(keys[: last - 1])
        lookup = TupleGreaterThan if moves[last] else TupleLessThan
        segments.append(prefix & Q(lookup(Tuple(F(key.name), F("id")), (key.value, keys[last].value))))
        segments.extend(prefix & part for part in _beyond(key, moves[last - 1], nulls_high)[1:])
        start = last - 2
    for i in range(start, -1, -1):
        prefix = _ties(keys[:i])
        segments.extend(prefix & part for part in _beyond(keys[i], moves[i], nulls_high))
    return segments


def _ties(keys: list[_Key]) -> Q:
    condition = Q()
    for key in keys:
        condition &= _tie(key)
    return condition


def view_neighbours(queryset, runtime) -> tuple[object, object]:
    """The ids of the cases before and after `runtime` in `queryset`'s order (None at either
    end), in one query whatever the queue's size: each side is the first row of a keyset range
    (no OFFSET), a few ranges only when the sort key is NULL on one side."""
    keys = _order_keys(queryset, runtime)
    if keys is None:
        return None, None
    nulls_high = connections[queryset.db].vendor == "postgresql"  # where NULLs sort, ascending
    rows = queryset.values("pk")  # in the view's order; reversed, its exact reverse
    backwards = rows.reverse()

    def first(segments, ordered):
        found = [Subquery(ordered.filter(segment)[:1]) for segment in segments]
        if not found:
            return None
        return found[0] if len(found) == 1 else Coalesce(*found)

    previous = first(_segments(keys, forward=False, nulls_high=nulls_high), backwards)
    following = first(_segments(keys, forward=True, nulls_high=nulls_high), rows)
    if previous is None and following is None:
        return None, None
    annotations = {name: value for name, value in (("previous", previous), ("next", following)) if value is not None}
    # The case's own row carries both subqueries (each planned on its own, as a range of one index).
    found = list(
        WorkflowRuntime.objects.using(queryset.db).filter(pk=runtime.pk).order_by()
        .annotate(**annotations).values_list(*annotations)[:1]
    )
    if not found:
        return None, None
    values = dict(zip(annotations, found[0]))
    return values.get("previous"), values.get("next")
