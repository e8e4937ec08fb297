"""The entity profile (issue 16, item 11) and the case file for auditors (item 6): both read
only, so viewers see them too; both scoped to the current project (another project's entity or
case is a 404)."""

import logging

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from . import entity_selectors
from .case_file import CASE_FILE_CSP, case_file_parts
from .case_views import case_or_404
from .current import current_project
from .selectors import state_labels_set

logger = logging.getLogger(__name__)

ENTITY_CASES_PER_PAGE = 25


@login_required
@require_safe
def entity_profile(request, entity_id):
    current = current_project(request)
    entity = entity_selectors.entity_get(project=current.project, entity_id=entity_id)
    if entity is None:
        raise Http404("No such entity.")
    paginator = Paginator(entity_selectors.entity_cases(project=current.project, entity=entity), ENTITY_CASES_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    cases = list(page.object_list)
    state_labels_set(cases)
    return render(
        request,
        "cases/entity.html",
        {
            "entity": entity,
            "entity_view": entity_selectors.entity_profile_view(entity=entity),
            "page": page,
            "cases": cases,
        },
    )


def _generated_by(user) -> str:
    name = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return f"{name} ({user.get_username()})" if name else user.get_username()


@login_required
@require_safe
def case_file_download(request, runtime_id):
    """The case file as a download: self-contained HTML, streamed, no script allowed to run."""
    current, runtime = case_or_404(request, runtime_id)
    logger.info("Case file of %s downloaded by %s (project %s)", runtime.pk, request.user.get_username(), current.project.slug)
    response = StreamingHttpResponse(
        case_file_parts(runtime=runtime, project=current.project, generated_by=_generated_by(request.user)),
        content_type="text/html; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="case-{runtime.pk}.html"'
    response["Content-Security-Policy"] = CASE_FILE_CSP
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
