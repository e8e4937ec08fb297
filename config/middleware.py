import logging
import re
import time
import uuid
from contextvars import ContextVar

from django.conf import settings
from django.http import JsonResponse

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


class ApiBodyLimitMiddleware:
    """Refuses API bodies over the limit before anything reads them (413)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > settings.API_MAX_BODY_BYTES:
                from workflows.api.errors import error_body

                return JsonResponse(error_body(413, "Request body too large"), status=413)
        return self.get_response(request)
