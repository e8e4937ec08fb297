"""Add Case Manually with files for the document types the definition names."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from documents.models import StoredFile
from workflows.models import WorkflowRuntime

from tests.cases.conftest import operator_client  # noqa: F401 (an operator of the demo project)

from .samples import pdf, png

pytestmark = pytest.mark.django_db

URL = "/queues/document-review/new/?definition=kyc_document_review_demo"


def form(**files):
    return {
        "definition": "kyc_document_review_demo",
        "form_token": "t-1",
        "id": "person-9",
        "data.firstName": "Ada",
        "data.lastName": "King",
        "data.email": "ada@example.com",
        **files,
    }


def test_the_form_offers_a_file_input_per_available_document(operator_client):
    html = operator_client.get(URL).content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert "Identification - passport" in html and "Proof of address - utility bill" in html


def test_uploaded_files_become_the_cases_documents(operator_client):
    response = operator_client.post(
        URL, form(document_0=SimpleUploadedFile("passport.png", png(), "image/png"), document_1=SimpleUploadedFile("bill.pdf", pdf(), "application/pdf"))
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    runtime = WorkflowRuntime.objects.get(entity__correlation_id="person-9")
    documents = runtime.context["documents"]
    assert [(d["category"], d["type"]) for d in documents] == [("identification", "passport"), ("proof_of_address", "utility_bill")]
    stored = StoredFile.objects.get(pk=documents[0]["pages"][0]["ballerineFileId"])
    assert stored.mime_type == "image/png" and stored.file_name == "passport.png"
    assert "data" not in documents[0]["pages"][0]


def test_a_refused_file_is_named_next_to_its_input_and_no_case_is_made(operator_client):
    response = operator_client.post(URL, form(document_0=SimpleUploadedFile("passport.png", b"<svg onload=alert(1)></svg>", "image/png")))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="document_0-error"' in html
    assert not WorkflowRuntime.objects.filter(entity__correlation_id="person-9").exists()
    assert not StoredFile.objects.filter(file_name="passport.png").exists()


def test_every_refused_file_is_named_at_once(operator_client):
    bad = b"<html><body>not a scan</body></html>"
    response = operator_client.post(
        URL, form(document_0=SimpleUploadedFile("a.png", bad, "image/png"), document_1=SimpleUploadedFile("b.pdf", bad, "application/pdf"))
    )
    html = response.content.decode()
    assert 'id="document_0-error"' in html and 'id="document_1-error"' in html
    assert not WorkflowRuntime.objects.filter(entity__correlation_id="person-9").exists()
