from django.db import transaction
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from workflows import locking, selectors
from workflows.actors import Actor
from workflows.idempotency import idempotency_claim, idempotency_complete
from workflows.models import HistoryEvent, WorkflowDefinition, WorkflowRuntime
from workflows.services import workflow_send_event, workflow_start

from .filters import RuntimeFilter
from .serializers import (
    RUN_EXAMPLE,
    DefinitionDetailSerializer,
    DefinitionSerializer,
    EventSerializer,
    HistoryEventSerializer,
    RunSerializer,
    RunResponseSerializer,
    RuntimeDetailSerializer,
    RuntimeSerializer,
    run_response,
    runtime_detail,
)

ERROR_SCHEMA = {
    "type": "object",
    "required": ["statusCode", "message", "errors"],
    "properties": {
        "statusCode": {"type": "integer"},
        "message": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["path", "message"],
                "properties": {"path": {"type": "string"}, "message": {"type": "string"}},
            },
        },
        "allowedEvents": {"type": "array", "items": {"type": "string"}},
    },
}


def error_responses(*codes):
    descriptions = {
        400: "Validation error or malformed JSON",
        401: "Missing, invalid, revoked or expired API key",
        404: "Not found in the caller's project",
        405: "Method not allowed",
        409: "The workflow is completed or failed, or a decision on it awaits a second approval",
        411: "A chunked body this server cannot read: send Content-Length",
        413: "Body over the limit",
        415: "Not JSON",
        422: "Idempotency-Key reused with another body, or the definition cannot process the input",
        429: "Throttled (the Retry-After header says when to try again)",
    }
    return {code: OpenApiResponse(ERROR_SCHEMA, description=descriptions[code]) for code in codes}


COMMON_ERRORS = (401, 404, 405, 411, 429)


def actor_for(request) -> Actor:
    return Actor(api_key=request.auth)


class WorkflowRunView(APIView):
    @extend_schema(
        operation_id="workflows_run",
        summary="Start a workflow (or update the entity's active one)",
        request=RunSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                {"type": "string", "minLength": 1, "maxLength": 255},
                OpenApiParameter.HEADER,
                required=False,
                description="Repeat a request safely: the same key with the same body replays the first response.",
            )
        ],
        responses={
            201: RunResponseSerializer,
            200: RunResponseSerializer,
            **error_responses(400, *COMMON_ERRORS, 413, 415, 422),
        },
        examples=[
            OpenApiExample("Business KYB (the Ballerine docs example)", value=RUN_EXAMPLE, request_only=True),
            OpenApiExample(
                "Created",
                response_only=True,
                status_codes=["201"],
                value={
                    "workflowDefinitionId": "till_basic_kyb_demo",
                    "workflowDefinitionVersion": 1,
                    "workflowRuntimeId": "5b0e6c8e-3f7c-4b8e-9a55-0c1f3f0b7a11",
                    "ballerineEntityId": "0f7a3f2c-7d57-4f0c-9c55-2f4c0e5c1b22",
                    "entities": [
                        {
                            "id": "0f7a3f2c-7d57-4f0c-9c55-2f4c0e5c1b22",
                            "type": "business",
                            "correlationId": "my-enduser-id111",
                        }
                    ],
                    "state": "manual_review",
                    "status": "active",
                    "tags": ["manual_review"],
                    "created": True,
                },
            ),
        ],
    )
    def post(self, request):
        serializer = RunSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        body = serializer.validated_data
        project = request.user.project
        idempotency_key = request.headers.get("Idempotency-Key")
        if idempotency_key is None:
            return self._start(request, body)
        return self._start_once(request, body, project, idempotency_key)

    @locking.deadlock_retried  # the claim and the run are one transaction: retried together
    @transaction.atomic
    def _start_once(self, request, body, project, idempotency_key):
        claim = idempotency_claim(project=project, key=idempotency_key, body=request.data)
        if claim.replay:
            status_code, data = claim.response
            return Response(data, status=status_code)
        response = self._start(request, body)
        idempotency_complete(claim=claim, status=response.status_code, body=response.data)
        return response

    def _start(self, request, body):
        result = workflow_start(
            project=request.user.project,
            workflow_id=body["workflowId"],
            context=body["context"],
            config=body.get("config"),
            version=body.get("version"),
            actor=actor_for(request),
        )
        status_code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(run_response(result), status=status_code)


class WorkflowListView(generics.ListAPIView):
    serializer_class = RuntimeSerializer
    filterset_class = RuntimeFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no caller
            return WorkflowRuntime.objects.none()
        return selectors.runtime_list(project=self.request.user.project)

    @extend_schema(operation_id="workflows_list", summary="List workflow runtimes", responses={200: RuntimeSerializer(many=True), **error_responses(400, *COMMON_ERRORS)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class WorkflowDetailView(APIView):
    @extend_schema(operation_id="workflows_retrieve", summary="A workflow runtime with its next events", responses={200: RuntimeDetailSerializer, **error_responses(*COMMON_ERRORS)})
    def get(self, request, runtime_id):
        runtime = selectors.runtime_get(project=request.user.project, runtime_id=runtime_id)
        return Response(runtime_detail(runtime))


class WorkflowEventView(APIView):
    @extend_schema(
        operation_id="workflows_event",
        summary="Send an event to a workflow runtime",
        request=EventSerializer,
        responses={200: RuntimeDetailSerializer, **error_responses(400, *COMMON_ERRORS, 409, 413, 415, 422)},
        examples=[OpenApiExample("Approve", value={"name": "approve", "payload": {}}, request_only=True)],
    )
    def post(self, request, runtime_id):
        serializer = EventSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = workflow_send_event(
            project=request.user.project,
            runtime_id=runtime_id,
            name=serializer.validated_data["name"],
            payload=serializer.validated_data.get("payload"),
            actor=actor_for(request),
        )
        return Response(runtime_detail(result.runtime))


class WorkflowHistoryView(generics.ListAPIView):
    serializer_class = HistoryEventSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return HistoryEvent.objects.none()
        return selectors.runtime_history(project=self.request.user.project, runtime_id=self.kwargs["runtime_id"])

    @extend_schema(operation_id="workflows_history", summary="The history of a workflow runtime", responses={200: HistoryEventSerializer(many=True), **error_responses(400, *COMMON_ERRORS)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class DefinitionListView(generics.ListAPIView):
    serializer_class = DefinitionSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WorkflowDefinition.objects.none()
        return selectors.definition_list(project=self.request.user.project)

    @extend_schema(operation_id="workflow_definitions_list", summary="List workflow definitions", responses={200: DefinitionSerializer(many=True), **error_responses(400, *COMMON_ERRORS)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class DefinitionDetailView(APIView):
    @extend_schema(operation_id="workflow_definitions_retrieve", summary="A workflow definition with its versions", responses={200: DefinitionDetailSerializer, **error_responses(*COMMON_ERRORS)})
    def get(self, request, key):
        definition = selectors.definition_get(project=request.user.project, key=key)
        return Response(DefinitionDetailSerializer(definition).data)
