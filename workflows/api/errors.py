"""One error shape for the whole API: {"statusCode", "message", "errors": [{"path", "message"}]}."""

import logging

from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from workflows.errors import EventRefused, ServiceError

from .error_bodies import PayloadTooLarge, error_body

logger = logging.getLogger(__name__)

MESSAGES = {
    exceptions.ParseError: "Malformed JSON",
    exceptions.NotAuthenticated: "Authentication required",
    exceptions.UnsupportedMediaType: "Unsupported media type",
    exceptions.MethodNotAllowed: "Method not allowed",
    exceptions.NotAcceptable: "Not acceptable",
}


def _flatten(detail, path=""):
    """DRF validation details as [{path, message}], paths dotted like `context.entity.id`."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            key = "" if key == "non_field_errors" else str(key)
            yield from _flatten(value, f"{path}.{key}" if path and key else (key or path))
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            for item in detail:
                yield {"path": path, "message": str(item)}
        else:
            for index, item in enumerate(detail):
                yield from _flatten(item, f"{path}[{index}]")
    else:
        yield {"path": path, "message": str(detail)}


def api_exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    if isinstance(exc, ServiceError):
        body = error_body(exc.status_code, exc.message, [e.as_dict() for e in exc.errors])
        if isinstance(exc, EventRefused):
            body["allowedEvents"] = exc.allowed_events
        return Response(body, status=exc.status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # unexpected: Django's 500 handling (JSON for /api/, see config.views)
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body(400, "Validation error", _flatten(exc.detail))
        response.status_code = 400
        return response
    message = MESSAGES.get(type(exc))
    if message is None:
        detail = exc.detail if isinstance(exc.detail, str) else ""
        message = str(detail) or response.status_text
    elif type(exc) is exceptions.ParseError:
        message = str(exc.detail)  # the parser's own words, which say what is wrong
    response.data = error_body(response.status_code, message)
    return response
