"""The queues' copies on each case (entity name, id and email, assignee user name): written by
every change that feeds them, so that sorting and searching on them never disagree with what
the case shows."""

import pytest

from projects.models import Role
from workflows.actors import Actor
from workflows.models import WorkflowRuntime
from workflows.case_work import case_assign
from workflows.services import workflow_send_event, workflow_start

from ..factories import MembershipFactory, UserFactory, business_context, demo_case_start as start


def stored(runtime) -> tuple:
    return WorkflowRuntime.objects.values_list(
        "entity_name", "entity_correlation_id", "entity_email", "assignee_username"
    ).get(pk=runtime.pk)


def test_a_new_case_copies_its_entitys_name_id_and_email_from_its_context(demo_project):
    runtime = start(demo_project, "acme-1", "ACME Ltd", additionalInfo={"mainRepresentative": {"email": "jo@acme.example"}})
    assert stored(runtime) == ("ACME Ltd", "acme-1", "jo@acme.example", None)


def test_an_individuals_name_is_first_and_last_name(demo_project):
    context = {"entity": {"type": "individual", "id": "p-1", "data": {"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com"}}}
    runtime = workflow_start(project=demo_project, workflow_id="individual_kyc_demo", context=context, actor=Actor()).runtime
    assert stored(runtime) == ("Ada Lovelace", "p-1", "ada@example.com", None)


def test_a_rerun_renames_its_case_and_leaves_the_entitys_other_cases_their_own_name(demo_project):
    first = start(demo_project, "acme-1", "ACME Ltd")
    workflow_send_event(project=demo_project, runtime_id=first.pk, name="approve", actor=Actor())
    second = start(demo_project, "acme-1", "ACME Ltd")  # the first is completed: a new case
    again = start(demo_project, "acme-1", "ACME Holdings")  # updates the open one
    assert again.pk == second.pk
    assert stored(second)[0] == "ACME Holdings"
    # The completed case's own context still names the entity as it was: so does its copy.
    assert stored(first)[0] == "ACME Ltd"


def test_a_context_change_by_an_event_is_copied(demo_project):
    runtime = start(demo_project, "acme-1", "ACME Ltd")
    workflow_send_event(
        project=demo_project, runtime_id=runtime.pk, name="UPDATE_CONTEXT",
        payload={"context": business_context("acme-1", "ACME Renamed", email="x@acme.example")}, actor=Actor(),
    )
    assert stored(runtime)[:3] == ("ACME Renamed", "acme-1", "x@acme.example")


def test_a_context_without_the_entitys_data_keeps_the_entity_records_name(demo_project):
    runtime = start(demo_project, "acme-1", "ACME Ltd")
    locked = WorkflowRuntime.objects.select_related("entity").get(pk=runtime.pk)
    locked.context = {"documents": []}
    locked.save(update_fields=["context"])
    assert stored(runtime)[:2] == ("ACME Ltd", "acme-1")


@pytest.fixture
def colleague(demo_project):
    return MembershipFactory(project=demo_project, user=UserFactory(username="kim"), role=Role.OPERATOR).user


def test_assigning_and_unassigning_copy_the_user_name(demo_project, colleague):
    runtime = start(demo_project)
    case_assign(project=demo_project, runtime_id=runtime.pk, assignee=colleague, actor=Actor())
    assert stored(runtime)[3] == "kim"
    case_assign(project=demo_project, runtime_id=runtime.pk, assignee=None, actor=Actor())
    assert stored(runtime)[3] is None


def test_a_decision_that_assigns_the_decider_copies_their_name(demo_project, colleague):
    from django.test import Client

    runtime = start(demo_project)
    client = Client()
    client.force_login(colleague)
    version = WorkflowRuntime.objects.values_list("version", flat=True).get(pk=runtime.pk)
    client.post(f"/cases/{runtime.pk}/event/", {"name": "approve", "version": version})
    assert stored(runtime)[3] == "kim"


def test_renaming_a_user_renames_their_cases_copy(demo_project, colleague, django_assert_num_queries):
    runtime = start(demo_project)
    case_assign(project=demo_project, runtime_id=runtime.pk, assignee=colleague, actor=Actor())
    colleague.username = "kimberly"
    colleague.save()
    assert stored(runtime)[3] == "kimberly"
    with django_assert_num_queries(1):  # a login writes last_login only: the cases are not looked at
        colleague.save(update_fields=["last_login"])


def test_deleting_a_user_unassigns_their_cases_copy_too(demo_project, colleague):
    runtime = start(demo_project)
    case_assign(project=demo_project, runtime_id=runtime.pk, assignee=colleague, actor=Actor())
    colleague.delete()
    assert WorkflowRuntime.objects.values_list("assignee_id", "assignee_username").get(pk=runtime.pk) == (None, None)
