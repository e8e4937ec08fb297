"""The API's error body and the responses built from it outside DRF views (middleware, the
404/500 handlers). Kept free of `rest_framework.views`, whose import loads the parser classes:
importing that from here would be circular on a fresh process's first request."""

from django.http import JsonResponse
from rest_framework import exceptions, status


def error_body(status_code: int, message: str, errors=()) -> dict:
    return {"statusCode": status_code, "message": message, "errors": list(errors)}


def error_response(status_code: int, message: str) -> JsonResponse:
    return JsonResponse(error_body(status_code, message), status=status_code)


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large"
    default_code = "payload_too_large"
