import django_filters
from django import forms
from django.db.models import Q

from workflows.models import RuntimeStatus
from workflows.ordering import StableOrderingFilter

ANY_STATUS = "any"


class CaseFilter(django_filters.FilterSet):
    """The queue page's filters; every value lives in the query string."""

    q = django_filters.CharFilter(method="search", label="Search", widget=forms.TextInput(attrs={"placeholder": "Name, id or email", "type": "search"}))
    status = django_filters.ChoiceFilter(method="filter_status", label="Status", empty_label=None)
    state = django_filters.ChoiceFilter(field_name="state", label="State", empty_label="Any state")
    assignee = django_filters.ChoiceFilter(method="filter_assignee", label="Assignee", empty_label="Anyone")
    definition = django_filters.ChoiceFilter(field_name="definition__key", label="Workflow", empty_label="All workflows")
    created_after = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", label="Created from", widget=forms.DateInput(attrs={"type": "date"})
    )
    created_before = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", label="Created until", widget=forms.DateInput(attrs={"type": "date"})
    )
    sort = StableOrderingFilter(
        fields=(
            ("entity__display_name", "name"),
            ("entity__correlation_id", "correlation_id"),
            ("definition__key", "definition"),
            ("state", "state"),
            ("status", "status"),
            ("assignee__username", "assignee"),
            ("created_at", "created"),
            ("updated_at", "updated"),
        ),
        label="Sort by",
    )

    def __init__(self, data=None, *args, queue, user, states, members, definitions, **kwargs):
        self.queue, self.user = queue, user
        data = data.copy() if data is not None else None
        if data is not None and not data.get("status"):
            # The queue's own statuses are the default view; "any" lifts them.
            data["status"] = ",".join(queue.statuses) if queue.statuses else ANY_STATUS
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

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(entity__display_name__icontains=value)
            | Q(entity__correlation_id__icontains=value)
            | Q(entity__email__icontains=value)
        )

    def filter_status(self, queryset, name, value):
        if value == ANY_STATUS:
            return queryset
        return queryset.filter(status__in=value.split(","))

    def filter_assignee(self, queryset, name, value):
        if value == "me":
            return queryset.filter(assignee=self.user)
        if value == "unassigned":
            return queryset.filter(assignee__isnull=True)
        return queryset.filter(assignee__username=value)
