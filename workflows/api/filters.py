import django_filters

from workflows.models import RuntimeStatus, WorkflowRuntime


class RuntimeFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=RuntimeStatus.choices)
    state = django_filters.CharFilter(max_length=200)
    workflowDefinitionId = django_filters.CharFilter(field_name="definition__key", max_length=100, label="Definition key")
    entityId = django_filters.CharFilter(
        field_name="entity__correlation_id", max_length=255, label="Entity correlation id"
    )
    createdAfter = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    createdBefore = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    orderBy = django_filters.OrderingFilter(
        fields=(
            ("created_at", "createdAt"),
            ("updated_at", "updatedAt"),
            ("state", "state"),
            ("status", "status"),
        ),
        label="Ordering: createdAt, updatedAt, state, status; prefix '-' for descending.",
    )

    class Meta:
        model = WorkflowRuntime
        fields = []
