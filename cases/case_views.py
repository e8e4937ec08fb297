"""The case page and what operators do on it: events (with reasons and four eyes),
assignment and notes. Every form carries the version of the case it showed."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from automation.selectors import automation_panel
from documents.decisions import document_decide
from documents.fetching import file_fetch_retry
from documents.review import document_cards
from automation.services import plugin_run_again
from projects.models import Role
from workflows import decisions
from workflows.actors import Actor
from workflows.errors import PermissionDenied as ServicePermissionDenied
from workflows.errors import ServiceError
from workflows.four_eyes import decision_confirm, decision_return
from workflows.json_values import json_parse
from workflows.models import ApprovalState, RuntimeStatus
from workflows.case_work import case_add_note, case_assign
from workflows.definitions import machine_for
from workflows.services import workflow_send_event
from workflows.selectors import definition_versions_newer

from . import selectors
from .current import current_project, project_queues
from .diagram import statechart_svg
from .filters import CaseFilter
from .navigation import FROM_PARAM, default_view, view_neighbours, view_parse, view_remember, view_remembered
from .entity_selectors import case_entity_view

MISSING_VERSION = "This form did not say which version of the case it showed, so nothing was done. Reload the case and try again."


def case_or_404(request, runtime_id):
    current = current_project(request)
    runtime = selectors.case_get(project=current.project, runtime_id=runtime_id)
    if runtime is None:
        raise Http404("No such case.")
    return current, runtime


def _role(request, current) -> str | None:
    """The role the user acts with here (superusers act as admins, as in the services)."""
    return Role.ADMIN if request.user.is_superuser else getattr(current.membership, "role", None)


# Button colours: decisions by their outcome, other final events dark, the rest outlined.
OUTCOME_BUTTONS = {ApprovalState.APPROVED: "btn-success", ApprovalState.REJECTED: "btn-danger"}


def _event_buttons(runtime, machine, labels) -> list[dict]:
    version = runtime.definition_version
    offered = decisions.operator_events(version, machine, runtime.state)
    asks_reason = decisions.reason_events(version.config, machine, runtime.state)
    four_eyes = decisions.four_eyes_events(version.config)
    return [
        {
            **choice,
            "label": labels.get(choice["name"], choice["name"]),
            "reason": choice["name"] in asks_reason,
            "four_eyes": choice["name"] in four_eyes,
            "css": OUTCOME_BUTTONS.get(choice["outcome"], "btn-outline-dark") if choice["final"] else "btn-outline-primary",
        }
        for choice in selectors.case_event_choices(machine, runtime.state)
        if choice["name"] in offered
    ]


def _case_navigation(request, current, runtime) -> dict:
    """Back to the queue view the case was opened from (its `from`, else the one remembered for
    this case in the session, else the case's queue with its default view), and the previous
    and next cases of that view, each link carrying the view on."""
    from .views import queue_filter

    queues = project_queues(request)  # the menu reads them too: once per request
    view = view_parse(request.GET.get(FROM_PARAM), queues=queues)
    if view is not None:
        view_remember(request.session, runtime.pk, view)
    else:
        view = view_parse(view_remembered(request.session, runtime.pk), queues=queues) or default_view(runtime, queues=queues)
    if view is None:  # a case no queue lists
        return {"queue": None, "back_url": reverse("cases:home"), "previous_url": "", "next_url": ""}
    data = view.filter_data()
    if data:
        case_filter, _, _ = queue_filter(request, current, view.queue, data)
    else:  # the default view: no filter value to check against the states and members
        case_filter = CaseFilter(
            data, queryset=selectors.queue_runtimes(queue=view.queue, base_statuses=False), queue=view.queue,
            user=request.user, states=[], members=[], definitions=list(view.queue.definitions.all()),
        )
    previous, following = view_neighbours(case_filter.qs, runtime)

    def link(pk):
        return f"{reverse('cases:case', kwargs={'runtime_id': pk})}?{view.from_query}" if pk else ""

    return {"queue": view.queue, "back_url": view.url, "previous_url": link(previous), "next_url": link(following)}


def _case_page(request, current, runtime, *, payload_text="", payload_error=""):
    machine = machine_for(runtime.definition_version)
    statechart = runtime.definition_version.statechart
    state_labels, event_labels = decisions.state_labels(statechart), decisions.event_labels(statechart)
    final_states = {s for s in machine.state_names if machine.is_final(s)}
    diagram = statechart_svg(
        states=machine.state_names,
        edges=machine.edges(),
        initial=machine.initial_state,
        current=runtime.state,
        final_states=final_states,
        title=f"{runtime.definition.name} workflow",
    )
    entity = runtime.entity
    case_data = selectors.case_entity_data(runtime)
    role = _role(request, current)
    assignee = runtime.assignee
    # The newest rows; `?history=all` shows every row (a long-running case has hundreds).
    history, history_older = selectors.case_history(
        runtime=runtime, limit=None if request.GET.get("history") == "all" else selectors.CASE_HISTORY_ROWS
    )
    family = selectors.case_family(runtime=runtime)
    return render(
        request,
        "cases/case.html",
        {
            "case": runtime,
            "entity": entity,
            "case_name": selectors.case_name(runtime),
            "case_data": case_data,
            "entity_record_differs": entity.data != case_data,
            **_case_navigation(request, current, runtime),
            "outcome": decisions.case_outcome(runtime),
            "state_labels": state_labels,
            "event_labels": event_labels,
            "events": _event_buttons(runtime, machine, event_labels) if runtime.is_open else [],
            "final_states": final_states,
            "final_badges": {s: decisions.state_badge(s, machine.tags(s)) for s in final_states},
            "diagram": diagram,
            "document_cards": document_cards(runtime=runtime),
            "history": history,
            "history_older": history_older,
            "members": [m for m in selectors.project_members(project=current.project, acting_only=True) if m != assignee],
            "can_act": current.can_act,
            "can_decide": current.can_act and decisions.may_decide(runtime, request.user, role),
            "assigned_elsewhere": assignee is not None and assignee != request.user,
            "taking": f"Take this case over from {assignee.get_username()}?" if assignee is not None else "",
            "can_check": current.can_act and decisions.may_check(runtime, request.user, role),
            "payload_text": payload_text,
            "payload_error": payload_error,
            "newer_versions": definition_versions_newer(runtime=runtime) if current.can_act and runtime.status == RuntimeStatus.FAILED else [],
            "automation": automation_panel(runtime=runtime, can_act=current.can_act),
            "family": family,
            "entity_view": case_entity_view(runtime=runtime, data=case_data, children=family["children"]),
        },
    )


@login_required
def case_detail(request, runtime_id):
    current, runtime = case_or_404(request, runtime_id)
    return _case_page(request, current, runtime)


# Page names for the fields a case action can refuse.
FIELD_LABELS = {
    "text": "Note",
    "payload": "Event payload",
    "name": "Event",
    "payload.reason": "Reason",
    "payload.comment": "Comment",
    "reason": "Reason",
}


def page_message(error: ServiceError) -> str:
    """A refusal in the words of the page: field labels, not API paths."""
    if not error.errors:
        return error.message
    details = " ".join(
        f"{FIELD_LABELS.get(e.path, e.path)}: {e.message}" if e.path else e.message for e in error.errors
    )
    return details if error.message == "Validation error" else f"{error.message} {details}"


def form_version(request) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


def _act(request, runtime_id, action, *, on_take_over=None):
    """Runs a case action for the signed-in user; refusals come back as messages. A form
    that does not say which version of the case it showed changes nothing."""
    if request.method != "POST":
        return redirect("cases:case", runtime_id=runtime_id)  # a bookmarked or reloaded action URL
    current, runtime = case_or_404(request, runtime_id)
    if not current.can_act:
        raise PermissionDenied("Viewers cannot act on cases.")
    version = form_version(request)
    if version is None:
        messages.error(request, MISSING_VERSION)
        return redirect("cases:case", runtime_id=runtime.pk)
    try:
        message = action(current, runtime, version)
    except decisions.TakeOverNeeded as error:
        if on_take_over is not None:
            return on_take_over(runtime, error)
        messages.error(request, error.message)
    except ServiceError as error:
        if isinstance(error, ServicePermissionDenied):
            raise PermissionDenied(error.message) from error
        messages.error(request, page_message(error))
    else:
        if message:
            messages.success(request, message)
    return redirect("cases:case", runtime_id=runtime.pk)


def _reason_from(request) -> tuple[str, str]:
    """The reason chosen from the list, else the one typed, and the optional comment."""
    chosen = request.POST.get("reason", "").strip()
    typed = request.POST.get("reason_other", "").strip()
    return (chosen or typed), request.POST.get("comment", "").replace("\r\n", "\n").strip()


@login_required
def case_event(request, runtime_id):
    if request.method != "POST":
        return redirect("cases:case", runtime_id=runtime_id)
    name = request.POST.get("name", "")
    payload_text = request.POST.get("payload", "").strip()
    current, runtime = case_or_404(request, runtime_id)
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
    config = runtime.definition_version.config or {}
    labels = decisions.event_labels(runtime.definition_version.statechart)
    four_eyes = name in decisions.four_eyes_events(config)
    final = any(c["final"] for c in selectors.case_event_choices(machine, runtime.state) if c["name"] == name)
    asks_reason = runtime.is_open and name in decisions.reason_events(config, machine, runtime.state)
    version = request.POST.get("version", "")
    reason, comment = _reason_from(request)
    if asks_reason and isinstance(payload, dict | None) and not reason:
        # The reason page is also the confirmation of a final decision.
        return render(
            request,
            "cases/decide_event.html",
            {
                "case": runtime,
                "name": name,
                "label": labels.get(name, name),
                "payload": payload_text,
                "version": version,
                "reasons": decisions.reasons_for(config, name),
                "final": final,
                "four_eyes": four_eyes,
                "error": "A reason is required for this decision." if request.POST.get("decided") else "",
                "comment": comment,
            },
        )
    if final and not four_eyes and not asks_reason and not request.POST.get("confirmed") and runtime.is_open:
        return render(
            request,
            "cases/confirm_event.html",
            {"case": runtime, "name": name, "label": labels.get(name, name), "payload": payload_text, "version": version},
        )
    if reason and isinstance(payload, dict | None):
        payload = {**(payload or {}), "reason": reason, **({"comment": comment} if comment else {})}

    def send(current, runtime, version):
        result = workflow_send_event(
            project=current.project,
            runtime_id=runtime.pk,
            name=name,
            payload=payload,
            actor=Actor(user=request.user),
            expected_version=version,
        )
        updated = result.runtime
        if updated.pending_event:
            return f"Sent for a second approval: {labels.get(name, name)}. A different member must confirm it."
        state = decisions.state_labels(updated.definition_version.statechart).get(updated.state, updated.state)
        outcome = " and completed" if updated.status == RuntimeStatus.COMPLETED else ""
        return f"Done: {name}. The case is now in state {state}{outcome}."

    return _act(request, runtime_id, send)


@login_required
def case_assign_view(request, runtime_id):
    choice = request.POST.get("assignee", "")
    reassign = bool(request.POST.get("reassign"))
    take_over = request.POST.get("confirmed") == "1"

    def assign(current, runtime, version):
        if reassign and not choice:
            raise ServiceError("Choose the member to reassign the case to.")
        if choice == "me":
            assignee = request.user
        elif choice:
            assignee = selectors.acting_member_get(project=current.project, username=choice)
            if assignee is None:
                # One answer for unknown users and non-members, so names cannot be probed.
                raise ServiceError("Cases can only be assigned to operators of this project.")
        else:
            assignee = None
        updated = case_assign(
            project=current.project,
            runtime_id=runtime.pk,
            assignee=assignee,
            actor=Actor(user=request.user),
            expected_version=version,
            take_over=take_over,
        )
        return f"Assigned to {updated.assignee.get_username()}." if updated.assignee else "Case unassigned."

    def confirm_take_over(runtime, error):
        return render(
            request,
            "cases/confirm_take_over.html",
            {
                "case": runtime,
                "assignee": choice,
                "reassign": reassign,
                "version": request.POST.get("version", ""),
                "current_assignee": error.assignee_label,
            },
        )

    return _act(request, runtime_id, assign, on_take_over=confirm_take_over)


@login_required
def case_note(request, runtime_id):
    def note(current, runtime, version):
        case_add_note(
            project=current.project,
            runtime_id=runtime.pk,
            text=request.POST.get("text", ""),
            actor=Actor(user=request.user),
            expected_version=version,
        )
        return "Note added."

    return _act(request, runtime_id, note)


@login_required
def case_decision_confirm(request, runtime_id):
    def confirm(current, runtime, version):
        result = decision_confirm(project=current.project, runtime_id=runtime.pk, actor=Actor(user=request.user), expected_version=version)
        updated = result.runtime
        state = decisions.state_labels(updated.definition_version.statechart).get(updated.state, updated.state)
        return f"Second approval given. The case is now in state {state}."

    return _act(request, runtime_id, confirm)


@login_required
def case_decision_return(request, runtime_id):
    def send_back(current, runtime, version):
        decision_return(
            project=current.project,
            runtime_id=runtime.pk,
            actor=Actor(user=request.user),
            reason=request.POST.get("reason", ""),
            expected_version=version,
        )
        return "The decision was sent back; nothing of it was applied."

    return _act(request, runtime_id, send_back)


@login_required
def case_plugin_run(request, runtime_id):
    """Run again: queues a plugin of the case's state anew (operators and admins)."""

    def run_again(current, runtime, version):
        run = plugin_run_again(
            project=current.project,
            runtime_id=runtime.pk,
            plugin_name=request.POST.get("plugin", ""),
            actor=Actor(user=request.user),
            expected_version=version,
        )
        return f"{run.display_name or run.plugin_name} is queued to run again."

    return _act(request, runtime_id, run_again)


DOCUMENT_DECISION_MESSAGES = {"approve": "approved", "reject": "rejected", "revision": "sent back for revision", None: "left undecided again"}


@login_required
def case_document_decision(request, runtime_id):
    """A decision on one document of the case (approve, reject, revision, undo)."""

    def decide(current, runtime, version):
        decision = request.POST.get("decision") or None
        result = document_decide(
            project=current.project,
            runtime_id=runtime.pk,
            document_id=request.POST.get("document", ""),
            decision=decision,
            reason=request.POST.get("reason", ""),
            comment=request.POST.get("comment", ""),
            actor=Actor(user=request.user),
            expected_version=version,
            expected_status=request.POST.get("shown_status", ""),
        )
        if result.failure:
            messages.error(request, result.failure)
            return ""
        label = result.document.get("type") or result.document.get("category") or "The document"
        return f"{str(label).replace('_', ' ').capitalize()}: {DOCUMENT_DECISION_MESSAGES.get(decision, decision)}."

    return _act(request, runtime_id, decide)


@login_required
def case_document_fetch(request, runtime_id):
    """Fetch again a page whose download failed (operators and admins)."""

    def fetch_again(current, runtime, version):
        file_fetch_retry(project=current.project, runtime_id=runtime.pk, fetch_id=request.POST.get("fetch", ""), actor=Actor(user=request.user))
        return "The page is queued to be fetched again."

    return _act(request, runtime_id, fetch_again)
