import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from workflows.actors import Actor
from workflows.errors import OpenCaseExists, ServiceError
from workflows.idempotency import idempotency_claim, idempotency_complete, request_fingerprint
from workflows.json_values import json_parse
from workflows.models import ApprovalState, RuntimeStatus
from workflows.services import (
    case_add_note,
    case_assign,
    machine_for,
    workflow_send_event,
    workflow_start,
)

from . import selectors
from .current import current_project, switch_project
from .diagram import statechart_svg
from .filters import CaseFilter
from .manual import context_from_form, form_path, input_schema_of, manual_target
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


def _queue_or_404(request, slug):
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


@login_required
def queue_detail(request, slug):
    current, queue = _queue_or_404(request, slug)
    definitions = list(queue.definitions.all())
    versions = selectors.latest_versions(definitions)
    states = sorted({s for v in versions.values() for s in (v.statechart.get("states") or {})})
    case_filter = CaseFilter(
        request.GET,
        queryset=selectors.queue_runtimes(queue=queue, base_statuses=False),
        queue=queue,
        user=request.user,
        states=states,
        members=selectors.project_members(project=current.project),
        definitions=definitions,
    )
    # Invalid filter values are already left out (and reported) by the filter, so the count
    # and the rows both come from this one queryset.
    page = Paginator(case_filter.qs, PAGE_SIZE).get_page(_page_number(request.GET.get("page")))
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
        },
    )


@login_required
def case_create(request, slug):
    current, queue = _queue_or_404(request, slug)
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
    if request.method == "POST" and form.is_valid():
        context = context_from_form(input_schema, form.cleaned_payload)
        try:
            runtime, created = _start_manual_case(request, current.project, definition, context, token)
        except ServiceError as error:
            if error.status_code == 403:
                raise PermissionDenied(error.message) from error
            if isinstance(error, OpenCaseExists):
                existing_case = error.runtime_id
            located = [e for e in error.errors if form_path(input_schema, e.path) is not None]
            form.add_located_errors(
                [type(e)(form_path(input_schema, e.path), e.message) for e in located]
                + [type(e)("", f"{e.path}: {e.message}" if e.path else e.message) for e in error.errors if e not in located]
            )
            if not error.errors:
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
        {"queue": queue, "definition": definition, "version": version, "form": form, "form_token": token, "existing_case": existing_case},
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


def _case_or_404(request, runtime_id):
    current = current_project(request)
    runtime = selectors.case_get(project=current.project, runtime_id=runtime_id)
    if runtime is None:
        raise Http404("No such case.")
    return current, runtime


# Button colours: decisions by their outcome, other final events dark, the rest outlined.
OUTCOME_BUTTONS = {ApprovalState.APPROVED: "btn-success", ApprovalState.REJECTED: "btn-danger"}


def _event_buttons(machine, state) -> list[dict]:
    return [
        {**choice, "css": OUTCOME_BUTTONS.get(choice["outcome"], "btn-outline-dark") if choice["final"] else "btn-outline-primary"}
        for choice in selectors.case_event_choices(machine, state)
    ]


def _case_page(request, current, runtime, *, payload_text="", payload_error=""):
    machine = machine_for(runtime.definition_version)
    final_states = {s for s in machine.state_names if machine.is_final(s)}
    diagram = statechart_svg(
        states=machine.state_names,
        edges=machine.edges(),
        initial=machine.initial_state,
        current=runtime.state,
        final_states=final_states,
        title=f"{runtime.definition.name} workflow",
    )
    documents = runtime.context.get("documents") if isinstance(runtime.context, dict) else None
    entity = runtime.entity
    case_data = selectors.case_entity_data(runtime)
    return render(
        request,
        "cases/case.html",
        {
            "case": runtime,
            "entity": entity,
            "case_name": selectors.case_name(runtime),
            "case_data": case_data,
            "entity_record_differs": entity.data != case_data,
            "queue": selectors.case_queue(project=current.project, runtime=runtime),
            "events": _event_buttons(machine, runtime.state) if runtime.is_open else [],
            "final_states": final_states,
            "diagram": diagram,
            "documents": documents if isinstance(documents, list) else [],
            "history": selectors.case_history(runtime=runtime),
            "members": [m for m in selectors.project_members(project=current.project, acting_only=True) if m != runtime.assignee],
            "can_act": current.can_act,
            "payload_text": payload_text,
            "payload_error": payload_error,
        },
    )


@login_required
def case_detail(request, runtime_id):
    current, runtime = _case_or_404(request, runtime_id)
    return _case_page(request, current, runtime)


# Page names for the fields a case action can refuse.
FIELD_LABELS = {"text": "Note", "payload": "Event payload", "name": "Event"}


def _page_message(error: ServiceError) -> str:
    """A refusal in the words of the page: field labels, not API paths."""
    if not error.errors:
        return error.message
    details = " ".join(
        f"{FIELD_LABELS.get(e.path, e.path)}: {e.message}" if e.path else e.message for e in error.errors
    )
    return details if error.message == "Validation error" else f"{error.message} {details}"


def _act(request, runtime_id, action):
    """Runs a case action for the signed-in user; refusals come back as messages."""
    if request.method != "POST":
        return redirect("cases:case", runtime_id=runtime_id)  # a bookmarked or reloaded action URL
    current, runtime = _case_or_404(request, runtime_id)
    if not current.can_act:
        raise PermissionDenied("Viewers cannot act on cases.")
    try:
        message = action(current, runtime)
    except ServiceError as error:
        if error.status_code == 403:
            raise PermissionDenied(error.message) from error
        messages.error(request, _page_message(error))
    else:
        if message:
            messages.success(request, message)
    return redirect("cases:case", runtime_id=runtime.pk)


@login_required
def case_event(request, runtime_id):
    if request.method != "POST":
        return redirect("cases:case", runtime_id=runtime_id)
    name = request.POST.get("name", "")
    payload_text = request.POST.get("payload", "").strip()
    current, runtime = _case_or_404(request, runtime_id)
    if not current.can_act:
        # Before the payload is read or a confirmation shown: a viewer is never asked to confirm
        # something that would be refused anyway.
        raise PermissionDenied("Viewers cannot act on cases.")
    try:
        payload = json_parse(payload_text) if payload_text else None
    except ValueError as error:
        # Shown again with the text as typed, so it can be corrected rather than retyped.
        return _case_page(
            request, current, runtime, payload_text=payload_text, payload_error=f"The payload is not valid JSON: {error}."
        )
    machine = machine_for(runtime.definition_version)
    final = any(c["final"] for c in selectors.case_event_choices(machine, runtime.state) if c["name"] == name)
    if final and not request.POST.get("confirmed") and runtime.is_open:
        return render(request, "cases/confirm_event.html", {"case": runtime, "name": name, "payload": payload_text})

    def send(current, runtime):
        result = workflow_send_event(
            project=current.project, runtime_id=runtime.pk, name=name, payload=payload, actor=Actor(user=request.user)
        )
        outcome = " and completed" if result.runtime.status == RuntimeStatus.COMPLETED else ""
        return f"Done: {name}. The case is now in state {result.runtime.state}{outcome}."

    return _act(request, runtime_id, send)


@login_required
def case_assign_view(request, runtime_id):
    choice = request.POST.get("assignee", "")

    def assign(current, runtime):
        if choice == "me":
            assignee = request.user
        elif choice:
            assignee = selectors.acting_member_get(project=current.project, username=choice)
            if assignee is None:
                # One answer for unknown users and non-members, so names cannot be probed.
                raise ServiceError("Cases can only be assigned to operators of this project.")
        else:
            assignee = None
        updated = case_assign(project=current.project, runtime_id=runtime.pk, assignee=assignee, actor=Actor(user=request.user))
        return f"Assigned to {updated.assignee.get_username()}." if updated.assignee else "Case unassigned."

    return _act(request, runtime_id, assign)


@login_required
def case_note(request, runtime_id):
    def note(current, runtime):
        case_add_note(project=current.project, runtime_id=runtime.pk, text=request.POST.get("text", ""), actor=Actor(user=request.user))
        return "Note added."

    return _act(request, runtime_id, note)


