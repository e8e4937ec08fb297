import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import django_filters
from django import forms
from django_filters.constants import EMPTY_VALUES
from django.contrib.postgres.aggregates import ArrayAgg
from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import Count, F, Func, Q, UUIDField
from django.http import QueryDict
from django.utils import timezone
from django.utils.functional import cached_property

from workflows.models import RuntimeStatus
from workflows.ordering import StableOrderingFilter

from .pagination import COUNT_CAP

ANY_STATUS = "any"
# Newest first; the same order as `sort=-created` (which also ends with the primary key).
DEFAULT_SORT = "-created"
# A search term that is a case id: the whole UUID, or its first hex digits (at least this many),
# found as a range of the primary key.
CASE_ID_PREFIX_MIN = 8
HEX = frozenset("0123456789abcdef")
# "12 closed cases match": counted up to this many (one query with LIMIT), shown as "1,000+".
CLOSED_MATCHES_CAP = 1_000
CLOSED_STATUSES = (RuntimeStatus.COMPLETED, RuntimeStatus.FAILED)


class QueueOrderingFilter(StableOrderingFilter):
    """The queue's sort; `due` puts the cases without a due time last, and `-due` is its exact
    reverse (so a page read from the end, cases.pagination, gets the same rows)."""

    def filter(self, qs, value):
        qs = super().filter(qs, value)
        if value in EMPTY_VALUES or not any(v.lstrip("-") == "due" for v in value):
            return qs
        ordering = [
            (F("due_at").desc(nulls_first=True) if key.startswith("-") else F("due_at").asc(nulls_last=True))
            if isinstance(key, str) and key.lstrip("-") == "due_at" else key
            for key in qs.query.order_by
        ]
        return qs.order_by(*ordering)


@dataclass(frozen=True)
class SearchCounts:
    """A search's matches in the statuses shown and in the closed statuses hidden, each capped
    as the page shows it (COUNT_CAP + 1, CLOSED_MATCHES_CAP + 1); None for one that must be
    counted on its own."""

    shown: int | None
    closed: int | None
    # The primary keys of the page asked for, in the page's order, when the same query read
    # every match (PostgreSQL): the page then reads only its rows, without a second search.
    page_ids: list | None = None


class _ArraySlice(Func):
    """`(array)[start:stop]`: PostgreSQL's slice, 1-based, both ends included, empty past the end."""

    template = "(%(expressions)s)[%(start)d:%(stop)d]"


@dataclass(frozen=True)
class IgnoredFilter:
    """A query-string value the page could not use: named in an alert and left out."""

    name: str
    label: str
    value: str
    messages: list[str]

    @property
    def unmentioned_value(self) -> str:
        """The value as given, when its messages do not already quote it."""
        return "" if self.value in " ".join(self.messages) else self.value


class CaseFilter(django_filters.FilterSet):
    """The queue page's filters; every value lives in the query string."""

    q = django_filters.CharFilter(method="search", label="Search", widget=forms.TextInput(attrs={"placeholder": "Name, ID, email or reg. no.", "type": "search"}))
    status = django_filters.ChoiceFilter(method="filter_status", label="Status", empty_label=None)
    state = django_filters.ChoiceFilter(field_name="state", label="State", empty_label="Any state")
    assignee = django_filters.ChoiceFilter(method="filter_assignee", label="Assignee", empty_label="Anyone")
    definition = django_filters.ChoiceFilter(field_name="definition__key", label="Workflow", empty_label="All workflows")
    # slaHours: open cases past their due time, or due before midnight (current time zone).
    due = django_filters.ChoiceFilter(
        method="filter_due", label="Due", empty_label="Any time", choices=(("overdue", "Overdue"), ("today", "Due today"))
    )
    part_of_parent = django_filters.ChoiceFilter(
        method="filter_part_of_parent", label="Part of a parent case", empty_label="Any", choices=(("yes", "Yes"), ("no", "No"))
    )
    # Compared with midnight timestamps (in the current time zone), not `__date`: a function of
    # the column cannot use its index.
    created_after = django_filters.DateFilter(
        method="filter_created_after", label="Created from", widget=forms.DateInput(attrs={"type": "date"})
    )
    created_before = django_filters.DateFilter(
        method="filter_created_before", label="Created until", widget=forms.DateInput(attrs={"type": "date"})
    )
    sort = QueueOrderingFilter(
        fields=(
            # The case's copies (WorkflowRuntime.entity_name, ...): indexed with the queue's
            # filters, where the entity's and the user's columns need a join and a sort.
            ("entity_name", "name"),
            ("entity_correlation_id", "correlation_id"),
            ("definition__key", "definition"),
            ("state", "state"),
            ("status", "status"),
            ("assignee_username", "assignee"),
            ("created_at", "created"),
            ("updated_at", "updated"),
            ("due_at", "due"),
        ),
        label="Sort by",
    )

    def filter_part_of_parent(self, queryset, name, value):
        if value == "yes":
            return queryset.filter(parent_runtime__isnull=False)
        if value == "no":
            return queryset.filter(parent_runtime__isnull=True)
        return queryset

    def __init__(self, data=None, *args, queue, user, states, members, definitions, **kwargs):
        self.queue, self.user = queue, user
        self._arguments = (args, {"queue": queue, "user": user, "states": states, "members": members, "definitions": definitions, **kwargs})
        # The query string as given (for links); `data` gets the defaults the form shows.
        self.requested = data.copy() if data is not None else None
        data = data.copy() if data is not None else None
        if data is not None and not data.get("status"):
            data["status"] = self.default_status
        super().__init__(data, *args, **kwargs)
        status_choices = [(ANY_STATUS, "Any status"), *RuntimeStatus.choices]
        default = ",".join(queue.statuses)
        if queue.statuses and default not in dict(status_choices):
            status_choices.insert(0, (default, "Queue default"))
        self.filters["status"].extra["choices"] = status_choices
        self.filters["state"].extra["choices"] = [(s, s) for s in states]
        self.filters["assignee"].extra["choices"] = [
            ("me", "Me"),
            ("unassigned", "Unassigned"),
            *[(u.username, u.get_full_name() or u.username) for u in members],
        ]
        self.filters["definition"].extra["choices"] = [(d.key, d.name) for d in definitions]
        if len(definitions) < 2:
            del self.filters["definition"]
        for field in self.form.fields.values():
            is_select = isinstance(field.widget, forms.Select)
            field.widget.attrs.setdefault("class", "form-select" if is_select else "form-control")
        self.ignored: list[IgnoredFilter] = []
        self._search_counts: dict[tuple, SearchCounts] = {}
        if self.is_bound:
            self._drop_invalid_values()

    @property
    def default_status(self) -> str:
        # The queue's own statuses are the default view; "any" lifts them.
        return ",".join(self.queue.statuses) if self.queue.statuses else ANY_STATUS

    def _drop_invalid_values(self):
        """A bad value in a bookmarked or hand-edited URL must not empty the table: each invalid
        filter is reported (beside its field and in `ignored`) and left out, and the others still
        apply. Its field then shows what applies instead (a date input or a select cannot show
        the bad value anyway)."""
        form = self.form
        form.is_valid()
        after, before = form.cleaned_data.get("created_after"), form.cleaned_data.get("created_before")
        if after and before and after > before:
            # Keep the start date: the end date is the one that contradicts it.
            form.add_error("created_before", f"{before.isoformat()} is earlier than “{form.fields['created_after'].label}” ({after.isoformat()}).")
        for name in list(form.errors):
            if name == "sort":
                # Column headers write the sort; an unknown one is old or hand-made: default order.
                del form.errors[name]
            else:
                self.ignored.append(
                    IgnoredFilter(name, form.fields[name].label, self.requested.get(name, ""), list(form.errors[name]))
                )
            form.data.pop(name, None)
        if "status" in form.errors:
            # Without a valid status the queue's default applies, as when none is given.
            form.data["status"] = form.cleaned_data["status"] = self.default_status

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        sort = self.form.cleaned_data.get("sort") or [DEFAULT_SORT]
        if sort[0].lstrip("-") == "definition" and "definition" not in self.filters:
            # One workflow: every row has the same definition, so the order is the tie-breaker.
            return queryset.order_by("-pk" if sort[0].startswith("-") else "pk")
        if not self.form.cleaned_data.get("sort"):
            queryset = self.filters["sort"].filter(queryset, [DEFAULT_SORT])
        return queryset

    def filter_created_after(self, queryset, name, value):
        return queryset.filter(created_at__gte=_midnight(value))

    def filter_created_before(self, queryset, name, value):
        return queryset.filter(created_at__lt=_midnight(value + timedelta(days=1)))

    @property
    def sort_value(self) -> str:
        """The order the rows are in, as a `sort` value (the default when none was valid)."""
        return ",".join(self.form.cleaned_data.get("sort") or [DEFAULT_SORT])

    @property
    def requested_sort(self) -> str:
        """The valid sort given in the URL, "" for none; kept when the filters are submitted."""
        return ",".join(self.form.cleaned_data.get("sort") or [])

    def link_query(self) -> str:
        """The query string for sort and page links: the request's filters without the page
        and without the values that were ignored, so a link never repeats an error."""
        query = self.requested.copy() if self.requested is not None else QueryDict(mutable=True)
        for name in ("page", "sort", *(i.name for i in self.ignored)):
            query.pop(name, None)
        if self.requested_sort:
            query["sort"] = self.requested_sort
        return query.urlencode()

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # The case's copies of its entity's name, id, email and registration number: on
        # PostgreSQL one GIN index holds their trigrams with the definition and the status
        # (migrations workflows 0013 and 0017), so only the queue's matching cases are read,
        # not every case with the term. A case id (or its first digits) is a range of the
        # primary key's index.
        condition = (
            Q(entity_name__icontains=value) | Q(entity_correlation_id__icontains=value)
            | Q(entity_email__icontains=value) | Q(entity_registration_number__icontains=value)
        )
        ids = case_id_range(value)
        if ids is not None:
            condition |= Q(pk__range=ids)
        return queryset.filter(condition)

    def filter_due(self, queryset, name, value):
        now = timezone.now()
        open_cases = queryset.filter(status=RuntimeStatus.ACTIVE)
        if value == "overdue":
            return open_cases.filter(due_at__lt=now)
        if value == "today":
            return open_cases.filter(due_at__gte=now, due_at__lt=_midnight(timezone.localdate() + timedelta(days=1)))
        return queryset

    def hidden_closed_statuses(self) -> list[str]:
        """The closed statuses the status filter leaves out ([] for any status)."""
        status = self.form.cleaned_data.get("status") if hasattr(self.form, "cleaned_data") else None
        status = status or self.default_status
        if status == ANY_STATUS:
            return []
        shown = set(status.split(","))
        return [s for s in CLOSED_STATUSES if s not in shown]

    def _searching(self) -> bool:
        return bool(self.is_bound and (self.form.cleaned_data.get("q") or "").strip())

    def _searching_hiding_closed(self) -> bool:
        return self._searching() and bool(self.hidden_closed_statuses())

    @cached_property
    def _any_status_filter(self) -> "CaseFilter":
        """The same filters with every status (and without "due", which means open cases)."""
        data = self.form.data.copy()
        data["status"] = ANY_STATUS
        data.pop("due", None)
        args, kwargs = self._arguments
        return type(self)(data, *args, **kwargs)

    def search_counts(self, page: int | None = None, per_page: int | None = None) -> SearchCounts | None:
        """For a search, the counts the page shows (the matches listed and, when closed
        statuses are hidden, the closed ones) from one query over the matches; with `page` and
        `per_page`, on PostgreSQL, the same query also gives that page's ids in the page's
        order (a trigram search's cost is building the bitmap of its matches: one query
        instead of three). None when there is nothing to combine (no search, a "due" filter)."""
        if not self._searching() or self.form.cleaned_data.get("due"):
            return None
        key = (page, per_page)
        if key not in self._search_counts:
            self._search_counts[key] = self._count_search(page, per_page)
        return self._search_counts[key]

    def _count_search(self, page, per_page) -> SearchCounts:
        shown = (self.form.cleaned_data.get("status") or self.default_status).split(",")
        hidden = self.hidden_closed_statuses()
        matches = (self._any_status_filter.qs if hidden else self.qs).order_by()
        if hidden and set(shown) | set(hidden) != set(RuntimeStatus.values):
            # Without a condition on the status when every status counts: the GIN index then
            # reads no status entry.
            matches = matches.filter(status__in=[*shown, *hidden])
        listed_only = Q(status__in=shown) if hidden else None
        limit = COUNT_CAP + CLOSED_MATCHES_CAP + 1
        aggregates = {"every": Count("pk"), "shown": Count("pk", filter=listed_only)}
        if hidden:
            aggregates["closed"] = Count("pk", filter=Q(status__in=hidden))
        ordering = list(self.qs.query.order_by)
        if page and per_page and ordering and connection.vendor == "postgresql":
            first = (page - 1) * per_page + 1
            aggregates["ids"] = _ArraySlice(
                ArrayAgg("pk", filter=listed_only, order_by=ordering, default=[]),
                start=first, stop=first + per_page - 1, output_field=ArrayField(UUIDField()),
            )
        found = matches[:limit].aggregate(**aggregates)
        listed = min(found["shown"], COUNT_CAP + 1)
        closed = min(found.get("closed", 0), CLOSED_MATCHES_CAP + 1)
        page_ids = found.get("ids")
        if found["every"] >= limit:
            # The LIMIT stopped the reading, so at least one count is past its cap (exact as
            # shown, "10,000+"); the other may have been cut and is counted on its own. The
            # ids are of an arbitrary part of the matches: the page reads its own.
            listed = listed if listed > COUNT_CAP else None
            closed = closed if closed > CLOSED_MATCHES_CAP else None
            page_ids = None
        return SearchCounts(shown=listed, closed=closed, page_ids=page_ids)

    def closed_matches(self) -> dict | None:
        """For a search whose status filter hides closed cases: how many closed cases match the
        same filters (capped at CLOSED_MATCHES_CAP; from `search_counts`, else one query) and
        the query string showing them; None without a search, when no closed status is hidden,
        or when none match."""
        if not self._searching_hiding_closed():
            return None
        hidden = self.hidden_closed_statuses()
        # Whichever page's counts were taken: the closed count is the same for each.
        counts = next(iter(self._search_counts.values()), None) or self.search_counts()
        if counts is not None and counts.closed is not None:
            found = counts.closed
        else:
            found = self._any_status_filter.qs.filter(status__in=hidden).order_by()[: CLOSED_MATCHES_CAP + 1].count()
        if not found:
            return None
        query = (self.requested.copy() if self.requested is not None else QueryDict(mutable=True))
        for key in ("page", "due", *(i.name for i in self.ignored)):
            query.pop(key, None)
        query["status"] = hidden[0] if len(hidden) == 1 else ANY_STATUS
        return {
            "count": found,
            "label": f"{CLOSED_MATCHES_CAP:,}+" if found > CLOSED_MATCHES_CAP else f"{found:,}",
            "query": query.urlencode(),
        }

    def filter_status(self, queryset, name, value):
        if value == ANY_STATUS:
            return queryset
        return queryset.filter(status__in=value.split(","))

    def filter_assignee(self, queryset, name, value):
        # On the case's copy of its assignee's user name, as the column shows and sorts it:
        # its index (with the queue's filters) finds and counts one person's cases alone.
        if value == "me":
            return queryset.filter(assignee_username=self.user.get_username())
        if value == "unassigned":
            return queryset.filter(assignee__isnull=True)
        return queryset.filter(assignee_username=value)


def _midnight(day) -> datetime:
    """The start of `day` in the current time zone, as an aware timestamp."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def case_id_range(value: str):
    """A search term that is a case id, or the start of one (CASE_ID_PREFIX_MIN hex digits or
    more, dashes where a UUID has them): the (lowest, highest) UUIDs it covers, else None. UUIDs
    compare as their hex digits do, on PostgreSQL (uuid) and SQLite (char(32)) alike."""
    digits = value.strip().lower()
    if len(digits) > 36 or any(c == "-" for c in digits[:8]):
        return None
    digits = digits.replace("-", "")
    if len(digits) < CASE_ID_PREFIX_MIN or len(digits) > 32 or not set(digits) <= HEX:
        return None
    return uuid.UUID(digits.ljust(32, "0")), uuid.UUID(digits.ljust(32, "f"))
