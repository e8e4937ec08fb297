from dataclasses import dataclass
from datetime import datetime, time, timedelta

import django_filters
from django import forms
from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone

from workflows.models import RuntimeStatus
from workflows.ordering import StableOrderingFilter

ANY_STATUS = "any"
# Newest first; the same order as `sort=-created` (which also ends with the primary key).
DEFAULT_SORT = "-created"


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

    q = django_filters.CharFilter(method="search", label="Search", widget=forms.TextInput(attrs={"placeholder": "Name, ID or email", "type": "search"}))
    status = django_filters.ChoiceFilter(method="filter_status", label="Status", empty_label=None)
    state = django_filters.ChoiceFilter(field_name="state", label="State", empty_label="Any state")
    assignee = django_filters.ChoiceFilter(method="filter_assignee", label="Assignee", empty_label="Anyone")
    definition = django_filters.ChoiceFilter(field_name="definition__key", label="Workflow", empty_label="All workflows")
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
    sort = StableOrderingFilter(
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
        # The case's copies of its entity's name, id and email: on PostgreSQL one GIN index
        # holds their trigrams with the definition and the status (migration workflows 0013),
        # so only the queue's matching cases are read, not every case with the term.
        return queryset.filter(
            Q(entity_name__icontains=value) | Q(entity_correlation_id__icontains=value) | Q(entity_email__icontains=value)
        )

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
