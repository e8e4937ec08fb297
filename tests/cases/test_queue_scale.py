"""The queue at scale: generated data, capped counts, deep pages, the date filter, history."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test.utils import CaptureQueriesContext
from django.db import connection
from django.utils import timezone

from cases import pagination, selectors
from projects.models import Role
from workflows.models import HistoryEvent, RuntimeStatus, WorkflowRuntime

from ..factories import MembershipFactory, UserFactory

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


def test_a_deep_page_reads_its_ids_first_with_one_query_more_and_the_same_rows(operator_client, generated, monkeypatch):
    ordered = list(generated.order_by("-created_at", "-pk").values_list("pk", flat=True))
    assert len(ordered) > 25
    with CaptureQueriesContext(connection) as shallow:
        operator_client.get(f"{QUEUE_URL}?page=2")
    monkeypatch.setattr(pagination, "IDS_FIRST_OFFSET", 5)
    with CaptureQueriesContext(connection) as deep:
        html = operator_client.get(f"{QUEUE_URL}?page=2").content.decode()
    assert len(deep) == len(shallow) + 1
    assert all(f"/cases/{pk}/" in html for pk in ordered[25:50])


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
    assert len(lines) > 30
