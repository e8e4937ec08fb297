"""The storage endpoints of the external API (Ballerine's `/api/v1/external/storage`)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from workflows.api.views import COMMON_ERRORS, ERROR_SCHEMA, actor_for, error_responses
from workflows.errors import FieldError, ValidationFailed

from .content import MimeType
from .models import StoredFile
from .selectors import stored_file_get
from .serving import file_response
from .services import file_store

UPLOAD_FIELD = "file"


class StoredFileSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    fileName = serializers.CharField(source="file_name")
    mimeType = serializers.ChoiceField(source="mime_type", choices=MimeType.choices)
    size = serializers.IntegerField()
    sha256 = serializers.CharField()


def stored_file_body(stored: StoredFile) -> dict:
    return StoredFileSerializer(stored).data


class AnyAccept(BaseContentNegotiation):
    """The bytes are what they are, whatever the caller's Accept says (`Accept: image/*` must not
    get 406 because the error renderer is JSON)."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class StorageUploadView(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="storage_upload",
        summary="Store a file (PDF, PNG, JPEG, WebP or TIFF)",
        description=(
            "Multipart, one file in the `file` field, up to DOCUMENT_MAX_BYTES (20 MiB by default). "
            "The type is taken from the content, which must parse whole as that type. "
            "Refer to the file from a document's page as `ballerineFileId`."
        ),
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {UPLOAD_FIELD: {"type": "string", "format": "binary"}},
                "required": [UPLOAD_FIELD],
            }
        },
        responses={201: StoredFileSerializer, **error_responses(400, *COMMON_ERRORS, 413, 415)},
    )
    def post(self, request):
        files = request.FILES.getlist(UPLOAD_FIELD)
        if len(files) != 1:
            problem = "Send the file in the multipart field `file`." if not files else "Send one file at a time."
            raise ValidationFailed([FieldError(UPLOAD_FIELD, problem)])
        upload = files[0]
        stored = file_store(
            project=request.user.project,
            content=upload,
            file_name=upload.name,
            created_by_label=actor_for(request).label,
        )
        return Response(stored_file_body(stored), status=status.HTTP_201_CREATED)


class StorageDetailView(APIView):
    @extend_schema(operation_id="storage_retrieve", summary="A stored file's description", responses={200: StoredFileSerializer, **error_responses(*COMMON_ERRORS)})
    def get(self, request, file_id):
        return Response(stored_file_body(stored_file_get(project=request.user.project, file_id=file_id)))


CONTENT_SCHEMA = {
    "parameters": [
        OpenApiParameter(
            "Range",
            str,
            OpenApiParameter.HEADER,
            required=False,
            description="One byte range (`bytes=0-1023`, `bytes=1024-`, `bytes=-512`): answered with 206, or 416 when past the end.",
        )
    ],
    "responses": {
        **{(200, mime_type): OpenApiTypes.BINARY for mime_type in MimeType.values},
        **{(206, mime_type): OpenApiTypes.BINARY for mime_type in MimeType.values},
        304: OpenApiResponse(description="Not modified (If-None-Match matched the ETag)"),
        **error_responses(*COMMON_ERRORS),
        416: OpenApiResponse(ERROR_SCHEMA, description="The range starts past the end of the file"),
    },
}


class StorageContentView(APIView):
    content_negotiation_class = AnyAccept

    @extend_schema(operation_id="storage_content", summary="A stored file's bytes", **CONTENT_SCHEMA)
    def get(self, request, file_id):
        return file_response(request, stored_file_get(project=request.user.project, file_id=file_id))


class BallerineStorageContentView(StorageContentView):
    @extend_schema(operation_id="storage_content_ballerine", summary="A stored file's bytes (Ballerine's path)", **CONTENT_SCHEMA)
    def get(self, request, file_id):
        return super().get(request, file_id)
