"""The case file for auditors (issue 16, item 6): a self-contained HTML download with the case,
its entity, its context, every decision with its reason and comment, the documents, the notes
and the whole history; readable by viewers, scoped to the project, escaped, no script, a fixed
number of queries whatever the history's length."""

import logging
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from documents.decisions import document_decide
from projects.models import Role
from workflows.actors import Actor
from workflows.four_eyes import decision_return
from workflows.models import WorkflowRuntime
from workflows.case_work import case_add_note
from workflows.services import workflow_send_event, workflow_start

from ..factories import MembershipFactory, ProjectFactory, UserFactory, business_context, stored_file_create
from ..factories import demo_case_start as start


def client_of(project, username, role):
    user = MembershipFactory(project=project, user=UserFactory(username=username, first_name="Vera", last_name="Viewer"), role=role).user
    client = Client()
    client.force_login(user)
    client.user = user
    return client


def download(client, runtime):
    response = client.get(f"/cases/{runtime.pk}/case-file.html")
    assert response.status_code == 200
    return response, b"".join(response.streaming_content).decode()


@pytest.fixture
def viewer_client(demo_project):
    return client_of(demo_project, "vera", Role.VIEWER)


@pytest.fixture
def decided_case(demo_project, operator_client):
    """A KYB case with a stored document rejected with a reason, a note, an approval sent back
    by a second member (four eyes) and a rejection with a reason and a comment."""
    operator = Actor(user=operator_client.user)
    checker = Actor(user=MembershipFactory(project=demo_project, user=UserFactory(username="checker"), role=Role.OPERATOR).user)
    stored = stored_file_create(demo_project, file_name="certificate.png")
    context = business_context("biz-file", "Audit Me Ltd", registrationNumber="RN-42", country="GB")
    context["documents"] = [{"id": "doc-1", "category": "registration", "type": "certificate", "version": 1,
                             "pages": [{"ballerineFileId": str(stored.pk), "fileName": "certificate.png"}]}]
    runtime = workflow_start(project=demo_project, workflow_id="till_basic_kyb_demo", context=context, actor=Actor()).runtime
    case_add_note(project=demo_project, runtime_id=runtime.pk, text="Called the <b>registry</b>", actor=operator)
    document_decide(project=demo_project, runtime_id=runtime.pk, document_id="doc-1", decision="reject",
                    reason="Blurry scan", comment="Please rescan it", actor=operator)
    workflow_send_event(project=demo_project, runtime_id=runtime.pk, name="approve", payload=None, actor=operator)
    decision_return(project=demo_project, runtime_id=runtime.pk, actor=checker, reason="Check the directors first")
    workflow_send_event(project=demo_project, runtime_id=runtime.pk, name="reject",
                        payload={"reason": "Sanctions or adverse media hit", "comment": "Listed since May"}, actor=operator)
    runtime.refresh_from_db()
    runtime.stored_file = stored
    return runtime


def section(html, section_id):
    match = re.search(rf'<section id="{section_id}">(.*?)</section>', html, re.S)
    assert match, section_id
    return match.group(1)


def test_the_case_file_is_an_attachment_named_after_the_case_with_a_strict_policy(viewer_client, demo_project):
    runtime = start(demo_project)
    response, _ = download(viewer_client, runtime)
    assert response["Content-Disposition"] == f'attachment; filename="case-{runtime.pk}.html"'
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response["Content-Security-Policy"].startswith("default-src 'none'")
    assert "script-src" not in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_case_file_is_self_contained_without_scripts_or_outside_resources(viewer_client, demo_project):
    _, html = download(viewer_client, start(demo_project))
    assert html.startswith("<!doctype html>") and html.rstrip().endswith("</html>")
    assert "<script" not in html
    assert not re.search(r'<link|src="|href="(?!#)', html)
    assert "<style>" in html and "@media print" in html


def test_the_case_file_holds_the_case_and_its_readable_entity(viewer_client, decided_case):
    _, html = download(viewer_client, decided_case)
    case = section(html, "case")
    assert "Rejected" in case and "Till Businesses Onboarding Basic Demo" in case and str(decided_case.pk) in html
    entity = section(html, "entity")
    assert re.search(r'data-key="companyName">Company Name</dt>\s*<dd[^>]*>Audit Me Ltd</dd>', entity)
    assert re.search(r'data-key="registrationNumber">Registration number</dt>\s*<dd[^>]*>RN-42</dd>', entity)


def test_the_case_file_lists_every_decision_with_its_reason_and_comment(viewer_client, decided_case):
    _, html = download(viewer_client, decided_case)
    decisions = section(html, "decisions")
    assert "Decision awaiting second approval" in decisions  # the four-eyes proposal
    assert "Decision sent back" in decisions and "Check the directors first" in decisions
    assert "Sanctions or adverse media hit" in decisions and "Listed since May" in decisions
    assert "Blurry scan" in decisions and "Please rescan it" in decisions  # the document decision


def test_the_case_file_lists_the_documents_with_their_decisions_and_files_not_their_content(viewer_client, decided_case):
    _, html = download(viewer_client, decided_case)
    documents = section(html, "documents")
    assert "registration - certificate" in documents and "rejected" in documents and "Blurry scan" in documents
    assert "op" in documents  # decided by
    stored = decided_case.stored_file
    assert f"certificate.png (image/png, {stored.size} bytes" in documents
    assert f"/files/{stored.pk}" not in html


def test_the_case_file_holds_the_notes_escaped(viewer_client, decided_case):
    _, html = download(viewer_client, decided_case)
    notes = section(html, "notes")
    assert "Called the &lt;b&gt;registry&lt;/b&gt;" in notes
    assert "<b>registry</b>" not in html


def test_the_case_file_holds_the_whole_history_not_the_pages_fifty_rows(viewer_client, demo_project, operator_actor_for_demo):
    runtime = start(demo_project)
    for n in range(70):
        case_add_note(project=demo_project, runtime_id=runtime.pk, text=f"note number {n}", actor=operator_actor_for_demo)
    _, html = download(viewer_client, runtime)
    history = section(html, "history")
    assert history.count("<tr><td") == 71  # the start and the 70 notes
    assert "note number 0</td>" in history and "note number 69</td>" in history


def test_the_case_file_holds_the_context_escaped(viewer_client, demo_project):
    runtime = start(demo_project, "biz-ctx", "</pre><script>alert(1)</script>")
    _, html = download(viewer_client, runtime)
    context = section(html, "context")
    assert "&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in context
    assert "<script" not in html


def test_the_case_file_says_who_generated_it_and_when(viewer_client, demo_project):
    _, html = download(viewer_client, start(demo_project))
    assert re.search(r"generated \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+ by Vera Viewer \(vera\)", html)


def test_downloading_the_case_file_writes_no_history_and_is_logged(viewer_client, demo_project, caplog):
    runtime = start(demo_project)
    rows, version = runtime.history.count(), runtime.version
    with caplog.at_level(logging.INFO, logger="cases.entity_views"):
        download(viewer_client, runtime)
    runtime.refresh_from_db()
    assert (runtime.history.count(), runtime.version) == (rows, version)
    assert any(f"Case file of {runtime.pk} downloaded by vera" in record.getMessage() for record in caplog.records)


def test_another_projects_case_file_is_not_found(operator_client, demo_project):
    other = ProjectFactory(slug="elsewhere")
    from workflows.definition_files import definition_file_load, demo_definition_paths

    for path in demo_definition_paths():
        definition_file_load(project=other, path=path)
    hidden = start(other, "secret", "Hidden Co")
    response = operator_client.get(f"/cases/{hidden.pk}/case-file.html")
    assert response.status_code == 404
    assert b"Hidden Co" not in response.content


def test_the_case_file_needs_a_login(demo_project):
    response = Client().get(f"/cases/{start(demo_project).pk}/case-file.html")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_case_file_refuses_a_post(operator_client, demo_project):
    assert operator_client.post(f"/cases/{start(demo_project).pk}/case-file.html").status_code == 405


def test_the_case_file_query_count_does_not_grow_with_the_history(viewer_client, demo_project, operator_actor_for_demo):
    short, long = start(demo_project, "biz-short"), start(demo_project, "biz-long")
    for n in range(3):
        case_add_note(project=demo_project, runtime_id=short.pk, text=f"n{n}", actor=operator_actor_for_demo)
    for n in range(1200):  # more than two chunks of the server-side cursor
        case_add_note(project=demo_project, runtime_id=long.pk, text=f"n{n}", actor=operator_actor_for_demo)
    download(viewer_client, short)
    with CaptureQueriesContext(connection) as few:
        download(viewer_client, short)
    with CaptureQueriesContext(connection) as many:
        _, html = download(viewer_client, long)
    assert section(html, "history").count("<tr><td") == 1201
    assert len(many) == len(few)


def test_the_case_page_links_to_the_case_file(viewer_client, demo_project):
    runtime = start(demo_project)
    html = viewer_client.get(f"/cases/{runtime.pk}/").content.decode()
    assert f'href="/cases/{runtime.pk}/case-file.html" download>Download case file</a>' in html


@pytest.fixture
def operator_actor_for_demo(demo_project):
    return Actor(user=MembershipFactory(project=demo_project, user=UserFactory(username="noter"), role=Role.OPERATOR).user)



def test_a_case_file_of_thousands_of_history_rows_is_streamed_in_bounded_memory(viewer_client, demo_project):
    import tracemalloc

    from workflows.models import HistoryEvent, HistoryKind

    runtime = start(demo_project, "biz-big")
    HistoryEvent.objects.bulk_create(
        [HistoryEvent(project=demo_project, runtime=runtime, kind=HistoryKind.NOTE, payload={"text": f"note {n} " + "x" * 200}, actor_label="noter")
         for n in range(5000)],
        batch_size=1000,
    )
    response = viewer_client.get(f"/cases/{runtime.pk}/case-file.html")
    tracemalloc.start()
    try:
        written = sum(len(part) for part in response.streaming_content)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert written > 3_000_000  # the notes twice: in their section and in the history
    assert peak < 2 * 2**20  # a file built whole would hold all of it at once
