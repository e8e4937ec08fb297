"""The case page's Automation panel on the server: who may press Run again, and what the
panel costs in queries (SPEC section 10, "Seen by people")."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from automation.models import PluginRun, PluginRunStatus
from projects.models import Role
from tests.cases.helpers import case_post
from tests.factories import MembershipFactory, UserFactory
from workflows.actors import Actor
from workflows.services import workflow_send_event, workflow_start

from .conftest import run_worker
from .definitions import api_plugin, business_run, save_check_definition

pytestmark = pytest.mark.django_db(transaction=True)


def client_of(project, username, role) -> Client:
    user = MembershipFactory(project=project, user=UserFactory(username=username), role=role).user
    client = Client()
    client.force_login(user)
    return client


def registry_without_error_action(vendor) -> dict:
    """A failed check then leaves the case in the state that lists the plugin, where Run again
    is offered (with an errorAction the case would move on and the plugin no longer apply)."""
    plugin = api_plugin(vendor.url("/registry"))
    del plugin["errorAction"]
    return plugin


def start(project, entity_id="biz-1"):
    body = business_run(entity_id=entity_id)
    return workflow_start(project=project, workflow_id=body["workflowId"], context=body["context"], actor=Actor()).runtime


@pytest.fixture
def failed_check(vendor, demo_project):
    """A case whose registry check failed and that still waits in the state that runs it."""
    vendor.always("/registry", (404, {"error": "no such company"}))
    save_check_definition(demo_project, [registry_without_error_action(vendor)])
    runtime = start(demo_project)
    run_worker()
    runtime.refresh_from_db()
    assert runtime.state == "checking"
    assert PluginRun.objects.get(runtime=runtime).status == PluginRunStatus.FAILED
    return runtime


def test_a_viewers_run_again_is_refused_and_queues_nothing(failed_check, demo_project):
    viewer = client_of(demo_project, "vera", Role.VIEWER)
    runs, tasks = PluginRun.objects.count(), DBTaskResult.objects.count()
    response = case_post(viewer, failed_check, "plugins/run", {"plugin": "registry"})
    assert response.status_code == 403
    assert (PluginRun.objects.count(), DBTaskResult.objects.count()) == (runs, tasks)


def test_an_operators_run_again_queues_the_plugin_anew_in_their_name(failed_check, demo_project):
    operator = client_of(demo_project, "olga", Role.OPERATOR)
    response = case_post(operator, failed_check, "plugins/run", {"plugin": "registry"})
    assert response.status_code == 302
    newest = PluginRun.objects.filter(runtime=failed_check).order_by("created_at").last()
    assert (newest.status, newest.requested_by_label) == (PluginRunStatus.QUEUED, "olga")
    ready = DBTaskResult.objects.filter(status="READY", task_path="automation.tasks.run_plugin")
    assert [task.args_kwargs["args"] for task in ready] == [[str(newest.pk)]]


def case_page_queries(client, runtime) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/cases/{runtime.pk}/")
    assert response.status_code == 200
    return len(queries)


def test_the_case_page_query_count_does_not_grow_with_the_number_of_plugin_runs(vendor, demo_project):
    vendor.always("/registry", (200, {"registered": True}))
    save_check_definition(demo_project, [api_plugin(vendor.url("/registry"))])
    once = start(demo_project, "checked-once")
    run_worker()
    often = start(demo_project, "checked-six-times")
    run_worker()
    for _ in range(5):  # each recheck is a new entry into the state, with a run of its own
        workflow_send_event(project=demo_project, runtime_id=often.pk, name="RECHECK", actor=Actor())
        run_worker()
    assert [PluginRun.objects.filter(runtime=r, status=PluginRunStatus.SUCCEEDED).count() for r in (once, often)] == [1, 6]
    operator = client_of(demo_project, "olga", Role.OPERATOR)
    operator.get(f"/cases/{once.pk}/")  # the session and the caches of a first request
    assert case_page_queries(operator, often) == case_page_queries(operator, once)
