"""The automation endpoints of the external API: the vendor hook and a case's plugin runs."""

from dataclasses import dataclass

from django.db import transaction
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import authentication, exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from projects.models import Project
from projects.selectors import hook_signature_valid
from workflows.api.authentication import ApiKeyAuthentication
from workflows.api.views import COMMON_ERRORS, actor_for, error_responses
from workflows.errors import NotFound
from workflows.idempotency import idempotency_claim, idempotency_complete
from workflows.models import WorkflowRuntime

from .hooks import signed_actor, workflow_hook
from .selectors import plugin_run_list

SIGNATURE_HEADER = "X-HMAC-Signature"


@dataclass(frozen=True)
class HookCaller:
    """A vendor that signed its callback with the project's hook secret."""

    project: Project

    is_authenticated = True
    is_anonymous = False


class HookSignatureAuthentication(authentication.BaseAuthentication):
    """`X-HMAC-Signature`: hex HMAC-SHA256 of the exact body with the project's hook secret
    (not the webhook secret). The project is the case's own; a bad signature gets 401."""

    def authenticate(self, request):
        signature = request.headers.get(SIGNATURE_HEADER)
        if signature is None or request.headers.get("Authorization"):
            return None
        runtime_id = request.parser_context["kwargs"].get("runtime_id")
        project = Project.objects.filter(runtimes__pk=runtime_id).first()
        if project is None:
            raise exceptions.NotFound("Workflow runtime not found.")
        if not hook_signature_valid(project, request.body, signature):
            raise exceptions.AuthenticationFailed("Invalid X-HMAC-Signature (it must be signed with the project's hook secret).")
        return HookCaller(project), None

    def authenticate_header(self, request):
        return "Bearer"


class HookSignatureScheme(OpenApiAuthenticationExtension):
    target_class = HookSignatureAuthentication
    name = "HookSignature"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": SIGNATURE_HEADER,
            "description": "Hex HMAC-SHA256 of the exact body bytes with the project's hook secret.",
        }


class HookResponseSerializer(serializers.Serializer):
    alreadyApplied = serializers.BooleanField()
    workflowRuntimeId = serializers.UUIDField()
    state = serializers.CharField()
    status = serializers.CharField()


class WorkflowHookView(APIView):
    authentication_classes = [ApiKeyAuthentication, HookSignatureAuthentication]

    @extend_schema(
        operation_id="workflows_hook",
        summary="A vendor's callback: merge its body into the context and send the event",
        request={"application/json": {"type": "object", "additionalProperties": True}},
        parameters=[
            OpenApiParameter("resultDestination", str, description="Dot path in the context (default hookResponse); not into entity, documents or childWorkflows."),
            OpenApiParameter("processName", str, description="The plugin whose run this answers."),
            OpenApiParameter("Idempotency-Key", {"type": "string", "minLength": 1, "maxLength": 255}, OpenApiParameter.HEADER),
        ],
        responses={200: HookResponseSerializer, **error_responses(400, *COMMON_ERRORS, 409, 413, 415, 422)},
    )
    def post(self, request, runtime_id, event):
        project = request.user.project
        idempotency_key = request.headers.get("Idempotency-Key")
        if idempotency_key is None:
            return self._apply(request, project, runtime_id, event)
        with transaction.atomic():
            claim = idempotency_claim(project=project, key=idempotency_key, body={"hook": [str(runtime_id), event], "body": request.data})
            if claim.replay:
                status_code, data = claim.response
                return Response(data, status=status_code)
            response = self._apply(request, project, runtime_id, event)
            idempotency_complete(claim=claim, status=response.status_code, body=response.data)
        return response

    def _apply(self, request, project, runtime_id, event):
        signed = isinstance(request.user, HookCaller)
        result = workflow_hook(
            project=project,
            runtime_id=runtime_id,
            event=event,
            data=request.data,
            result_destination=request.query_params.get("resultDestination"),
            process_name=request.query_params.get("processName"),
            actor=signed_actor() if signed else actor_for(request),
            signed=signed,
            hook_path=request.path.split("/api/v1/external", 1)[-1],
        )
        runtime = result.runtime
        body = {"alreadyApplied": result.already_applied, "workflowRuntimeId": str(runtime.pk), "state": runtime.state, "status": runtime.status}
        if result.failure:
            return Response({"statusCode": 422, "message": result.failure, "errors": [], **body}, status=422)
        return Response(body)


class PluginRunSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    plugin = serializers.CharField(source="plugin_name")
    kind = serializers.CharField(source="plugin_kind")
    displayName = serializers.CharField(source="display_name")
    state = serializers.CharField()
    entry = serializers.IntegerField()
    status = serializers.CharField()
    attempts = serializers.IntegerField(source="attempt_count")
    httpStatus = serializers.IntegerField(source="http_status", allow_null=True)
    error = serializers.CharField()
    durationMs = serializers.IntegerField(source="duration_ms", allow_null=True)
    request = serializers.JSONField()
    responseExcerpt = serializers.CharField(source="response_excerpt")
    idempotencyKey = serializers.UUIDField(source="idempotency_key")
    requestedBy = serializers.CharField(source="requested_by_label")
    createdAt = serializers.DateTimeField(source="created_at")
    startedAt = serializers.DateTimeField(source="started_at", allow_null=True)
    finishedAt = serializers.DateTimeField(source="finished_at", allow_null=True)
    nextAttemptAt = serializers.DateTimeField(source="next_attempt_at", allow_null=True)
    callbackReceivedAt = serializers.DateTimeField(source="callback_received_at", allow_null=True)


class WorkflowPluginRunsView(APIView):
    @extend_schema(
        operation_id="workflows_plugin_runs",
        summary="The plugin runs of a workflow runtime, oldest first",
        responses={200: PluginRunSerializer(many=True), **error_responses(*COMMON_ERRORS)},
    )
    def get(self, request, runtime_id):
        if not WorkflowRuntime.objects.filter(project=request.user.project, pk=runtime_id).exists():
            raise NotFound("Workflow runtime not found.")
        runs = plugin_run_list(project=request.user.project, runtime_id=runtime_id)
        return Response(PluginRunSerializer(runs, many=True).data)

