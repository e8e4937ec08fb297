"""Per-document decisions: Ballerine's strings in the context, one history row and the
document webhook per decision, `always` re-checked so a task-level definition moves by itself,
and every refusal changing nothing."""

import pytest

from documents.decisions import DocumentAlreadyDecided, document_decide
from projects.models import Role
from webhooks.models import WebhookDelivery, WebhookEvent
from workflows.actors import Actor
from workflows.decisions import NotYourCase, StaleCase
from workflows.errors import NotFound, PermissionDenied, RuntimeClosed, ValidationFailed
from workflows.models import HistoryEvent, HistoryKind, WorkflowRuntime
from workflows.case_work import case_assign
from workflows.definitions import definition_save
from workflows.services import workflow_send_event, workflow_start

from ..factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

ALL_DECIDED = "length(documents[?decision.status == 'approved']) == length(documents)"
ANY_REJECTED = "length(documents[?decision.status == 'rejected']) > `0`"
ANY_REVISION = "length(documents[?decision.status == 'revision']) > `0`"

TASKS_STATECHART = {
    "id": "documents_review",
    "initial": "review",
    "states": {
        "review": {
            "always": [
                {"target": "rejected", "cond": {"type": "jmespath", "options": {"rule": ANY_REJECTED}}},
                {"target": "revision", "cond": {"type": "jmespath", "options": {"rule": ANY_REVISION}}},
                {"target": "approved", "cond": {"type": "jmespath", "options": {"rule": ALL_DECIDED}}},
            ],
            "on": {"approve": "approved", "reject": "rejected"},
        },
        "revision": {"on": {"RESUBMITTED": "review"}},
        "approved": {"type": "final"},
        "rejected": {"type": "final"},
    },
}


def documents():
    return [
        {"id": "passport-1", "category": "identification", "type": "passport", "issuer": {"country": "GB"}, "version": 1,
         "properties": {"docNumber": "123"}, "pages": []},
        {"id": "poa-1", "category": "proof_of_address", "type": "utility_bill", "issuer": {"country": "GB"}, "version": 1,
         "properties": {}, "pages": []},
    ]


@pytest.fixture
def case(project):
    definition_save(project=project, key="documents_review", statechart=TASKS_STATECHART, config={"subscriptions": [{"type": "webhook", "url": "https://hooks.example.com/cases", "events": []}]})
    context = {"entity": {"type": "individual", "id": "p-1", "data": {"firstName": "Ann", "lastName": "Lee"}}, "documents": documents()}
    return workflow_start(project=project, workflow_id="documents_review", context=context, actor=Actor()).runtime


def decide(case, actor, document_id="passport-1", decision="approve", **kwargs):
    return document_decide(project=case.project, runtime_id=case.pk, document_id=document_id, decision=decision, actor=actor, **kwargs)


def stored(case) -> WorkflowRuntime:
    return WorkflowRuntime.objects.get(pk=case.pk)


def test_approving_a_document_stores_ballerines_decision_and_one_history_row(case, operator_actor):
    decide(case, operator_actor, comment="Clear photo")
    document = stored(case).context["documents"][0]
    assert document["decision"]["status"] == "approved"
    assert document["decision"]["comment"] == "Clear photo"
    assert document["decision"]["decidedBy"] == "olga" and document["decision"]["documentVersion"] == 1
    [row] = HistoryEvent.objects.filter(runtime=case, kind=HistoryKind.DOCUMENT_DECIDED)
    assert row.payload["documentId"] == "passport-1" and row.payload["decision"] == "approved"
    assert row.payload["previousContext"]["documents"][0].get("decision") is None


def test_a_decision_sends_the_document_changed_webhook(case, operator_actor):
    decide(case, operator_actor)
    assert WebhookDelivery.objects.filter(runtime=case, event=WebhookEvent.DOCUMENT_CHANGED).count() == 1


def test_rejecting_a_document_keeps_the_reason_and_the_case_moves_by_itself(case, operator_actor):
    decide(case, operator_actor, decision="reject", reason="Expired document")
    runtime = stored(case)
    assert runtime.context["documents"][0]["decision"]["rejectionReason"] == "Expired document"
    assert runtime.state == "rejected" and runtime.status == "completed"
    assert HistoryEvent.objects.filter(runtime=case, kind=HistoryKind.TRANSITION, to_state="rejected").exists()


def test_asking_for_a_revision_moves_the_case_to_revision(case, operator_actor):
    decide(case, operator_actor, document_id="poa-1", decision="revision", reason="Older than three months")
    runtime = stored(case)
    assert runtime.context["documents"][1]["decision"]["revisionReason"] == "Older than three months"
    assert runtime.state == "revision"


def test_the_case_is_approved_when_every_document_is_approved(case, operator_actor):
    decide(case, operator_actor)
    assert stored(case).state == "review"
    decide(stored(case), operator_actor, document_id="poa-1")
    assert stored(case).state == "approved"


def test_undo_clears_the_decision(case, operator_actor):
    decide(case, operator_actor)
    decide(case, operator_actor, decision=None)
    assert stored(case).context["documents"][0]["decision"]["status"] is None


@pytest.mark.parametrize("decision", ["reject", "revision"])
def test_a_reject_or_revision_without_a_reason_is_refused_and_changes_nothing(case, operator_actor, decision):
    version = stored(case).version
    with pytest.raises(ValidationFailed) as refused:
        decide(case, operator_actor, decision=decision, reason="  ")
    assert refused.value.errors[0].path == "reason"
    assert stored(case).version == version


def test_an_unknown_decision_word_is_refused(case, operator_actor):
    with pytest.raises(ValidationFailed):
        decide(case, operator_actor, decision="approved")


def test_a_decision_on_an_unknown_document_is_not_found(case, operator_actor):
    with pytest.raises(NotFound):
        decide(case, operator_actor, document_id="nope")


def test_a_decision_on_a_closed_case_is_refused(case, operator_actor):
    workflow_send_event(project=case.project, runtime_id=case.pk, name="approve", payload={}, actor=Actor())
    with pytest.raises(RuntimeClosed):
        decide(case, operator_actor)


def test_a_viewer_cannot_decide(case, viewer):
    with pytest.raises(PermissionDenied):
        decide(case, Actor(user=viewer))
    assert stored(case).context["documents"][0].get("decision") is None


def test_an_operator_cannot_decide_a_case_assigned_to_someone_else(case, operator_actor, project):
    other = MembershipFactory(project=project, user=UserFactory(username="omar"), role=Role.OPERATOR).user
    case_assign(project=project, runtime_id=case.pk, assignee=other, actor=Actor(user=other))
    with pytest.raises(NotYourCase):
        decide(case, operator_actor)


def test_the_second_of_two_decisions_from_the_same_page_is_refused_naming_the_first(case, operator_actor, project):
    other = Actor(user=MembershipFactory(project=project, user=UserFactory(username="omar"), role=Role.OPERATOR).user)
    shown = stored(case).version
    decide(case, other, decision="reject", reason="Expired document", expected_version=shown, expected_status="")
    with pytest.raises(DocumentAlreadyDecided) as refused:
        decide(case, operator_actor, expected_version=shown, expected_status="")
    assert "rejected by omar" in refused.value.message and "Expired document" in refused.value.message
    assert stored(case).context["documents"][0]["decision"]["status"] == "rejected"


def test_a_page_behind_for_another_reason_is_refused_as_stale(case, operator_actor):
    shown = stored(case).version
    decide(case, operator_actor, document_id="poa-1")
    with pytest.raises(StaleCase):
        decide(case, operator_actor, expected_version=shown, expected_status="")


def test_completed_when_tasks_resolved_is_accepted_with_a_warning_when_loaded(tmp_path, project):
    import json
    from io import StringIO

    from django.core.management import call_command

    path = tmp_path / "tasks.json"
    path.write_text(json.dumps({"key": "tasks", "statechart": TASKS_STATECHART, "config": {"completedWhenTasksResolved": True}}))
    out = StringIO()
    call_command("load_definitions", str(path), project=project.slug, stdout=out)
    assert "tasks version 1" in out.getvalue()
    assert "warning: config.completedWhenTasksResolved has no effect here" in out.getvalue()


def test_deciding_a_document_of_an_unassigned_case_assigns_it_to_the_operator(case, operator_actor):
    decide(case, operator_actor)
    runtime = stored(case)
    assert runtime.assignee.username == "olga"
    assert HistoryEvent.objects.filter(runtime=case, kind=HistoryKind.ASSIGNED).get().payload["because"] == "decided a document"
