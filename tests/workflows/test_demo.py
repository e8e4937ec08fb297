"""The demo's cases (`load_demo`, what `make run` loads once): a few dozen cases worked over the
last days by the demo operators, the integration and the worker, through the real services."""

import io
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from automation.models import PluginRun, PluginRunStatus
from documents.models import StoredFile
from projects.models import ApiKey, Membership, Project, Role
from workflows.demo import cases as demo_cases
from workflows.demo.play import _Player
from workflows.models import HistoryEvent, HistoryKind, RuntimeStatus, WorkflowRuntime
from workflows.validation import context_errors

EXPECTED_STATES = {
    # (definition, state, status): cases
    ("till_basic_kyb_demo", "manual_review", "active"): 11,
    ("till_basic_kyb_demo", "revision", "active"): 1,
    ("till_basic_kyb_demo", "approved", "completed"): 3,
    ("till_basic_kyb_demo", "rejected", "completed"): 2,
    ("individual_kyc_demo", "manual_review", "active"): 6,
    ("individual_kyc_demo", "revision", "active"): 1,
    ("individual_kyc_demo", "approved", "completed"): 3,
    ("individual_kyc_demo", "rejected", "completed"): 2,
    ("kyb_automated_checks_demo", "registry_check", "active"): 3,
    ("kyc_document_review_demo", "document_review", "active"): 3,
    ("kyc_document_review_demo", "revision", "active"): 1,
    ("kyc_document_review_demo", "approved", "completed"): 1,
    ("kyc_document_review_demo", "rejected", "completed"): 1,
    ("kyb_ubo_demo", "starting_ubo_checks", "active"): 1,
    ("kyb_ubo_demo", "awaiting_ubos", "active"): 1,
    ("kyb_ubo_demo", "manual_review", "active"): 1,
    ("kyb_ubo_demo", "approved", "completed"): 1,
    ("kyb_ubo_demo", "rejected", "completed"): 1,
    ("kyb_ubo_demo", "awaiting_ubos", "failed"): 2,
    ("kyc_ubo_demo", "manual_review", "active"): 1,
    ("kyc_ubo_demo", "approved", "completed"): 6,
    ("kyc_ubo_demo", "rejected", "completed"): 1,
}
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
OVERDUE = {"demo-biz-4", "demo-biz-7", "demo-biz-8", "demo-biz-15", "demo-person-4", "demo-person-6", "demo-doc-6"}


def load_demo(*args) -> str:
    out = io.StringIO()
    # The demo users are only created with DEBUG on; four users hashed with PBKDF2 would take seconds.
    with override_settings(DEBUG=True, PASSWORD_HASHERS=FAST_HASHERS):
        call_command("load_demo", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@dataclass
class Loaded:
    output: str
    started: datetime  # when load_demo began


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    """The demo loaded once for this module's tests, and rolled back after them."""
    with django_db_blocker.unblock(), transaction.atomic():
        started = timezone.now()
        output = load_demo("--no-api-key")
        yield Loaded(output, started)
        transaction.set_rollback(True)


@pytest.fixture
def demo(loaded, db) -> str:
    return loaded.output


@pytest.fixture
def load_started(loaded, db) -> datetime:
    return loaded.started


def project() -> Project:
    return Project.objects.get(slug="default")


def by_entity(entity_id) -> WorkflowRuntime:
    return WorkflowRuntime.objects.select_related("assignee").get(entity__correlation_id=entity_id)


def row_counts() -> dict:
    return {
        "cases": WorkflowRuntime.objects.count(),
        "history": HistoryEvent.objects.count(),
        "plugin runs": PluginRun.objects.count(),
        "files": StoredFile.objects.count(),
        "users": get_user_model().objects.count(),
        "memberships": Membership.objects.count(),
        "api keys": ApiKey.objects.exclude(name="demo").count(),
    }


# --- loaded once -------------------------------------------------------------------------------


def test_the_demo_starts_45_cases_and_8_more_for_their_ubos(demo):
    assert "Demo cases: 45 started (8 more for their UBOs)" in demo.splitlines()
    assert WorkflowRuntime.objects.filter(parent_runtime__isnull=True).count() == 45
    assert WorkflowRuntime.objects.filter(parent_runtime__isnull=False).count() == 8


def test_a_second_load_demo_adds_no_case_history_run_file_user_or_integration_key(demo):
    before = row_counts()
    out = load_demo()
    assert "Demo cases: kept (the project already has cases)" in out.splitlines()
    assert row_counts() == before


def test_the_demo_logins_include_the_two_demo_operators(demo):
    for username in ("alice", "bob"):
        user = get_user_model().objects.get(username=username)
        with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
            assert user.check_password(username)
        assert Membership.objects.get(user=user, project=project()).role == Role.OPERATOR
    assert [line for line in demo.splitlines() if line.startswith("Login: ")] == [
        "Login: admin / admin", "Login: operator / operator", "Login: alice / alice", "Login: bob / bob",
    ]


# --- what the cases are ------------------------------------------------------------------------


def test_the_cases_rest_in_these_states_per_workflow(demo):
    found = Counter(WorkflowRuntime.objects.values_list("definition__key", "state", "status"))
    assert dict(found) == EXPECTED_STATES


def test_the_cases_count_30_active_21_completed_and_2_failed(demo):
    assert dict(Counter(WorkflowRuntime.objects.values_list("status", flat=True))) == {
        RuntimeStatus.ACTIVE: 30, RuntimeStatus.COMPLETED: 21, RuntimeStatus.FAILED: 2,
    }


def test_every_demo_case_context_is_valid_against_its_definitions_schema(demo):
    for runtime in WorkflowRuntime.objects.select_related("definition_version"):
        assert context_errors(runtime.context, runtime.definition_version.context_schema) == [], runtime.entity.correlation_id


def test_each_demo_operator_has_open_cases_and_some_are_nobodys(demo):
    open_cases = Counter(WorkflowRuntime.objects.filter(status=RuntimeStatus.ACTIVE).values_list("assignee__username", flat=True))
    assert open_cases == {None: 15, "operator": 8, "alice": 4, "bob": 3}


def test_the_failed_cases_say_why_in_their_history(demo):
    for runtime in WorkflowRuntime.objects.filter(status=RuntimeStatus.FAILED):
        failed = runtime.history.get(kind=HistoryKind.FAILED)
        assert failed.event_name == "UBO_DECIDED"
        assert "values()" in failed.payload["error"]
        assert failed.actor_label == "API key Partner onboarding portal (demo)"


# --- due times ---------------------------------------------------------------------------------


def test_some_open_cases_are_past_their_due_time(demo):
    now = timezone.now()
    overdue = WorkflowRuntime.objects.filter(status=RuntimeStatus.ACTIVE, due_at__lt=now)
    assert set(overdue.values_list("entity__correlation_id", flat=True)) == OVERDUE


def test_every_case_is_due_its_workflows_sla_hours_after_it_was_created(demo):
    hours = {"till_basic_kyb_demo": 48, "kyb_automated_checks_demo": 48, "kyb_ubo_demo": 48, "individual_kyc_demo": 24, "kyc_document_review_demo": 24, "kyc_ubo_demo": 24}
    for runtime in WorkflowRuntime.objects.select_related("definition"):
        assert runtime.definition_version.config["slaHours"] == hours[runtime.definition.key]
        assert runtime.due_at == runtime.created_at + timedelta(hours=hours[runtime.definition.key])


def test_the_cases_were_started_over_the_last_two_weeks_not_all_at_once(demo):
    now = timezone.now()
    created = sorted(WorkflowRuntime.objects.values_list("created_at", flat=True))
    assert created[0] < now - timedelta(days=12)
    assert created[-1] < now
    assert len({moment.date() for moment in created}) >= 8


def test_every_history_row_is_after_its_case_started_and_before_now_in_the_order_written(demo):
    now = timezone.now()
    for runtime in WorkflowRuntime.objects.all():
        rows = list(runtime.history.order_by("id").values_list("created_at", flat=True))
        assert rows[0] >= runtime.created_at - timedelta(seconds=1)
        assert rows == sorted(rows)
        assert rows[-1] < now
        assert runtime.updated_at < now


def test_every_row_of_the_demo_was_written_at_a_moment_set_back_before_the_load(load_started):
    assert not HistoryEvent.objects.filter(created_at__gte=load_started).exists()
    assert not WorkflowRuntime.objects.filter(created_at__gte=load_started).exists()
    assert not WorkflowRuntime.objects.filter(updated_at__gte=load_started).exists()
    assert not PluginRun.objects.filter(created_at__gte=load_started).exists()
    assert not StoredFile.objects.filter(created_at__gte=load_started).exists()


def test_a_decided_case_shows_when_and_by_whom_it_was_decided(demo):
    runtime = by_entity("demo-biz-12")
    confirmed = runtime.history.get(kind=HistoryKind.DECISION_CONFIRMED)
    assert (runtime.state, runtime.decided_by_label) == ("approved", "operator")
    assert abs(runtime.decided_at - confirmed.created_at) < timedelta(seconds=1)
    assert abs(runtime.resolved_at - confirmed.created_at) < timedelta(seconds=1)
    assert timedelta(hours=115) < runtime.decided_at - runtime.created_at < timedelta(hours=125)


def test_the_clock_is_the_real_one_again_after_loading(demo):
    assert abs(timezone.now() - datetime.now(dt_timezone.utc)) < timedelta(seconds=5)


# --- the work in them --------------------------------------------------------------------------


def test_the_notes_are_written_by_the_operators_who_work_the_cases(demo):
    notes = HistoryEvent.objects.filter(kind=HistoryKind.NOTE)
    assert notes.count() == 10
    assert set(notes.values_list("actor_label", flat=True)) == {"operator", "alice", "bob"}
    assert by_entity("demo-biz-3").history.get(kind=HistoryKind.NOTE).payload["text"].startswith("Asked Claire")


def test_every_rejection_and_revision_by_a_person_carries_one_of_the_workflows_reasons(demo):
    rows = HistoryEvent.objects.filter(event_name__in=["reject", "revision"], actor_user__isnull=False, kind=HistoryKind.TRANSITION)
    assert rows.count() == 10
    for row in rows.select_related("runtime__definition_version"):
        assert row.payload["reason"] in row.runtime.definition_version.config["decisionReasons"][row.event_name]


def test_two_business_approvals_wait_for_a_second_member(demo):
    pending = WorkflowRuntime.objects.exclude(pending_event="")
    assert sorted(pending.values_list("entity__correlation_id", "pending_event", "pending_by_label")) == [
        ("demo-biz-10", "approve", "operator"), ("demo-biz-9", "approve", "alice"),
    ]


def test_one_approval_was_sent_back_with_its_reason_and_three_were_confirmed(demo):
    returned = HistoryEvent.objects.get(kind=HistoryKind.DECISION_RETURNED)
    assert (returned.runtime.entity.correlation_id, returned.actor_label) == ("demo-biz-11", "bob")
    assert "registry extract" in returned.payload["reason"]
    confirmed = HistoryEvent.objects.filter(kind=HistoryKind.DECISION_CONFIRMED)
    assert sorted(confirmed.values_list("runtime__entity__correlation_id", flat=True)) == ["demo-biz-12", "demo-biz-16", "demo-biz-5"]


def test_documents_were_decided_and_moved_their_cases(demo):
    assert HistoryEvent.objects.filter(kind=HistoryKind.DOCUMENT_DECIDED).count() == 6
    statuses = {
        entity_id: [(document.get("decision") or {}).get("status") for document in by_entity(entity_id).context["documents"]]
        for entity_id in ("demo-doc-3", "demo-doc-4", "demo-doc-5", "demo-doc-6")
    }
    assert statuses == {
        "demo-doc-3": ["approved", None],
        "demo-doc-4": ["approved", "approved"],
        "demo-doc-5": ["rejected", None],
        "demo-doc-6": ["approved", "revision"],
    }
    assert [by_entity(entity_id).state for entity_id in statuses] == ["document_review", "approved", "rejected", "revision"]
    assert StoredFile.objects.count() == 12


def test_a_revision_the_applicant_answered_came_back_through_the_integration(demo):
    rows = by_entity("demo-biz-15").history.filter(event_name="RESUBMITTED")
    assert [(row.from_state, row.to_state, row.actor_label) for row in rows] == [
        ("revision", "manual_review", "API key Partner onboarding portal (demo)"),
    ]


def test_the_ubo_families_link_parents_and_children_both_ways(demo):
    families = {
        "demo-ubo-biz-1": ("awaiting_ubos", {"demo-ubo-1": "approved", "demo-ubo-2": "manual_review"}),
        "demo-ubo-biz-2": ("manual_review", {"demo-ubo-3": "approved", "demo-ubo-4": "approved"}),
        "demo-ubo-biz-3": ("approved", {"demo-ubo-5": "approved", "demo-ubo-6": "approved", "demo-ubo-7": "approved"}),
        "demo-ubo-biz-4": ("rejected", {"demo-ubo-8": "rejected"}),
    }
    for entity_id, (state, children) in families.items():
        parent = by_entity(entity_id)
        kids = WorkflowRuntime.objects.filter(parent_runtime=parent)
        assert parent.state == state
        assert dict(kids.values_list("entity__correlation_id", "state")) == children
        assert set(parent.context["childWorkflows"]["kyc_ubo_demo"]) == {str(kid.pk) for kid in kids}


def test_the_cases_that_call_the_sandbox_vendor_or_start_children_wait_for_the_worker(demo):
    queued = PluginRun.objects.filter(status=PluginRunStatus.QUEUED)
    assert sorted(queued.values_list("runtime__entity__correlation_id", "plugin_name")) == [
        ("demo-auto-1", "registry"), ("demo-auto-2", "registry"), ("demo-auto-3", "registry"), ("demo-ubo-biz-5", "ubo_kyc_cases"),
    ]


# --- the same each time ------------------------------------------------------------------------


def test_two_loads_give_every_case_the_same_times_relative_to_now():
    now = datetime(2026, 12, 1, 12, 0, tzinfo=dt_timezone.utc)
    first, second = _Player(None, {}), _Player(None, {})
    first.now = second.now = now
    for case in demo_cases.DEMO_CASES:
        started, times = first.moments(case)
        assert (started, times) == second.moments(case)
        assert times == sorted(times) and all(started <= moment < now for moment in times)
