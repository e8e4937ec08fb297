"""The queue's bulk actions and saved views: thin views over cases.bulk and cases.saved_views."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from workflows.actors import Actor
from workflows.errors import NotFound, ServiceError
from workflows.errors import PermissionDenied as ServicePermissionDenied

from . import selectors
from .bulk import BulkAction, cases_bulk_assign
from .current import current_project
from .saved_views import saved_view_create, saved_view_delete
from .views import queue_filter, queue_or_404


class Scope:
    SELECTED = "selected"
    PAGE = "page"
    ALL = "all"


def _queue_url(queue, query: str) -> str:
    url = reverse("cases:queue", args=[queue.slug])
    return f"{url}?{query}" if query else url


def _shown_cases(values) -> dict:
    """{id: version} from the form's "id:version" values; malformed ones are left out."""
    shown = {}
    for value in values:
        case_id, _, version = value.partition(":")
        try:
            shown[uuid.UUID(case_id)] = int(version) if version else None
        except ValueError:
            continue
    return shown


def _message(error: ServiceError) -> str:
    return " ".join(e.message for e in error.errors) if error.errors else error.message


@login_required
@require_POST
def queue_bulk(request, slug):
    """Assign to me, assign to a member or unassign: the selected cases, the page's, or all
    that the queue's filter matches (re-run here with the page's query and scoping), at most
    BULK_CAP."""
    current, queue = queue_or_404(request, slug)
    if not current.can_act:
        raise PermissionDenied("Viewers cannot act on cases.")
    query = request.POST.get("query", "")
    back = _queue_url(queue, query)
    scope = request.POST.get("scope", Scope.SELECTED)
    outside = 0
    if scope == Scope.ALL:
        case_filter, _, _ = queue_filter(request, current, queue, QueryDict(query))
        selection, more = selectors.bulk_selection(queryset=case_filter.qs)
        if more:
            messages.error(
                request,
                f"This view matches more than {selectors.BULK_CAP:,} cases; a bulk action takes at most "
                f"{selectors.BULK_CAP:,}. Narrow the filters (or select cases) and try again. Nothing was changed.",
            )
            return redirect(back)
    else:
        shown = _shown_cases(request.POST.getlist("page_cases" if scope == Scope.PAGE else "cases"))
        if len(shown) > selectors.BULK_CAP:
            messages.error(request, f"At most {selectors.BULK_CAP:,} cases at once. Nothing was changed.")
            return redirect(back)
        # Only the queue's own cases among the ids sent (this project, this queue's workflows).
        found, _ = selectors.bulk_selection(
            queryset=selectors.queue_runtimes(queue=queue, base_statuses=False).filter(pk__in=list(shown))
        )
        outside = len(shown) - len(found)
        selection = {pk: shown[pk] for pk in found}
    if not selection and not outside:
        messages.error(request, "Select at least one case (or choose all on this page or all matching).")
        return redirect(back)
    action = request.POST.get("action", "")
    assignee = None
    if action == BulkAction.ASSIGN:
        assignee = selectors.acting_member_get(project=current.project, username=request.POST.get("assignee", ""))
        if assignee is None:
            messages.error(request, "Choose the member to assign the cases to: cases go only to operators and admins of this project.")
            return redirect(back)
    result = None
    if selection:
        try:
            result = cases_bulk_assign(
                project=current.project,
                queue=queue,
                selection=selection,
                action=action,
                actor=Actor(user=request.user),
                assignee=assignee,
                take_over=request.POST.get("take_over") == "1",
            )
        except ServicePermissionDenied as error:
            raise PermissionDenied(error.message) from error
        except ServiceError as error:
            messages.error(request, f"{_message(error)} Nothing was changed.")
            return redirect(back)
    return render(request, "cases/bulk_result.html", {"queue": queue, "result": result, "outside": outside, "back": back})


@login_required
@require_POST
def saved_view_save(request, slug):
    current, queue = queue_or_404(request, slug)
    query = request.POST.get("query", "")
    case_filter, _, _ = queue_filter(request, current, queue, QueryDict(query))
    try:
        view = saved_view_create(
            project=current.project,
            queue=queue,
            user=request.user,
            membership=current.membership,
            name=request.POST.get("name", ""),
            scope=request.POST.get("scope", "personal"),
            case_filter=case_filter,
        )
    except ServicePermissionDenied as error:
        raise PermissionDenied(error.message) from error
    except ServiceError as error:
        messages.error(request, f"The view was not saved. {_message(error)}")
        return redirect(_queue_url(queue, query))
    whose = "your views" if view.owner_id else "the project's views"
    messages.success(request, f"Saved “{view.name}” in {whose} under {queue.name}.")
    return redirect(_queue_url(queue, view.query))


@login_required
@require_POST
def saved_view_remove(request, view_id):
    current = current_project(request)
    try:
        view = saved_view_delete(project=current.project, user=request.user, membership=current.membership, view_id=view_id)
    except NotFound as error:
        raise Http404(error.message) from error
    except ServicePermissionDenied as error:
        raise PermissionDenied(error.message) from error
    messages.success(request, f"Deleted the view “{view.name}”.")
    return redirect(_queue_url(view.queue, request.POST.get("query", "")))
