"""Error handlers: the API's JSON error body under /api/, Django's pages elsewhere."""

from django.conf import settings
from django.shortcuts import render
from django.views import defaults

from workflows.api.error_bodies import error_response


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def bad_request(request, exception=None):
    if _is_api(request):
        return error_response(400, "Bad request")
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    if _is_api(request):
        return error_response(403, "Forbidden")
    return defaults.permission_denied(request, exception)


def not_found(request, exception=None):
    if _is_api(request):
        return error_response(404, "Not found")
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _is_api(request):
        return error_response(500, "Internal server error")
    return defaults.server_error(request)


def locked_out(request, credentials=None, *args, **kwargs):
    """django-axes' answer to a locked-out login: a page (429) that says for how long."""
    return render(
        request,
        "registration/locked_out.html",
        {
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        },
        status=429,
    )
