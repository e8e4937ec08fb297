from django.views import defaults

from workflows.api.errors import api_not_found, api_server_error


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return api_not_found(request, exception)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if request.path.startswith("/api/"):
        return api_server_error(request)
    return defaults.server_error(request)
