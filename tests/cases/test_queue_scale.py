"""The queue at scale: generated data, capped counts, deep pages, the date filter, history."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test.utils import CaptureQueriesContext
from django.db import connection
from django.utils import timezone

from cases import pagination, selectors, views
from projects.models import Role
from workflows.actors import Actor
from workflows.models import HistoryEvent, RuntimeStatus, WorkflowRuntime
from workflows.case_work import case_assign

from ..factories import MembershipFactory, UserFactory, demo_case_start as start

QUEUE_URL = "/queues/businesses-onboarding/"


@pytest.fixture
def generated(demo_project):
    call_command("generate_cases", 600, seed=3, stdout=StringIO())
    # The cases of the queue below (the demo has a second business definition, in its own queue).
    return WorkflowRuntime.objects.filter(
        project=demo_project, entity_kind="business", definition__key="till_basic_kyb_demo", status=RuntimeStatus.ACTIVE
    )


def test_generated_cases_have_their_entity_kind_a_history_row_and_the_status_mix(demo_project, generated):
    runtimes = WorkflowRuntime.objects.filter(project=demo_project).select_related("entity")
    assert runtimes.count() == 600
    assert all(r.entity_kind == r.entity.kind and r.entity.display_name for r in runtimes)
    assert HistoryEvent.objects.filter(project=demo_project).count() == 600
    assert {r.status for r in runtimes} >= {RuntimeStatus.ACTIVE, RuntimeStatus.COMPLETED}


def test_a_count_past_the_cap_is_shown_as_cap_plus_in_the_page_and_the_menu(operator_client, generated, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    monkeypatch.setattr(selectors, "COUNT_CAP", 3)
    html = operator_client.get(QUEUE_URL).content.decode()
    assert "3+ cases" in html
    assert ">3+</span>" in html


def case_ids(html: str) -> list[str]:
    return re.findall(r'<td class="name"><a href="/cases/([^/]+)/(?:\?from=[^"]*)?">', html)


def test_a_deep_page_reads_its_ids_first_with_one_query_more_and_the_same_rows(operator_client, generated, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 5)
    ordered = [str(pk) for pk in generated.order_by("-created_at", "-pk").values_list("pk", flat=True)]
    assert len(ordered) > 20  # page 2 is nearer the start: read forwards
    with CaptureQueriesContext(connection) as shallow:
        operator_client.get(f"{QUEUE_URL}?page=2")
    monkeypatch.setattr(pagination, "IDS_FIRST_OFFSET", 5)
    with CaptureQueriesContext(connection) as deep:
        html = operator_client.get(f"{QUEUE_URL}?page=2").content.decode()
    assert len(deep) == len(shallow) + 1
    assert case_ids(html) == ordered[5:10]


def test_the_last_page_is_read_from_the_end_with_no_query_more_than_the_first(operator_client, generated, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 5)
    monkeypatch.setattr(pagination, "IDS_FIRST_OFFSET", 5)
    ordered = [str(pk) for pk in generated.order_by("-created_at", "-pk").values_list("pk", flat=True)]
    last = -(-len(ordered) // 5)
    with CaptureQueriesContext(connection) as first:
        operator_client.get(QUEUE_URL)
    with CaptureQueriesContext(connection) as end:
        html = operator_client.get(f"{QUEUE_URL}?page=999999").content.decode()
    assert len(end) == len(first)
    assert f"Page {last} of {last}" in html
    assert case_ids(html) == ordered[(last - 1) * 5 :]


SORTS = {
    "-created": ("-created_at", "-pk"),
    "name": ("entity_name", "pk"),
    "-name": ("-entity_name", "-pk"),
    "correlation_id": ("entity_correlation_id", "pk"),
    "assignee": ("assignee_username", "pk"),
    "-assignee": ("-assignee_username", "-pk"),
    "-updated": ("-updated_at", "-pk"),
}


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("status", ["", "any"])
def test_every_page_of_a_sort_shows_its_rows_in_order_whether_read_forwards_or_from_the_end(operator_client, generated, monkeypatch, sort, status):
    monkeypatch.setattr(views, "PAGE_SIZE", 5)
    monkeypatch.setattr(pagination, "IDS_FIRST_OFFSET", 5)
    cases = generated if not status else WorkflowRuntime.objects.filter(project=generated.first().project, entity_kind="business", definition__key="till_basic_kyb_demo")
    # Two assignees and the unassigned, so that the assignee order has all three.
    for username, runtime in zip(("zed", "amy"), generated.order_by("pk")[:2]):
        case_assign(project=runtime.project, runtime_id=runtime.pk, assignee=MembershipFactory(project=runtime.project, user=UserFactory(username=username)).user, actor=Actor())
    expected = [str(pk) for pk in cases.order_by(*SORTS[sort]).values_list("pk", flat=True)]
    seen = []
    for number in range(1, -(-len(expected) // 5) + 1):
        seen += case_ids(operator_client.get(QUEUE_URL, {"sort": sort, "page": number, "status": status}).content.decode())
    assert seen == expected


def test_search_matches_the_cases_copies_of_name_id_and_email_in_any_case(operator_client, demo_project):
    named = start(demo_project, "acme-77", "Northwind Traders", additionalInfo={"mainRepresentative": {"email": "Jo.Smith@acme.example"}})
    other = start(demo_project, "beta-1", "Beta Foods")
    for term in ("northwind", "ACME-77", "jo.smith@"):
        html = operator_client.get(QUEUE_URL, {"q": term}).content.decode()
        assert case_ids(html) == [str(named.pk)], term
    assert case_ids(operator_client.get(QUEUE_URL, {"q": "beta"}).content.decode()) == [str(other.pk)]


def test_the_created_range_includes_both_whole_days_in_the_current_time_zone(operator_client, generated):
    case = generated.first()
    day = timezone.localdate() - timedelta(days=3)
    late = timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.max.time()))
    WorkflowRuntime.objects.filter(pk=case.pk).update(created_at=late)
    html = operator_client.get(f"{QUEUE_URL}?created_after={day}&created_before={day}").content.decode()
    assert f"/cases/{case.pk}/" in html and "1 case" in html
    html = operator_client.get(f"{QUEUE_URL}?created_after={day + timedelta(days=1)}").content.decode()
    assert f"/cases/{case.pk}/" not in html


def test_the_case_page_shows_the_newest_history_rows_and_the_full_history_on_request(operator_client, generated, monkeypatch):
    case = generated.first()
    HistoryEvent.objects.create(project=case.project, runtime=case, kind="case.note", payload={"text": "newest note"}, actor_label="x")
    monkeypatch.setattr(selectors, "CASE_HISTORY_ROWS", 1)
    html = operator_client.get(f"/cases/{case.pk}/").content.decode()
    assert "newest note" in html and 'id="history-older"' in html
    html = operator_client.get(f"/cases/{case.pk}/?history=all").content.decode()
    assert 'id="history-older"' not in html and html.count("<li class=") >= 2


def test_measure_queues_times_every_scenario(demo_project, generated):
    MembershipFactory(project=demo_project, user=UserFactory(username="operator"), role=Role.OPERATOR)
    out = StringIO()
    call_command("measure_queues", runs=1, warmup=0, stdout=out)
    lines = out.getvalue().splitlines()
    assert any(line.startswith("queue first page Businesses") and " 200 " in line for line in lines)
    assert any(line.startswith("API cursor") for line in lines)
    # On a small database page 2000 does not exist (404); the last page, by number and by
    # cursor, always does.
    reached = [line for line in lines if line.startswith(("API deepest page by number", "API last page by cursor"))]
    assert len(reached) == 2 and all(" 200 " in line for line in reached), reached
    assert len(lines) > 30
