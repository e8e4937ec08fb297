"""Two operators deciding the same document at once, as real threads on PostgreSQL: the case
lock serialises them, the second is refused naming the first decision, nothing is lost."""

import pytest
from django.db import connection

from documents.decisions import DocumentAlreadyDecided, document_decide
from projects.models import Role
from workflows.actors import Actor
from workflows.models import HistoryEvent, HistoryKind, WorkflowRuntime
from workflows.definitions import definition_save
from workflows.services import workflow_start

from ..factories import MembershipFactory, UserFactory
from ..workflows.test_concurrency import run_in_threads
from .test_decisions import TASKS_STATECHART, documents

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row-lock concurrency is exercised on PostgreSQL (CI runs the suite there too)"),
]


def test_the_second_of_two_simultaneous_decisions_is_refused_naming_the_first(project):
    definition_save(project=project, key="documents_review", statechart=TASKS_STATECHART)
    context = {"entity": {"type": "individual", "id": "p-1", "data": {"firstName": "Ann", "lastName": "Lee"}}, "documents": documents()}
    case = workflow_start(project=project, workflow_id="documents_review", context=context, actor=Actor()).runtime
    operators = [Actor(user=MembershipFactory(project=project, user=UserFactory(username=name), role=Role.OPERATOR).user) for name in ("olga", "omar")]
    shown = WorkflowRuntime.objects.get(pk=case.pk).version

    def decide(i):
        document_decide(
            project=project, runtime_id=case.pk, document_id="poa-1", decision="revision" if i else "approve",
            reason="Older than three months", actor=operators[i], expected_version=shown, expected_status="",
        )

    errors = run_in_threads(decide, count=2)
    assert len(errors) == 1 and isinstance(errors[0], DocumentAlreadyDecided)
    runtime = WorkflowRuntime.objects.get(pk=case.pk)
    decision = runtime.context["documents"][1]["decision"]
    assert decision["decidedBy"] in errors[0].message
    assert HistoryEvent.objects.filter(runtime=case, kind=HistoryKind.DOCUMENT_DECIDED).count() == 1
