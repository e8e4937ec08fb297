import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from workflows import decisions
from workflows.actors import Actor
from workflows.errors import OpenCaseExists, ServiceError
from workflows.idempotency import idempotency_claim, idempotency_complete, request_fingerprint
from workflows.services import workflow_start

from . import selectors
from .current import current_project, switch_project
from .export import export_rows
from .filters import CaseFilter
from .navigation import QueueView
from .pagination import CappedPaginator, page_rows
from .manual import (
    ACCEPTED_FILES,
    context_from_form,
    document_slots,
    documents_from_uploads,
    form_path,
    input_schema_of,
    manual_target,
    upload_problems,
)
from .schema_forms import SchemaForm, entity_input_schema

PAGE_SIZE = 25


@login_required
def home(request):
    current = current_project(request)
    queues = selectors.queue_list(project=current.project)
    if queues:
        return redirect("cases:queue", slug=queues[0].slug)
    return render(request, "cases/home.html")


@login_required
@require_POST
def project_switch(request):
    if not switch_project(request, request.POST.get("project", "")):
        messages.error(request, "You are not a member of that project.")
    return redirect("cases:home")


def queue_or_404(request, slug):
    current = current_project(request)
    queue = selectors.queue_get(project=current.project, slug=slug)
    if queue is None:
        raise Http404("No such queue.")
    return current, queue


def _page_number(value) -> int:
    """The requested page; 0, negative or non-numeric mean the first page (Paginator.get_page
    would show the last page for numbers below 1). Past the end still shows the last page."""
    try:
        return max(int(value), 1)
    except (TypeError, ValueError):
        return 1


def queue_filter(request, current, queue, data=None):
    """The queue's filter over its cases, as the request asks (or `data`, a query string's
    values): the page, its export, its bulk actions and saved views share it."""
    definitions = list(queue.definitions.all())
    versions = selectors.latest_versions(definitions)
    states = sorted({s for v in versions.values() for s in (v.statechart.get("states") or {})})
    memberships = selectors.project_memberships(project=current.project)
    case_filter = CaseFilter(
        request.GET if data is None else data,
        queryset=selectors.queue_runtimes(queue=queue, base_statuses=False),
        queue=queue,
        user=request.user,
        states=states,
        members=[m.user for m in memberships],
        definitions=definitions,
    )
    # Who a bulk action may assign cases to (read with the filter's members: no query more).
    case_filter.acting_members = [m.user for m in memberships if m.can_act]
    return case_filter, definitions, versions


@login_required
def queue_export(request, slug):
    """The queue's filtered list as CSV, streamed, with the page's filters, sort and scoping."""
    current, queue = queue_or_404(request, slug)
    case_filter, _, _ = queue_filter(request, current, queue)
    rows = export_rows(case_filter.qs)
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{queue.slug}-cases.csv"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _view_query(case_filter, page) -> str:
    """The query string of the view shown: its valid filters and sort, and the page."""
    query = case_filter.link_query()
    if page.number > 1:
        query = f"{query}&page={page.number}" if query else f"page={page.number}"
    return query


@login_required
def queue_detail(request, slug):
    current, queue = queue_or_404(request, slug)
    case_filter, definitions, versions = queue_filter(request, current, queue)
    # Invalid filter values are already left out (and reported) by the filter, so the count
    # and the rows both come from this one queryset.
    wanted = _page_number(request.GET.get("page"))
    # A search counts its listed (and hidden closed) matches and finds the page's ids in one query.
    counts = case_filter.search_counts(wanted, PAGE_SIZE)
    page = CappedPaginator(
        case_filter.qs, PAGE_SIZE, wanted_page=wanted, known_count=counts and counts.shown
    ).get_page(wanted)
    # Labels from each workflow's newest version (already read above): no query per row.
    labels = {pk: decisions.state_labels(version.statechart) for pk, version in versions.items()}
    page.object_list = page_rows(page, counts and counts.page_ids)
    for case in page.object_list:
        case.outcome = decisions.case_outcome(case)
        case.state_label = labels.get(case.definition_id, {}).get(case.state) or decisions.readable(case.state)
    target = manual_target(
        definitions=definitions,
        versions=versions,
        selected_key=case_filter.form.cleaned_data.get("definition"),
    )
    return render(
        request,
        "cases/queue.html",
        {
            "queue": queue,
            "filter": case_filter,
            "page": page,
            "query": case_filter.link_query(),
            "sort": case_filter.sort_value,
            "manual": target,
            "closed_matches": case_filter.closed_matches(),  # a search hiding closed cases
            # Each row's link carries this view (filters, sort, page): the case page leads back
            # to it and walks it with its previous and next links.
            "case_from": QueueView(queue=queue, query=_view_query(case_filter, page)).from_query,
            "acting_members": case_filter.acting_members,
            "bulk_cap": f"{selectors.BULK_CAP:,}",
            # One workflow's queue needs no Workflow column: it would repeat one name per row.
            "workflow_column": len(definitions) > 1,
        },
    )


@login_required
def case_create(request, slug):
    current, queue = queue_or_404(request, slug)
    if not current.can_act:
        raise PermissionDenied("Viewers cannot add cases.")
    definitions = list(queue.definitions.all())
    versions = selectors.latest_versions(definitions)
    key = request.POST.get("definition") or request.GET.get("definition")
    target = manual_target(definitions=definitions, versions=versions, selected_key=key)
    if target.definition is None:
        if not target.candidates and not key:
            messages.error(request, "No workflow of this queue allows adding cases manually.")
            return redirect("cases:queue", slug=queue.slug)
        if key and not target.candidates:
            raise Http404("That workflow cannot be started manually from this queue.")
        return render(request, "cases/choose_definition.html", {"queue": queue, "candidates": target.candidates})
    definition = target.definition
    version = versions[definition.pk]
    input_schema = input_schema_of(version) or entity_input_schema(queue.entity_kind)
    token = request.POST.get("form_token") or uuid.uuid4().hex
    form = SchemaForm(request.POST or None, input_schema=input_schema)
    existing_case = None
    slots, file_errors = document_slots(version), {}
    if request.method == "POST":
        file_errors = upload_problems(slots, request.FILES)
    if request.method == "POST" and form.is_valid() and not file_errors:
        context = context_from_form(input_schema, form.cleaned_payload)
        uploaded = documents_from_uploads(slots, request.FILES)
        if uploaded:
            context["documents"] = [{key: value for key, value in document.items() if key != "slot"} for document in uploaded]
        try:
            runtime, created = _start_manual_case(request, current.project, definition, context, token)
        except ServiceError as error:
            if error.status_code == 403:
                raise PermissionDenied(error.message) from error
            if isinstance(error, OpenCaseExists):
                existing_case = error.runtime_id
            for e in error.errors:  # a refused file: said next to its input
                for index, document in enumerate(uploaded):
                    if e.path.startswith(f"context.documents[{index}]"):
                        file_errors[document["slot"]] = e.message
            error.errors = [e for e in error.errors if not e.path.startswith("context.documents[")]
            located = [e for e in error.errors if form_path(input_schema, e.path) is not None]
            form.add_located_errors(
                [type(e)(form_path(input_schema, e.path), e.message) for e in located]
                + [type(e)("", f"{e.path}: {e.message}" if e.path else e.message) for e in error.errors if e not in located]
            )
            if not error.errors and not file_errors:
                messages.error(request, error.message)
        else:
            if created is None:
                messages.info(request, "This form was already submitted; here is the case it opened.")
            else:
                messages.success(request, f"Case created for {runtime.entity}.")
            return redirect("cases:case", runtime_id=runtime.pk)
    return render(
        request,
        "cases/add_case.html",
        {
            "queue": queue, "definition": definition, "version": version, "form": form, "form_token": token,
            "existing_case": existing_case, "slots": [{**slot, "error": file_errors.get(slot["name"], "")} for slot in slots],
            "accepted_files": ACCEPTED_FILES,
        },
    )


def _start_manual_case(request, project, definition, context, token):
    """Starts the case once per form token and data, so a double submission opens the same
    case. `created` is None when this submission repeats one already handled."""
    from workflows.models import WorkflowRuntime

    body = {"definition": definition.key, "context": context}
    # The data is part of the key: the same form sent twice opens one case, while the form
    # changed after going back in the browser is a new submission, not a conflict.
    key = f"manual-case:{token}:{request_fingerprint(body)[:32]}"
    with transaction.atomic():
        claim = idempotency_claim(project=project, key=key, body=body)
        if claim.replay:
            _, first = claim.response
            return WorkflowRuntime.objects.select_related("entity").get(pk=first["workflowRuntimeId"]), None
        result = workflow_start(
            project=project,
            workflow_id=definition.key,
            context=context,
            actor=Actor(user=request.user),
            update_open_case=False,  # a person adding a case must not overwrite another one
        )
        idempotency_complete(
            claim=claim, status=201, body={"workflowRuntimeId": str(result.runtime.pk)}
        )
    return result.runtime, result.created
