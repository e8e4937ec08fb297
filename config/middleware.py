import logging
import re
import tempfile
import time
import uuid
from contextvars import ContextVar
from http import HTTPStatus

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpResponseBadRequest

from workflows.api.error_bodies import error_response

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
access_logger = logging.getLogger("casework.access")
SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every log record."""

    def filter(self, record):
        record.request_id = request_id_var.get()
        return True


class RequestIdMiddleware:
    """Every response carries `X-Request-ID` (the caller's if it is sane, else a new one), and
    every log line written while handling the request names it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            access_logger.info(
                "%s %s %s %.1fms",
                request.method,
                request.path,
                response.status_code,
                (time.perf_counter() - started) * 1000,
            )
            return response
        finally:
            request_id_var.reset(token)


class ApiErrorShapeMiddleware:
    """Everything under /api/ answers in the API's error shape, whatever DEBUG says: Django's
    own error pages (the debug 404 listing the URLconf, the debug 500, the CSRF page) are
    replaced by `{"statusCode", "message", "errors"}` with the same status. The API docs page
    itself is left alone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            phrase = HTTPStatus(response.status_code).phrase if response.status_code in HTTPStatus._value2member_map_ else "Error"
            reason = phrase[:1] + phrase[1:].lower()  # "Not found", as the API's own errors say
            replaced = error_response(response.status_code, reason)
            for header in ("Retry-After", "Allow", "WWW-Authenticate", "X-Request-ID"):
                if header in response:
                    replaced[header] = response[header]
            return replaced
        return response


class ApiBodyLimitMiddleware:
    """Refuses API bodies over the limit before anything reads them (413).

    A chunked body has no Content-Length, and Django reads such a body as empty. When the
    server has decoded the chunks (gunicorn does, and says so with `wsgi.input_terminated`),
    the body is read here, up to the limit, and handed on as if it had come with a length."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if not length and self._chunked_unread(request):
                return error_response(
                    411,
                    "This server cannot read a chunked request body: send it with a Content-Length header "
                    "(production servers such as gunicorn accept chunked bodies).",
                )
            limit = self.body_limit(request)
            if length > limit or (not length and not self._take_chunked_body(request, limit)):
                return error_response(413, "Request body too large")
        return self.get_response(request)

    # The storage endpoint takes a file up to DOCUMENT_MAX_BYTES, with room for its multipart
    # framing; every other API body keeps API_MAX_BODY_BYTES. (Django streams the file itself
    # to a temporary file past FILE_UPLOAD_MAX_MEMORY_SIZE.)
    UPLOAD_PATH = "/api/v1/external/storage"
    MULTIPART_FRAMING_BYTES = 64 * 1024

    @classmethod
    def body_limit(cls, request) -> int:
        if request.method == "POST" and request.path == cls.UPLOAD_PATH:
            return settings.DOCUMENT_MAX_BYTES + cls.MULTIPART_FRAMING_BYTES
        return settings.API_MAX_BODY_BYTES

    @staticmethod
    def _chunked_unread(request) -> bool:
        """A chunked body the server has not decoded (Django's development server): it would
        reach the view as an empty body."""
        meta = request.META
        return "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower() and not meta.get("wsgi.input_terminated")

    @staticmethod
    def _take_chunked_body(request, limit: int) -> bool:
        """False when a chunked body is over the limit; True otherwise (also when there is none).
        A body past FILE_UPLOAD_MAX_MEMORY_SIZE (an upload) waits in a temporary file."""
        meta = request.META
        if "chunked" not in meta.get("HTTP_TRANSFER_ENCODING", "").lower() or not meta.get("wsgi.input_terminated"):
            return True
        body = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)
        length = 0
        while chunk := meta["wsgi.input"].read(min(64 * 1024, limit + 1 - length)):
            length += len(chunk)
            if length > limit:
                body.close()
                return False
            body.write(chunk)
        body.seek(0)
        meta["CONTENT_LENGTH"] = str(length)
        request._stream = LimitedStream(body, length)
        return True


class NulInputMiddleware:
    """Refuses requests carrying a NUL character in the path, query, headers or form fields
    (400). No legitimate client sends one and PostgreSQL cannot store or even compare one, so
    it is stopped here rather than in every filter and form. JSON bodies are checked, with
    paths, by the API parser."""

    MESSAGE = "The request contains a NUL character (\\u0000), which is not accepted."

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._has_nul(request):
            if request.path_info.startswith("/api/"):
                return error_response(400, self.MESSAGE)
            return HttpResponseBadRequest(self.MESSAGE, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    @staticmethod
    def _has_nul(request) -> bool:
        if "\x00" in request.path_info or "\x00" in request.META.get("QUERY_STRING", ""):
            return True
        if any("\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists()):
            return True
        if any("\x00" in str(value) for value in request.headers.values()):
            return True
        form_types = ("application/x-www-form-urlencoded", "multipart/form-data")
        if request.method == "POST" and not request.path_info.startswith("/api/") and request.content_type in form_types:
            return any("\x00" in key or any("\x00" in v for v in values) for key, values in request.POST.lists())
        return False
