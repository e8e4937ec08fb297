"""Deciding a case on its page: outcome, reasons, operator events, assignment discipline and
four eyes (SPEC section 5)."""

import pytest
from django.test import Client

from projects.models import Role
from workflows.actors import Actor
from workflows.models import HistoryKind, WorkflowRuntime
from workflows.case_work import case_add_note, case_assign
from workflows.services import workflow_send_event

from ..factories import MembershipFactory, UserFactory
from ..factories import demo_case_start as start
from .helpers import case_post

QUEUE_URL = "/queues/businesses-onboarding/"


def client_for(project, username, role=Role.OPERATOR):
    user = MembershipFactory(project=project, user=UserFactory(username=username), role=role).user
    client = Client()
    client.force_login(user)
    client.user = user
    return client


def page(client, runtime):
    return client.get(f"/cases/{runtime.pk}/").content.decode()


def test_a_rejected_case_shows_a_red_rejected_badge_with_who_decided(operator_client, demo_project):
    runtime = start(demo_project)
    case_post(operator_client, runtime, "event", {"name": "reject", "reason": "Business type not accepted"})
    html = page(operator_client, runtime)
    assert '<span class="badge fs-6 text-bg-danger" id="case-outcome">Rejected</span>' in html
    assert "decided by op on" in html


def test_the_queue_shows_the_outcome_as_the_badge(operator_client, demo_project):
    runtime = start(demo_project, "e1", "Refused Co")
    workflow_send_event(project=demo_project, runtime_id=runtime.pk, name="reject", actor=Actor())
    html = operator_client.get(QUEUE_URL, {"status": "any"}).content.decode()
    assert '<span class="badge text-bg-danger case-outcome">Rejected</span>' in html


def test_reject_asks_for_a_reason_from_the_definitions_list(operator_client, demo_project):
    runtime = start(demo_project)
    html = case_post(operator_client, runtime, "event", {"name": "reject"}).content.decode()
    assert '<option value="Sanctions or adverse media hit">' in html
    runtime.refresh_from_db()
    assert runtime.state == "manual_review"


def test_the_reason_and_comment_show_plainly_in_the_history(operator_client, demo_project):
    runtime = start(demo_project)
    case_post(operator_client, runtime, "event", {"name": "revision", "decided": "1", "reason_other": "Logo only", "comment": "Ask for the full page"})
    html = page(operator_client, runtime)
    assert '<div class="mt-1 text-break decision-reason">Reason: Logo only</div>' in html
    assert "Comment: Ask for the full page" in html
    assert "<summary class=\"small\">Payload</summary>" not in html


def test_a_reason_page_sent_without_a_reason_asks_again(operator_client, demo_project):
    runtime = start(demo_project)
    html = case_post(operator_client, runtime, "event", {"name": "reject", "decided": "1"}).content.decode()
    assert "A reason is required for this decision." in html
    runtime.refresh_from_db()
    assert runtime.state == "manual_review"


def test_system_events_are_not_buttons(operator_client, demo_project):
    runtime = start(demo_project)
    workflow_send_event(project=demo_project, runtime_id=runtime.pk, name="revision", actor=Actor())
    html = page(operator_client, runtime)
    assert 'value="RESUBMITTED"' not in html
    response = case_post(operator_client, runtime, "event", {"name": "RESUBMITTED"}, follow=True)
    assert "is not an operator&#x27;s event" in response.content.decode()


def test_a_stale_form_is_refused_with_a_clear_message_and_changes_nothing(operator_client, demo_project):
    runtime = start(demo_project)
    shown = WorkflowRuntime.objects.get(pk=runtime.pk).version
    case_add_note(project=demo_project, runtime_id=runtime.pk, text="Meanwhile", actor=Actor())
    response = operator_client.post(f"/cases/{runtime.pk}/assign/", {"assignee": "me", "version": shown}, follow=True)
    assert "This case changed after your page was loaded, so nothing was done." in response.content.decode()
    runtime.refresh_from_db()
    assert runtime.assignee is None


def test_a_form_without_the_case_version_changes_nothing(operator_client, demo_project):
    runtime = start(demo_project)
    response = operator_client.post(f"/cases/{runtime.pk}/assign/", {"assignee": "me"}, follow=True)
    assert "did not say which version of the case it showed" in response.content.decode()
    runtime.refresh_from_db()
    assert runtime.assignee is None


def test_a_non_assignee_sees_no_decisions_and_is_refused_on_the_server(operator_client, demo_project):
    colleague = client_for(demo_project, "colleague").user
    runtime = start(demo_project)
    case_assign(project=demo_project, runtime_id=runtime.pk, assignee=colleague, actor=Actor())
    assert "only they or a project admin decide this case" in page(operator_client, runtime)
    response = case_post(operator_client, runtime, "event", {"name": "reject", "reason": "Fraud"}, follow=True)
    assert "This case is assigned to colleague" in response.content.decode()
    runtime.refresh_from_db()
    assert runtime.state == "manual_review"


def test_taking_over_a_colleagues_case_is_confirmed_first(operator_client, demo_project):
    colleague = client_for(demo_project, "colleague").user
    runtime = start(demo_project)
    case_assign(project=demo_project, runtime_id=runtime.pk, assignee=colleague, actor=Actor())
    html = case_post(operator_client, runtime, "assign", {"assignee": "me"}).content.decode()
    assert "Take over the case?" in html
    runtime.refresh_from_db()
    assert runtime.assignee == colleague
    case_post(operator_client, runtime, "assign", {"assignee": "me", "confirmed": "1"})
    runtime.refresh_from_db()
    assert runtime.assignee == operator_client.user


def test_the_reassign_select_starts_empty_and_an_empty_choice_changes_nothing(operator_client, demo_project):
    client_for(demo_project, "colleague")
    runtime = start(demo_project)
    assert '<option value="" selected>Reassign to…</option>' in page(operator_client, runtime)
    response = case_post(operator_client, runtime, "assign", {"assignee": "", "reassign": "1"}, follow=True)
    assert "Choose the member to reassign the case to." in response.content.decode()
    assert runtime.history.count() == 1


def test_a_four_eyes_approval_is_confirmed_by_a_second_member_without_javascript(operator_client, demo_project):
    checker = client_for(demo_project, "checker")
    runtime = start(demo_project)
    response = case_post(operator_client, runtime, "event", {"name": "approve"}, follow=True)
    assert "Sent for a second approval" in response.content.decode()
    assert "Pending second approval" in page(operator_client, runtime)
    assert "Confirm Approve" in page(checker, runtime)
    case_post(checker, runtime, "decision/confirm")
    runtime.refresh_from_db()
    assert (runtime.state, runtime.pending_event) == ("approved", "")


def test_the_maker_cannot_confirm_their_own_decision(operator_client, demo_project):
    runtime = start(demo_project)
    case_post(operator_client, runtime, "event", {"name": "approve"})
    assert "Confirm Approve" not in page(operator_client, runtime)
    response = case_post(operator_client, runtime, "decision/confirm", follow=True)
    assert "You made this decision" in response.content.decode()
    runtime.refresh_from_db()
    assert (runtime.state, runtime.pending_event) == ("manual_review", "approve")


def test_a_viewer_cannot_confirm_or_send_back(operator_client, demo_project):
    viewer = client_for(demo_project, "watcher", Role.VIEWER)
    runtime = start(demo_project)
    case_post(operator_client, runtime, "event", {"name": "approve"})
    assert case_post(viewer, runtime, "decision/confirm").status_code == 403
    assert case_post(viewer, runtime, "decision/return", {"reason": "no"}).status_code == 403
    runtime.refresh_from_db()
    assert runtime.pending_event == "approve"


def test_a_checker_sends_a_decision_back_with_a_reason(operator_client, demo_project):
    checker = client_for(demo_project, "checker")
    runtime = start(demo_project)
    case_post(operator_client, runtime, "event", {"name": "approve"})
    case_post(checker, runtime, "decision/return", {"reason": "Check the directors first"})
    runtime.refresh_from_db()
    assert (runtime.state, runtime.pending_event) == ("manual_review", "")
    assert "Reason: Check the directors first" in page(operator_client, runtime)
    assert runtime.history.filter(kind=HistoryKind.DECISION_RETURNED).count() == 1


# Measured before outcomes, reasons and four eyes (issue 11): 10; the Automation panel's runs: 1; the child cases: 1;
# the saved views of the menu (all of them): 1; the queue view to go back to and walk (the project's queues with
# their workflows, in place of the case's queue: +1) and its previous and next cases (both in one query): 2; the
# queues read once for the menu and the navigation (they were read twice): -2.
CASE_PAGE_QUERIES = 13
QUEUE_PAGE_QUERIES = 13


def test_the_case_page_query_count_is_unchanged_by_outcome_reasons_and_four_eyes(operator_client, demo_project, django_assert_num_queries):
    runtime = start(demo_project)
    case_post(operator_client, runtime, "event", {"name": "approve"})  # pending, with an assignee
    case_add_note(project=demo_project, runtime_id=runtime.pk, text="n", actor=Actor())
    with django_assert_num_queries(CASE_PAGE_QUERIES):
        operator_client.get(f"/cases/{runtime.pk}/")
    rejected = start(demo_project, "e2")
    case_post(operator_client, rejected, "event", {"name": "reject", "reason": "Fraud", "comment": "c"})
    with django_assert_num_queries(CASE_PAGE_QUERIES):
        operator_client.get(f"/cases/{rejected.pk}/")


def test_the_queue_query_count_is_unchanged_by_outcomes_and_labels(operator_client, demo_project, django_assert_num_queries):
    pending = start(demo_project, "e1")
    case_post(operator_client, pending, "event", {"name": "approve"})
    workflow_send_event(project=demo_project, runtime_id=start(demo_project, "e2").pk, name="reject", actor=Actor())
    start(demo_project, "e3")
    operator_client.get(QUEUE_URL)
    with django_assert_num_queries(QUEUE_PAGE_QUERIES):
        operator_client.get(QUEUE_URL, {"status": "any"})
