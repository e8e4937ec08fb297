"""The queue's CSV export: the filtered list as the page shows it, streamed, scoped to the
project, safe to open in a spreadsheet."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ..factories import demo_case_start

pytestmark = pytest.mark.django_db

URL = "/queues/businesses-onboarding/export.csv"


def rows_of(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_the_export_has_the_queues_cases_with_the_pages_filters(operator_client, demo_project):
    wanted = demo_case_start(demo_project, "e-1", "Northwind Ltd")
    demo_case_start(demo_project, "e-2", "Southwind Ltd")
    response = operator_client.get(URL, {"q": "Northwind"})
    assert response["Content-Type"].startswith("text/csv")
    assert 'attachment; filename="businesses-onboarding-cases.csv"' == response["Content-Disposition"]
    header, *rows = rows_of(response)
    assert header[:3] == ["case id", "name", "entity id"]
    assert [(row[0], row[1], row[2]) for row in rows] == [(str(wanted.pk), "Northwind Ltd", "e-1")]


def test_the_export_has_the_registration_number_and_the_due_time_the_queue_shows(operator_client, demo_project):
    from datetime import datetime, timezone

    from workflows.models import WorkflowRuntime

    case = demo_case_start(demo_project, "e-1", "Northwind Ltd", registrationNumber="HRB 20431")
    due = datetime(2026, 12, 3, 9, 30, tzinfo=timezone.utc)
    WorkflowRuntime.objects.filter(pk=case.pk).update(due_at=due)
    header, row = rows_of(operator_client.get(URL))
    exported = dict(zip(header, row))
    assert exported["registration number"] == "HRB 20431"
    assert exported["due at"] == due.isoformat()
    assert exported["resolved at"] == ""


def test_another_projects_cases_are_not_exported(operator_client, demo_project, other_project):
    from workflows.definition_files import definition_file_load, demo_definition_paths

    for path in demo_definition_paths():
        definition_file_load(project=other_project, path=path)
    demo_case_start(other_project, "theirs", "Their Co")
    mine = demo_case_start(demo_project, "mine", "My Co")
    _, *rows = rows_of(operator_client.get(URL))
    assert [row[0] for row in rows] == [str(mine.pk)]


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_quoted(operator_client, demo_project):
    demo_case_start(demo_project, "e-3", "=HYPERLINK(\"http://evil.example\")")
    _, row = rows_of(operator_client.get(URL))
    assert row[1].startswith("'=")


def test_the_export_queries_do_not_grow_with_the_cases(operator_client, demo_project):
    demo_case_start(demo_project, "few-1", "Few Ltd")
    with CaptureQueriesContext(connection) as few:
        rows_of(operator_client.get(URL))
    for number in range(30):
        demo_case_start(demo_project, f"many-{number}", f"Many {number} Ltd")
    with CaptureQueriesContext(connection) as many:
        assert len(rows_of(operator_client.get(URL))) == 32
    assert len(many) == len(few)


def test_the_export_needs_a_login(client, demo_project):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]
