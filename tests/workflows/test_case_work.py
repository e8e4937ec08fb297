import pytest
from django.core.exceptions import ValidationError

from workflows.actors import Actor
from workflows.errors import PermissionDenied, RuntimeClosed, ValidationFailed
from workflows.models import HistoryEvent, HistoryKind
from workflows.case_work import case_add_note, case_assign
from workflows.services import workflow_send_event, workflow_start

from ..factories import UserFactory, business_context


@pytest.fixture
def runtime(definition_version):
    return workflow_start(
        project=definition_version.definition.project, workflow_id="kyb", context=business_context(), actor=Actor()
    ).runtime


def test_operator_assigns_a_case_to_themselves(runtime, operator, operator_actor):
    case_assign(project=runtime.project, runtime_id=runtime.pk, assignee=operator, actor=operator_actor)
    runtime.refresh_from_db()
    assert runtime.assignee == operator
    row = runtime.history.get(kind=HistoryKind.ASSIGNED)
    assert row.payload == {"from": None, "to": "olga"}


def test_unassigning_records_who_had_the_case(runtime, operator, operator_actor):
    case_assign(project=runtime.project, runtime_id=runtime.pk, assignee=operator, actor=operator_actor)
    case_assign(project=runtime.project, runtime_id=runtime.pk, assignee=None, actor=operator_actor)
    runtime.refresh_from_db()
    assert runtime.assignee is None
    assert runtime.history.get(kind=HistoryKind.UNASSIGNED).payload == {"from": "olga", "to": None}


def test_assigning_to_the_current_assignee_writes_no_history(runtime, operator, operator_actor):
    case_assign(project=runtime.project, runtime_id=runtime.pk, assignee=operator, actor=operator_actor)
    case_assign(project=runtime.project, runtime_id=runtime.pk, assignee=operator, actor=operator_actor)
    assert runtime.history.filter(kind=HistoryKind.ASSIGNED).count() == 1


def test_case_cannot_be_assigned_to_someone_outside_the_project(runtime, operator_actor):
    stranger = UserFactory(username="stranger")
    with pytest.raises(ValidationFailed) as raised:
        case_assign(project=runtime.project, runtime_id=runtime.pk, assignee=stranger, actor=operator_actor)
    assert raised.value.errors[0].path == "assignee"
    runtime.refresh_from_db()
    assert runtime.assignee is None


def test_superuser_outside_the_project_cannot_be_assigned(runtime, operator_actor):
    # They would not see the case in this project's queues.
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    with pytest.raises(ValidationFailed):
        case_assign(project=runtime.project, runtime_id=runtime.pk, assignee=superuser, actor=operator_actor)
    runtime.refresh_from_db()
    assert runtime.assignee is None
    assert not runtime.history.filter(kind=HistoryKind.ASSIGNED).exists()


def test_viewer_cannot_assign(runtime, viewer, operator):
    with pytest.raises(PermissionDenied):
        case_assign(project=runtime.project, runtime_id=runtime.pk, assignee=operator, actor=Actor(user=viewer))


def test_completed_case_cannot_be_reassigned(runtime, operator, operator_actor):
    workflow_send_event(project=runtime.project, runtime_id=runtime.pk, name="approve", actor=operator_actor)
    with pytest.raises(RuntimeClosed):
        case_assign(project=runtime.project, runtime_id=runtime.pk, assignee=operator, actor=operator_actor)


def test_note_is_added_to_the_history(runtime, operator_actor):
    note = case_add_note(project=runtime.project, runtime_id=runtime.pk, text="  Called the CEO.  ", actor=operator_actor)
    assert (note.kind, note.payload, note.actor_label) == (HistoryKind.NOTE, {"text": "Called the CEO."}, "olga")


def test_a_notes_line_breaks_are_stored_as_newlines(runtime, operator_actor):
    note = case_add_note(project=runtime.project, runtime_id=runtime.pk, text="Line one\r\nLine two\rthree", actor=operator_actor)
    assert note.payload == {"text": "Line one\nLine two\nthree"}


def test_empty_note_is_refused(runtime, operator_actor):
    with pytest.raises(ValidationFailed):
        case_add_note(project=runtime.project, runtime_id=runtime.pk, text="   ", actor=operator_actor)
    assert not runtime.history.filter(kind=HistoryKind.NOTE).exists()


def test_history_rows_cannot_be_changed_or_deleted(runtime):
    row = runtime.history.get()
    row.event_name = "forged"
    with pytest.raises(ValidationError):
        row.save()
    with pytest.raises(ValidationError):
        row.delete()
    with pytest.raises(TypeError):
        HistoryEvent.objects.filter(pk=row.pk).update(event_name="forged")
    with pytest.raises(TypeError):
        HistoryEvent.objects.all().delete()
    assert HistoryEvent.objects.get(pk=row.pk).event_name == ""
