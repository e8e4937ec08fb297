"""Case maintenance pages (issue 16, item 2): "Edit entity data" and "Move to a newer
version". Operators and admins of the case's project; viewers get 403. The work and every
check are workflows.maintenance's; these pages show its refusals where they belong."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render

from workflows import decisions
from workflows.actors import Actor
from workflows.errors import PermissionDenied as ServicePermissionDenied
from workflows.errors import ServiceError, ValidationFailed
from workflows.maintenance import (
    CaseCompleted,
    NotFailed,
    case_entity_correct,
    case_version_move,
    data_changes,
    entity_data_input_schema,
    movable_states,
)
from workflows.models import RuntimeStatus
from workflows.selectors import definition_versions_newer

from . import selectors
from .case_views import MISSING_VERSION, case_or_404, form_version, page_message
from .maintenance_forms import (
    EntityJsonForm,
    entity_json_initial,
    form_errors_of,
    schema_form_data,
    schema_form_initial,
)
from .schema_forms import SchemaForm


def _maintained_case(request, runtime_id):
    current, runtime = case_or_404(request, runtime_id)
    if not current.can_act:
        raise PermissionDenied("Viewers cannot change cases.")
    return current, runtime


def _refused(error: ServiceError):
    """A refusal the page cannot place: 403 for a permission, else its message."""
    if isinstance(error, ServicePermissionDenied):
        raise PermissionDenied(error.message) from error
    return page_message(error)


STALE_ENTRIES_KEPT = (
    "This case changed after your page was loaded, so nothing was saved. Your entries are kept "
    "below and now apply to the case as it is: check them against its current data and save again."
)


def _now_shown(change: dict) -> str:
    """The case's current value at a path where the entries differ from it."""
    return json.dumps(change["old"], ensure_ascii=False) if "old" in change else "absent"


@login_required
def case_edit_entity(request, runtime_id):
    current, runtime = _maintained_case(request, runtime_id)
    if runtime.status == RuntimeStatus.COMPLETED:
        messages.error(request, CaseCompleted("entity data").message)
        return redirect("cases:case", runtime_id=runtime.pk)
    input_schema = entity_data_input_schema(runtime.definition_version)
    data = selectors.case_entity_data(runtime)
    posted = request.POST if request.method == "POST" else None
    if input_schema is not None:
        form = SchemaForm(posted, input_schema=input_schema)
        form.initial = schema_form_initial(form, data)
    else:
        form = EntityJsonForm(posted, initial=entity_json_initial(data))
    page_errors = []
    if posted is not None:
        version = form_version(request)
        if version is None:
            messages.error(request, MISSING_VERSION)
            return redirect("cases:case-edit-entity", runtime_id=runtime.pk)
        if form.is_valid():
            new_data = schema_form_data(form, data) if input_schema is not None else form.cleaned_data["entity_data"]
            try:
                result = case_entity_correct(
                    project=current.project, runtime_id=runtime.pk, data=new_data, actor=Actor(user=request.user), expected_version=version
                )
            except decisions.StaleCase:
                # What was typed is kept, and the form now carries the version read for this
                # request: saving again applies it to the case as it is now.
                page_errors = [STALE_ENTRIES_KEPT] + [
                    f"{change['path'].removeprefix('entity.data.')} is now {_now_shown(change)}"
                    for change in data_changes(data, new_data)
                ]
            except ValidationFailed as error:
                located, other = form_errors_of(error.errors)
                form.add_located_errors(located)
                page_errors = [f"{e.path}: {e.message}" if e.path else e.message for e in other] or (
                    [] if located else [error.message]
                )
            except ServiceError as error:
                page_errors = [_refused(error)]
            else:
                if result.failure:
                    messages.error(request, result.failure)
                elif not result.changes:
                    messages.info(request, "The data is the same as the case's: nothing was changed.")
                else:
                    count = len(result.changes)
                    messages.success(request, f"Entity data corrected ({count} change{'s' if count != 1 else ''}).")
                return redirect("cases:case", runtime_id=runtime.pk)
    return render(
        request,
        "cases/case_edit_entity.html",
        {
            "case": runtime,
            "case_name": selectors.case_name(runtime),
            "form": form,
            "schema_form": input_schema is not None,
            "page_errors": page_errors,
        },
    )


@login_required
def case_move_version(request, runtime_id):
    current, runtime = _maintained_case(request, runtime_id)
    if runtime.status != RuntimeStatus.FAILED:
        error = CaseCompleted("workflow version") if runtime.status == RuntimeStatus.COMPLETED else NotFailed(runtime)
        messages.error(request, error.message)
        return redirect("cases:case", runtime_id=runtime.pk)
    versions = definition_versions_newer(runtime=runtime)
    if not versions:
        messages.error(
            request,
            f"{runtime.definition.name} has no version newer than this case's (version {runtime.definition_version.version}): "
            "save a corrected version of the workflow first.",
        )
        return redirect("cases:case", runtime_id=runtime.pk)
    wanted = request.POST.get("version_id") or request.GET.get("version_id") or ""
    chosen = next((v for v in versions if str(v.pk) == wanted), versions[0])
    states = movable_states(chosen)
    state = request.POST.get("state") or (runtime.state if runtime.state in states else (states[0] if states else ""))
    field_errors, page_errors = {}, []
    if request.method == "POST":
        version = form_version(request)
        if version is None:
            messages.error(request, MISSING_VERSION)
            return redirect("cases:case-move-version", runtime_id=runtime.pk)
        try:
            result = case_version_move(
                project=current.project,
                runtime_id=runtime.pk,
                version_id=wanted,
                state=request.POST.get("state", ""),
                actor=Actor(user=request.user),
                expected_version=version,
            )
        except decisions.StaleCase as error:
            messages.error(request, error.message)
            return redirect("cases:case-move-version", runtime_id=runtime.pk)
        except ValidationFailed as error:
            field_errors = {e.path: e.message for e in error.errors if e.path in ("version", "state")}
            other = [f"{e.path}: {e.message}" if e.path else e.message for e in error.errors if e.path not in field_errors]
            page_errors = [error.message, *other] if other or not field_errors else []
        except ServiceError as error:
            page_errors = [_refused(error)]
        else:
            moved = result.runtime
            labels = decisions.state_labels(moved.definition_version.statechart)
            queued = f" {result.plugins_queued} plugin run(s) queued." if result.plugins_queued else ""
            messages.success(
                request,
                f"Moved from version {result.from_version} to version {moved.definition_version.version}; "
                f"the case is {moved.status} in state {labels.get(moved.state, moved.state)}.{queued}",
            )
            return redirect("cases:case", runtime_id=moved.pk)
    labels = decisions.state_labels(chosen.statechart)
    return render(
        request,
        "cases/case_move_version.html",
        {
            "case": runtime,
            "case_name": selectors.case_name(runtime),
            "current_state_label": decisions.state_labels(runtime.definition_version.statechart).get(runtime.state, runtime.state),
            "versions": versions,
            "chosen": chosen,
            "states": [{"name": name, "label": labels.get(name, name)} for name in states],
            "state": state,
            "state_kept": runtime.state in states,
            "field_errors": field_errors,
            "page_errors": page_errors,
        },
    )
