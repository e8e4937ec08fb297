"""`PATCH /workflows/{id}/documents/{documentId}/decision` (SPEC section 11): the same service
as the case page's decision buttons."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from workflows.api.serializers import RuntimeDetailSerializer, runtime_detail
from workflows.api.views import COMMON_ERRORS, actor_for, error_responses

from .decisions import document_decide


class DocumentDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=["approve", "reject", "revision"], allow_null=True, help_text="null undoes the decision."
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="", help_text="Required to reject or ask for a revision.")
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class DocumentDecisionView(APIView):
    @extend_schema(
        operation_id="workflows_document_decision",
        summary="Decide one document of a workflow runtime (approve, reject, revision, or null to undo)",
        request=DocumentDecisionSerializer,
        responses={200: RuntimeDetailSerializer, **error_responses(400, *COMMON_ERRORS, 409, 413, 415, 422)},
        examples=[OpenApiExample("Reject", value={"decision": "reject", "reason": "Expired document"}, request_only=True)],
    )
    def patch(self, request, runtime_id, document_id):
        serializer = DocumentDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = document_decide(
            project=request.user.project,
            runtime_id=runtime_id,
            document_id=document_id,
            decision=data["decision"],
            reason=data.get("reason", ""),
            comment=data.get("comment", ""),
            actor=actor_for(request),
        )
        if result.failure:
            return Response({"statusCode": 422, "message": result.failure, "errors": []}, status=422)
        return Response(runtime_detail(result.runtime))
