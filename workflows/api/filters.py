from datetime import timezone

import django_filters
from django import forms
from django.db.models import F

from workflows.models import RuntimeStatus, WorkflowRuntime
from workflows.ordering import StableOrderingFilter


class UTCIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """ISO 8601 with any offset Python accepts, normalised to UTC: PostgreSQL refuses offsets
    beyond ±15:59, which must not turn a caller's typo into a server error."""

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(timezone.utc)
        except OverflowError as error:
            raise forms.ValidationError("Date out of range.") from error


class UTCIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCIsoDateTimeField


class RuntimeFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=RuntimeStatus.choices)
    state = django_filters.CharFilter(max_length=200)
    workflowDefinitionId = django_filters.CharFilter(field_name="definition__key", max_length=100, label="Definition key")
    entityId = django_filters.CharFilter(method="filter_entity_id", max_length=255, label="Entity correlation id")
    parentWorkflowRuntimeId = django_filters.UUIDFilter(field_name="parent_runtime_id", label="Parent workflow runtime id")
    createdAfter = UTCIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    createdBefore = UTCIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    orderBy = StableOrderingFilter(
        fields=(
            ("created_at", "createdAt"),
            ("updated_at", "updatedAt"),
            ("state", "state"),
            ("status", "status"),
        ),
        field_labels={"created_at": "Created at", "updated_at": "Updated at", "state": "State", "status": "Status"},
        label="Ordering: createdAt, updatedAt, state, status; prefix '-' for descending.",
    )

    class Meta:
        model = WorkflowRuntime
        fields = []

    def filter_entity_id(self, queryset, name, value):
        # The entity's project is the case's (always): said here, the database looks the id up
        # in the entity index on (project, correlation_id) instead of reading all of it.
        return queryset.filter(entity__correlation_id=value, entity__project_id=F("project_id"))

    def is_valid(self):
        valid = super().is_valid()
        # An API caller who sends `?state=` made a mistake; HTML forms' "empty = no filter"
        # convention does not apply here.
        empty = [name for name in self.filters if name in self.data and self.data.get(name, "").strip() == ""]
        for name in empty:
            self.form.add_error(name, "Must not be empty.")
        # `?status=active&status=completed` would silently mean the last one only.
        repeated = [
            name for name in self.filters if name not in empty and hasattr(self.data, "getlist") and len(self.data.getlist(name)) > 1
        ]
        for name in repeated:
            self.form.add_error(name, "Give this filter once (it takes one value).")
        return valid and not empty and not repeated
