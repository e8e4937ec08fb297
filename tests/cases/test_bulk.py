"""Bulk assignment from a queue (issue 16 item 5): each case checked on the server with the
single assignment's rules, one history row per changed case, locks in primary-key order in
chunks, refusals listed, the selection scoped to the queue and project."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import bulk, selectors
from cases.bulk import cases_bulk_assign
from cases.models import Queue
from projects.models import Role
from workflows.actors import Actor
from workflows.models import HistoryEvent, HistoryKind, RuntimeStatus, WorkflowRuntime
from workflows.case_work import case_assign
from workflows.services import workflow_send_event

from ..factories import demo_case_start as start
from .helpers import client_for, member

pytestmark = pytest.mark.django_db

QUEUE = "businesses-onboarding"
BULK_URL = f"/queues/{QUEUE}/bulk/"


def shown(*runtimes):
    """The rows' checkbox values as the page shows them: id and version."""
    return [f"{r.pk}:{WorkflowRuntime.objects.get(pk=r.pk).version}" for r in runtimes]


def assignees(*runtimes):
    return [WorkflowRuntime.objects.get(pk=r.pk).assignee_username for r in runtimes]


def assignment_rows(runtime):
    return list(HistoryEvent.objects.filter(runtime=runtime, kind__in=[HistoryKind.ASSIGNED, HistoryKind.UNASSIGNED]))


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())).strip()


@pytest.fixture
def cases(demo_project):
    return [start(demo_project, f"e-{n}", f"Company {n}") for n in range(4)]


def test_assign_to_me_assigns_every_ticked_case_with_one_history_row_each(operator_client, cases):
    response = operator_client.post(BULK_URL, {"action": "assign_me", "cases": shown(*cases[:3])})
    assert response.status_code == 200
    assert "3 assigned to op." in text(response)
    assert assignees(*cases) == ["op", "op", "op", None]
    for case in cases[:3]:
        [row] = assignment_rows(case)
        assert (row.kind, row.payload, row.actor_user.username) == (HistoryKind.ASSIGNED, {"from": None, "to": "op"}, "op")
    assert assignment_rows(cases[3]) == []


def test_assign_to_a_member_assigns_the_cases_to_that_operator(operator_client, demo_project, cases):
    member(demo_project, "bea")
    response = operator_client.post(BULK_URL, {"action": "assign", "assignee": "bea", "cases": shown(*cases[:2])})
    assert "2 assigned to bea." in text(response)
    assert assignees(*cases[:2]) == ["bea", "bea"]


def test_assigning_to_a_viewer_is_refused_and_changes_nothing(operator_client, demo_project, cases):
    member(demo_project, "vic", Role.VIEWER)
    response = operator_client.post(BULK_URL, {"action": "assign", "assignee": "vic", "cases": shown(*cases[:2])}, follow=True)
    assert "cases go only to operators and admins of this project" in text(response)
    assert assignees(*cases[:2]) == [None, None]


def test_a_case_already_assigned_to_the_target_is_counted_without_a_history_row(operator_client, demo_project, cases):
    case_assign(project=demo_project, runtime_id=cases[0].pk, assignee=operator_client.user, actor=Actor(user=operator_client.user))
    response = operator_client.post(BULK_URL, {"action": "assign_me", "cases": shown(*cases[:2])})
    assert "1 assigned to op; 1 already was." in text(response)
    assert len(assignment_rows(cases[0])) == 1


def test_an_operator_cannot_take_over_someone_elses_case_in_bulk(operator_client, demo_project, cases):
    bea = member(demo_project, "bea")
    case_assign(project=demo_project, runtime_id=cases[0].pk, assignee=bea, actor=Actor(user=bea))
    response = operator_client.post(BULK_URL, {"action": "assign_me", "cases": shown(*cases[:2]), "take_over": "1"})
    page = text(response)
    assert "1 assigned to op; 1 could not be changed:" in page
    assert "Company 0" in page and "It is assigned to bea." in page
    assert assignees(*cases[:2]) == ["bea", "op"]
    assert len(assignment_rows(cases[0])) == 1


def test_an_operator_unassigns_only_their_own_cases(operator_client, demo_project, cases):
    bea = member(demo_project, "bea")
    case_assign(project=demo_project, runtime_id=cases[0].pk, assignee=bea, actor=Actor(user=bea))
    me = operator_client.user
    case_assign(project=demo_project, runtime_id=cases[1].pk, assignee=me, actor=Actor(user=me))
    response = operator_client.post(BULK_URL, {"action": "unassign", "cases": shown(*cases[:2])})
    assert "1 unassigned; 1 could not be changed:" in text(response)
    assert assignees(*cases[:2]) == ["bea", None]


def test_an_admin_takes_over_other_peoples_cases_only_when_the_form_says_so(demo_project, cases):
    admin = member(demo_project, "ada", Role.ADMIN)
    bea = member(demo_project, "bea")
    case_assign(project=demo_project, runtime_id=cases[0].pk, assignee=bea, actor=Actor(user=bea))
    refused = client_for(admin).post(BULK_URL, {"action": "assign_me", "cases": shown(cases[0])})
    assert "Tick “Take over cases assigned to others” to reassign it." in text(refused)
    assert assignees(cases[0]) == ["bea"]
    done = client_for(admin).post(BULK_URL, {"action": "assign_me", "cases": shown(cases[0]), "take_over": "1"})
    assert "1 assigned to ada." in text(done)
    assert assignment_rows(cases[0])[-1].payload == {"from": "bea", "to": "ada"}


def test_a_closed_case_is_refused_as_closed(operator_client, demo_project, cases):
    workflow_send_event(project=demo_project, runtime_id=cases[0].pk, name="approve", actor=Actor())
    assert WorkflowRuntime.objects.get(pk=cases[0].pk).status == RuntimeStatus.COMPLETED
    response = operator_client.post(BULK_URL, {"action": "assign_me", "cases": shown(*cases[:2])})
    assert "It is closed (completed)." in text(response)
    assert assignees(*cases[:2]) == [None, "op"]


def test_a_case_changed_after_the_page_was_shown_is_refused(operator_client, demo_project, cases):
    values = shown(*cases[:2])
    bea = member(demo_project, "bea")
    case_assign(project=demo_project, runtime_id=cases[0].pk, assignee=bea, actor=Actor(user=bea))
    case_assign(project=demo_project, runtime_id=cases[0].pk, assignee=None, actor=Actor(user=bea))
    response = operator_client.post(BULK_URL, {"action": "assign_me", "cases": values})
    assert "It changed after the list was shown" in text(response)
    assert assignees(*cases[:2]) == [None, "op"]


def test_a_viewer_is_refused_with_403_and_nothing_changes(demo_project, cases):
    viewer = member(demo_project, "vic", Role.VIEWER)
    response = client_for(viewer).post(BULK_URL, {"action": "assign_me", "cases": shown(*cases)})
    assert response.status_code == 403
    assert assignees(*cases) == [None] * 4


def test_a_viewer_sees_no_checkboxes_and_no_bulk_bar(demo_project, cases):
    viewer = member(demo_project, "vic", Role.VIEWER)
    html = client_for(viewer).get(f"/queues/{QUEUE}/").content.decode()
    assert 'id="bulk-form"' not in html and 'class="form-check-input bulk-case"' not in html


def test_a_get_changes_nothing(operator_client, cases):
    assert operator_client.get(BULK_URL).status_code == 405


def test_another_projects_cases_sent_as_ids_are_left_alone_and_counted(operator_client, demo_project, other_project, cases):
    from workflows.definition_files import definition_file_load, demo_definition_paths

    for path in demo_definition_paths():
        definition_file_load(project=other_project, path=path)
    theirs = start(other_project, "theirs", "Their Co")
    response = operator_client.post(BULK_URL, {"action": "assign_me", "cases": shown(theirs, cases[0])})
    page = text(response)
    assert "1 assigned to op." in page
    assert "1 of the cases sent is not in this queue and was left alone." in page
    assert "Their Co" not in page
    assert assignees(theirs) == [None] and assignment_rows(theirs) == []


def test_a_case_of_another_queue_sent_as_an_id_is_left_alone(operator_client, demo_project, cases):
    from workflows.services import workflow_start
    from ..factories import individual_context

    person = workflow_start(
        project=demo_project, workflow_id="individual_kyc_demo", context=individual_context("p-1"), actor=Actor()
    ).runtime
    response = operator_client.post(BULK_URL, {"action": "assign_me", "cases": shown(person)})
    assert "1 of the cases sent is not in this queue" in text(response)
    assert assignees(person) == [None]


def test_all_matching_runs_the_pages_filter_again_on_the_server(operator_client, demo_project):
    wanted = [start(demo_project, f"n-{n}", f"Northwind {n}") for n in range(3)]
    other = start(demo_project, "s-1", "Southwind")
    response = operator_client.post(BULK_URL, {"action": "assign_me", "scope": "all", "query": "q=Northwind"})
    assert "3 assigned to op." in text(response)
    assert assignees(*wanted, other) == ["op", "op", "op", None]


def test_all_on_this_page_takes_the_pages_cases(operator_client, cases):
    response = operator_client.post(BULK_URL, {"action": "assign_me", "scope": "page", "page_cases": shown(*cases[1:3])})
    assert "2 assigned to op." in text(response)
    assert assignees(*cases) == [None, "op", "op", None]


def test_all_matching_beyond_the_cap_is_refused_and_changes_nothing(operator_client, cases, monkeypatch):
    monkeypatch.setattr(selectors, "BULK_CAP", 3)
    response = operator_client.post(BULK_URL, {"action": "assign_me", "scope": "all", "query": ""}, follow=True)
    assert "This view matches more than 3 cases; a bulk action takes at most 3." in text(response)
    assert assignees(*cases) == [None] * 4
    assert not HistoryEvent.objects.filter(kind=HistoryKind.ASSIGNED).exists()


def test_more_ticked_cases_than_the_cap_are_refused(operator_client, cases, monkeypatch):
    monkeypatch.setattr(selectors, "BULK_CAP", 3)
    response = operator_client.post(BULK_URL, {"action": "assign_me", "cases": shown(*cases)}, follow=True)
    assert "At most 3 cases at once. Nothing was changed." in text(response)
    assert assignees(*cases) == [None] * 4


def test_the_page_states_the_cap(operator_client, cases):
    assert "At most 1,000 cases at once." in text(operator_client.get(f"/queues/{QUEUE}/"))


def test_nothing_selected_says_so(operator_client, cases):
    response = operator_client.post(BULK_URL, {"action": "assign_me"}, follow=True)
    assert "Select at least one case" in text(response)


def test_an_unknown_action_is_refused_and_changes_nothing(operator_client, cases):
    response = operator_client.post(BULK_URL, {"action": "delete", "cases": shown(cases[0])}, follow=True)
    assert "Choose assign to me, assign to a member or unassign. Nothing was changed." in text(response)
    assert assignees(cases[0]) == [None]


def test_a_case_that_left_the_queue_meanwhile_is_refused(demo_project, cases):
    operator = member(demo_project, "olga")
    queue = Queue.objects.get(project=demo_project, slug=QUEUE)
    queue.states = [cases[0].state]
    queue.save()
    WorkflowRuntime.objects.filter(pk=cases[1].pk).update(state="elsewhere")
    result = cases_bulk_assign(
        project=demo_project, queue=queue, selection={c.pk: None for c in cases[:2]}, action="assign_me", actor=Actor(user=operator)
    )
    assert [r.reason for r in result.refused] == [f"It left the queue {queue.name} meanwhile."]
    assert result.changed == [cases[0].pk]


def test_cases_are_locked_in_primary_key_order_in_chunks(demo_project, cases, monkeypatch):
    operator = member(demo_project, "olga")
    calls = []
    real = bulk.cases_lock

    def spy(*, project, runtime_ids, **kwargs):
        calls.append(list(runtime_ids))
        return real(project=project, runtime_ids=runtime_ids, **kwargs)

    monkeypatch.setattr(bulk, "cases_lock", spy)
    queue = Queue.objects.get(project=demo_project, slug=QUEUE)
    result = cases_bulk_assign(
        project=demo_project, queue=queue, selection={c.pk: None for c in cases}, action="assign_me", actor=Actor(user=operator), chunk=3
    )
    ordered = sorted((c.pk for c in cases), key=str)
    assert calls == [ordered[:3], ordered[3:]]
    assert sorted(result.changed, key=str) == ordered


def test_each_chunk_costs_the_same_queries_whatever_the_selection(demo_project, monkeypatch):
    operator = member(demo_project, "olga")
    queue = Queue.objects.get(project=demo_project, slug=QUEUE)
    many = [start(demo_project, f"q-{n}", f"Query {n}") for n in range(9)]

    def queries(runtimes):
        queue_fresh = Queue.objects.get(pk=queue.pk)
        with CaptureQueriesContext(connection) as captured:
            result = cases_bulk_assign(
                project=demo_project, queue=queue_fresh, selection={c.pk: None for c in runtimes},
                action="assign_me", actor=Actor(user=operator), chunk=3,
            )
        assert len(result.changed) == len(runtimes)
        return len(captured)

    one_chunk, two_chunks, three_chunks = queries(many[:3]), queries(many[3:9]), None
    WorkflowRuntime.objects.filter(pk__in=[c.pk for c in many]).update(assignee=None, assignee_username=None)
    three_chunks = queries(many)
    per_chunk = two_chunks - one_chunk
    assert three_chunks - two_chunks == per_chunk
    # Per chunk: the lock's one SELECT of the chunk, per case its lock and its UPDATE, the
    # chunk's history rows in one INSERT; a savepoint around the chunk in tests (the test's
    # own transaction).
    assert per_chunk == 1 + 2 * 3 + 1 + 2


def test_the_queue_page_queries_do_not_grow_with_the_rows_and_their_checkboxes(operator_client, demo_project):
    start(demo_project, "one", "One Ltd")
    with CaptureQueriesContext(connection) as one:
        operator_client.get(f"/queues/{QUEUE}/")
    for n in range(20):
        start(demo_project, f"more-{n}", f"More {n}")
    with CaptureQueriesContext(connection) as many:
        html = operator_client.get(f"/queues/{QUEUE}/").content.decode()
    assert html.count('name="page_cases"') == 21
    assert len(many) == len(one)
