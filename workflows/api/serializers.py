from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from workflows.models import ApprovalState, EntityKind, RuntimeStatus


RUN_EXAMPLE = {
    "workflowId": "till_basic_kyb_demo",
    "context": {
        "entity": {
            "type": "business",
            "id": "my-enduser-id111",
            "data": {
                "country": "US",
                "registrationNumber": "756OPOPOP08238",
                "companyName": "TILL COMPANY LIMITED",
                "additionalInfo": {
                    "mainRepresentative": {
                        "email": "email@ballerine.com",
                        "lastName": "Last",
                        "firstName": "First",
                    }
                },
            },
        },
        "documents": [],
    },
}


@extend_schema_field({"type": "object", "additionalProperties": True})
class JSONObjectField(serializers.JSONField):
    """A JSON object (not a list, string or number)."""

    default_error_messages = {"not_object": "Must be a JSON object."}

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not isinstance(value, dict):
            self.fail("not_object")
        return value


class StrictCharField(serializers.CharField):
    """A JSON string: a number is a client's mistake, not a string to guess at."""

    default_error_messages = {"invalid": "Must be a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer: not "1", 1.5 or true."""

    default_error_messages = {"invalid": "Must be a whole number."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class RunSerializer(serializers.Serializer):
    workflowId = StrictCharField(max_length=100, help_text="The definition key.")
    context = JSONObjectField(help_text="Must hold `entity` {type, id, data}; `documents` optional.")
    config = JSONObjectField(required=False, help_text="Run config, deep-merged over the definition's.")
    version = StrictIntegerField(required=False, min_value=1, max_value=2**31 - 1, help_text="Pin a definition version.")


class EntityRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    type = serializers.ChoiceField(choices=EntityKind.choices)
    correlationId = serializers.CharField()


class RunResponseSerializer(serializers.Serializer):
    workflowDefinitionId = serializers.CharField()
    workflowDefinitionVersion = serializers.IntegerField()
    workflowRuntimeId = serializers.UUIDField()
    ballerineEntityId = serializers.UUIDField()
    entities = EntityRefSerializer(many=True)
    state = serializers.CharField()
    status = serializers.ChoiceField(choices=RuntimeStatus.choices)
    tags = serializers.ListField(child=serializers.CharField())
    created = serializers.BooleanField()


def run_response(result) -> dict:
    """The body of a run's answer, from a `workflows.services.StartResult`."""
    runtime, entity = result.runtime, result.runtime.entity
    return {
        "workflowDefinitionId": result.definition_key,
        "workflowDefinitionVersion": runtime.definition_version.version,
        "workflowRuntimeId": str(runtime.pk),
        "ballerineEntityId": str(entity.pk),
        "entities": [{"id": str(entity.pk), "type": entity.kind, "correlationId": entity.correlation_id}],
        "state": runtime.state,
        "status": runtime.status,
        "tags": list(runtime.tags),
        "created": result.created,
    }


class EventSerializer(serializers.Serializer):
    name = StrictCharField(max_length=200)
    payload = JSONObjectField(required=False)


class EntitySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    type = serializers.ChoiceField(source="kind", choices=EntityKind.choices)
    correlationId = serializers.CharField(source="correlation_id")
    name = serializers.CharField(source="display_name")
    approvalState = serializers.ChoiceField(source="approval_state", choices=ApprovalState.choices)
    data = serializers.JSONField()


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


class RuntimeSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    workflowDefinitionId = serializers.CharField(source="definition.key")
    workflowDefinitionVersion = serializers.IntegerField(source="definition_version.version")
    state = serializers.CharField()
    status = serializers.ChoiceField(choices=RuntimeStatus.choices)
    tags = serializers.ListField(child=serializers.CharField())
    context = serializers.JSONField()
    config = serializers.JSONField()
    entity = EntitySerializer()
    assignee = UserRefSerializer(allow_null=True)
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")
    resolvedAt = serializers.DateTimeField(source="resolved_at", allow_null=True)
    dueAt = serializers.DateTimeField(source="due_at", allow_null=True)


class RuntimeDetailSerializer(RuntimeSerializer):
    nextEvents = serializers.SerializerMethodField()
    parentWorkflowRuntimeId = serializers.UUIDField(source="parent_runtime_id", allow_null=True)
    childWorkflows = serializers.SerializerMethodField()

    def get_childWorkflows(self, runtime) -> dict:
        """`context.childWorkflows`: {childDefinitionKey: {childRuntimeId: {entityId, status, state, tags, result?}}}."""
        return _children(runtime.context)

    def get_nextEvents(self, runtime) -> list[str]:
        from workflows.definitions import machine_for

        if runtime.status != "active":
            return []
        return machine_for(runtime.definition_version).next_events(runtime.state)


def _datetime(value):
    """A datetime as DRF's DateTimeField writes it (ISO 8601 in the current time zone, UTC as Z)."""
    if not value:
        return None
    text = value.astimezone(timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def runtime_detail(runtime) -> dict:
    """What RuntimeDetailSerializer(runtime).data gives (the schema stays described by it),
    built directly: DRF copies every declared field of the serializer and its nested ones for
    each instance, which cost more than the rest of an event's answer (bench/run.py).
    tests/api/test_reads_and_events.py checks that both agree."""
    from workflows.definitions import machine_for

    entity, assignee = runtime.entity, runtime.assignee
    return {
        "id": str(runtime.id),
        "workflowDefinitionId": str(runtime.definition.key),
        "workflowDefinitionVersion": int(runtime.definition_version.version),
        "state": str(runtime.state),
        "status": str(runtime.status),
        "tags": [str(tag) for tag in runtime.tags],
        "context": runtime.context,
        "config": runtime.config,
        "entity": {
            "id": str(entity.id),
            "type": str(entity.kind),
            "correlationId": str(entity.correlation_id),
            "name": str(entity.display_name),
            "approvalState": str(entity.approval_state),
            "data": entity.data,
        },
        "assignee": None if assignee is None else {"id": int(assignee.id), "username": str(assignee.username)},
        "createdAt": _datetime(runtime.created_at),
        "updatedAt": _datetime(runtime.updated_at),
        "resolvedAt": _datetime(runtime.resolved_at),
        "dueAt": _datetime(runtime.due_at),
        "nextEvents": machine_for(runtime.definition_version).next_events(runtime.state) if runtime.status == "active" else [],
        "parentWorkflowRuntimeId": str(runtime.parent_runtime_id) if runtime.parent_runtime_id else None,
        "childWorkflows": _children(runtime.context),
    }


def _children(context) -> dict:
    children = context.get("childWorkflows") if isinstance(context, dict) else None
    return children if isinstance(children, dict) else {}


class HistoryEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    type = serializers.CharField(source="kind")
    eventName = serializers.CharField(source="event_name")
    fromState = serializers.CharField(source="from_state")
    toState = serializers.CharField(source="to_state")
    payload = serializers.JSONField()
    actor = serializers.CharField(source="actor_label")
    createdAt = serializers.DateTimeField(source="created_at")


class DefinitionVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    definition = serializers.JSONField(source="statechart")
    contextSchema = serializers.JSONField(source="context_schema")
    config = serializers.JSONField()
    createdAt = serializers.DateTimeField(source="created_at")


class DefinitionSerializer(serializers.Serializer):
    id = serializers.CharField(source="key")
    name = serializers.CharField()
    latestVersion = serializers.IntegerField(source="latest_version")
    createdAt = serializers.DateTimeField(source="created_at")


class DefinitionDetailSerializer(DefinitionSerializer):
    versions = DefinitionVersionSerializer(many=True, source="version_list")
