"""The file pages for signed-in members: the same response as the API's, scoped by membership."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.urls import reverse
from django.views.decorators.http import require_safe

from .models import StoredFile
from .selectors import stored_file_for_member
from .serving import file_response

RENDITION_PARAMETER = "rendition"


def file_url(stored_file: StoredFile) -> str:
    """Where a page shows the file: a TIFF through its PNG rendition, anything else as itself."""
    url = reverse("documents:file", args=[stored_file.pk])
    return f"{url}?{RENDITION_PARAMETER}=png" if stored_file.has_rendition else url


@require_safe
@login_required
def file_view(request, file_id):
    stored = stored_file_for_member(user=request.user, file_id=file_id)
    if stored is None:
        raise Http404("No such file.")
    return file_response(request, stored, rendition=request.GET.get(RENDITION_PARAMETER) == "png")
