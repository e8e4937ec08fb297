"""The case page's document cards: pages shown from the project's stored files, decisions by
operators (refused for viewers and for a page that is behind), in constant queries."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from documents.services import file_store
from projects.models import Role
from tests.cases.helpers import case_post
from tests.factories import MembershipFactory, UserFactory
from workflows.actors import Actor
from workflows.models import WorkflowRuntime
from workflows.definitions import definition_save
from workflows.services import workflow_start

from .samples import pdf, png
from .test_decisions import TASKS_STATECHART

pytestmark = pytest.mark.django_db


def client_of(project, username, role) -> Client:
    user = MembershipFactory(project=project, user=UserFactory(username=username), role=role).user
    client = Client()
    client.force_login(user)
    return client


def documents_with_files(project, count: int) -> list[dict]:
    image = file_store(project=project, content=png(), file_name="passport.png")
    scan = file_store(project=project, content=pdf(), file_name="bill.pdf")
    return [
        {
            "id": f"doc-{number}",
            "category": "identification" if number % 2 == 0 else "proof_of_address",
            "type": "passport" if number % 2 == 0 else "utility_bill",
            "issuer": {"country": "GB"},
            "version": 1,
            "properties": {"number": str(number)},
            "pages": [{"ballerineFileId": str((image if number % 2 == 0 else scan).pk), "fileName": f"page-{number}"}],
        }
        for number in range(count)
    ]


def start_case(project, count=2, entity_id="p-1"):
    definition_save(project=project, key="documents_review", statechart=TASKS_STATECHART, config={"decisionReasons": {"revision": ["Document photo unreadable"]}})
    context = {"entity": {"type": "individual", "id": entity_id, "data": {"firstName": "Ann", "lastName": "Lee"}}, "documents": documents_with_files(project, count)}
    return workflow_start(project=project, workflow_id="documents_review", context=context, actor=Actor()).runtime


def test_the_case_page_shows_each_document_with_its_image_and_its_pdf(project):
    case = start_case(project)
    html = client_of(project, "olga", Role.OPERATOR).get(f"/cases/{case.pk}/").content.decode()
    image_id, pdf_id = (case.context["documents"][i]["pages"][0]["ballerineFileId"] for i in (0, 1))
    assert "identification - passport" in html and "proof_of_address - utility_bill" in html
    assert f'<img src="/files/{image_id}/"' in html
    assert f'<iframe src="/files/{pdf_id}/"' in html
    assert html.count("Open alone") == 2
    assert "Document photo unreadable" in html  # the revision reasons of the definition


def test_an_operator_rejects_a_document_from_the_page_and_the_case_moves(project):
    case = start_case(project)
    client = client_of(project, "olga", Role.OPERATOR)
    response = case_post(client, case, "documents/decision", {"document": "doc-0", "decision": "reject", "reason": "Expired", "shown_status": ""}, follow=True)
    assert "Passport: rejected." in response.content.decode()
    runtime = WorkflowRuntime.objects.get(pk=case.pk)
    assert runtime.state == "rejected"
    assert runtime.context["documents"][0]["decision"]["rejectionReason"] == "Expired"


def test_a_viewer_cannot_decide_a_document(project):
    case = start_case(project)
    response = case_post(client_of(project, "victor", Role.VIEWER), case, "documents/decision", {"document": "doc-0", "decision": "approve"})
    assert response.status_code == 403
    assert WorkflowRuntime.objects.get(pk=case.pk).context["documents"][0].get("decision") is None


def test_a_page_behind_another_operators_decision_is_refused_naming_it(project):
    case = start_case(project)
    shown = WorkflowRuntime.objects.get(pk=case.pk).version
    first, second = client_of(project, "olga", Role.OPERATOR), client_of(project, "omar", Role.OPERATOR)
    form = {"document": "doc-1", "decision": "revision", "reason": "Document photo unreadable", "shown_status": "", "version": shown}
    first.post(f"/cases/{case.pk}/documents/decision/", form)
    response = second.post(f"/cases/{case.pk}/documents/decision/", {**form, "decision": "approve"}, follow=True)
    assert "asked for revision by olga" in response.content.decode()
    assert WorkflowRuntime.objects.get(pk=case.pk).context["documents"][1]["decision"]["status"] == "revision"


def test_the_case_page_queries_do_not_grow_with_the_documents(project):
    client = client_of(project, "olga", Role.OPERATOR)
    few, many = start_case(project, 2, "p-1"), start_case(project, 20, "p-2")
    client.get(f"/cases/{few.pk}/")  # warm the session and caches alike
    with CaptureQueriesContext(connection) as two:
        client.get(f"/cases/{few.pk}/")
    with CaptureQueriesContext(connection) as twenty:
        html = client.get(f"/cases/{many.pk}/").content.decode()
    assert html.count('class="document-card') == 20
    assert len(twenty) == len(two)
