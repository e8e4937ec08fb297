"""The kinds of plugin the worker runs: api, webhook (signed), iterative over items, and the
transformer; and what one applied outcome costs in queries."""

import hashlib
import hmac

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from automation.models import PluginRun, PluginRunStatus
from automation.services import plugin_run_attempt
from workflows.models import WorkflowRuntime

from .conftest import run_worker
from .definitions import api_plugin, business_run, save_check_definition

pytestmark = pytest.mark.django_db(transaction=True)

UBOS = [{"firstName": "Ann", "lastName": "Lee"}, {"firstName": "Bo", "lastName": "Kim"}]


def start(api, **data) -> WorkflowRuntime:
    response = api.run(business_run(**data))
    assert response.status_code == 201, response.content
    return WorkflowRuntime.objects.get(pk=response.json()["workflowRuntimeId"])


def iterative_definition(project, vendor):
    action = api_plugin(vendor.url("/person"), name="person_check", request={"transform": [{"transformer": "jmespath", "mapping": "{name: firstName}"}]})
    for key in ("stateNames", "successAction", "errorAction"):
        del action[key]
    iterative = {
        "name": "ubo_checks",
        "pluginKind": "iterative",
        "stateNames": ["checking"],
        "iterateOn": [{"transformer": "jmespath", "mapping": "entity.data.additionalInfo.ubos"}],
        "actionPluginName": "person_check",
        "successAction": "REGISTRY_DONE",
        "errorAction": "REGISTRY_FAILED",
    }
    save_check_definition(project, [action], extra={"commonPlugins": [iterative]})


def test_a_webhook_plugin_signs_its_exact_body_with_the_projects_webhook_secret(api, vendor, demo_project):
    save_check_definition(demo_project, [api_plugin(vendor.url("/notify"), pluginKind="webhook")])
    start(api)
    run_worker()
    [request] = vendor.requests
    expected = hmac.new(demo_project.webhook_secret.encode(), request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-HMAC-Signature"] == expected


def test_an_iterative_plugin_calls_the_action_plugin_once_per_item_and_then_succeeds(api, vendor, demo_project):
    vendor.always("/person", (200, {"clear": True}))
    iterative_definition(demo_project, vendor)
    runtime = start(api, additionalInfo={"ubos": UBOS})
    run_worker()
    assert vendor.bodies("/person") == [{"name": "Ann"}, {"name": "Bo"}]
    runtime.refresh_from_db()
    assert runtime.state == "review"
    assert [item["clear"] for item in runtime.context["pluginsOutput"]["ubo_checks"]] == [True, True]


def test_an_iterative_plugin_with_a_failed_item_reports_it_and_takes_the_error_action(api, vendor, demo_project):
    vendor.answer("/person", (200, {"clear": True}), (404, {"error": "unknown person"}))
    iterative_definition(demo_project, vendor)
    runtime = start(api, additionalInfo={"ubos": UBOS})
    run_worker()
    runtime.refresh_from_db()
    assert runtime.state == "registry_failed"
    output = runtime.context["pluginsOutput"]["ubo_checks"]
    assert output["status"] == "ERROR" and "1 of 2 items failed" in output["error"]
    [failed] = output["failedItems"]
    assert failed["index"] == 1 and "404" in failed["error"]
    assert len(vendor.requests) == 2  # the item that succeeded was called and stays called


def test_a_transformer_plugin_keeps_what_it_computes_in_the_context(api, vendor, demo_project):
    transformer = {
        "name": "names",
        "pluginKind": "transformer",
        "stateNames": ["checking"],
        "transformers": [
            {
                "transformer": "helpers",
                "mapping": [{"source": "entity.data.companyName", "target": "entity.data.companyName", "method": "regex", "value": "^\\w+"}],
            }
        ],
    }
    save_check_definition(demo_project, [], extra={"commonPlugins": [transformer]})
    runtime = start(api)
    run_worker()
    runtime.refresh_from_db()
    assert PluginRun.objects.get(runtime=runtime).status == PluginRunStatus.SUCCEEDED
    assert "names" in runtime.context["pluginsOutput"]
    assert vendor.requests == []


def test_applying_an_outcome_costs_a_bounded_number_of_queries(api, vendor, demo_project):
    vendor.always("/registry", (200, {"registered": True}))
    save_check_definition(demo_project, [api_plugin(vendor.url("/registry"))])
    runtime = start(api)
    run = PluginRun.objects.get(runtime=runtime)
    with CaptureQueriesContext(connection) as queries:
        assert plugin_run_attempt(run_id=run.pk) == PluginRunStatus.SUCCEEDED
    # Claim: read, the case's parent, lock case, lock run, earlier runs, secrets, save. Outcome:
    # the parent, lock case, lock run, attempt, save, context write with history and webhooks,
    # the action's event (its parent too), next run.
    assert len(queries) <= 24, "\n".join(q["sql"][:120] for q in queries.captured_queries)
    runtime.refresh_from_db()
    assert runtime.state == "review"
