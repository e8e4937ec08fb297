"""Plugin runs: queued with the change that entered the state, done by the real worker after
commit against a real vendor on loopback, outcomes applied as events."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from automation import services as automation_services
from automation.models import PluginRun, PluginRunStatus
from workflows.models import HistoryEvent, HistoryKind, WorkflowRuntime

from .conftest import run_worker
from .definitions import api_plugin, business_run, save_check_definition

pytestmark = pytest.mark.django_db(transaction=True)


def start(api, body=None) -> WorkflowRuntime:
    response = api.run(body or business_run())
    assert response.status_code == 201, response.content
    return WorkflowRuntime.objects.get(pk=response.json()["workflowRuntimeId"])


def let_the_retry_come_due():
    past = timezone.now() - timedelta(seconds=1)
    DBTaskResult.objects.filter(status="READY").update(run_after=past)
    PluginRun.objects.filter(status=PluginRunStatus.QUEUED).update(next_attempt_at=past)


def test_entering_a_state_with_a_plugin_queues_a_run_and_calls_nobody_during_the_request(api, vendor, demo_project):
    save_check_definition(demo_project, [api_plugin(vendor.url("/registry"))])
    runtime = start(api)
    [run] = PluginRun.objects.filter(runtime=runtime)
    assert (run.plugin_name, run.state, run.status, run.entry) == ("registry", "checking", PluginRunStatus.QUEUED, runtime.state_entry)
    assert vendor.requests == []
    assert runtime.state == "checking"


def test_the_worker_calls_the_vendor_and_its_success_action_moves_the_case(api, vendor, demo_project):
    vendor.always("/registry", (200, {"registered": True, "name": "ACME HOLDINGS LTD"}))
    save_check_definition(demo_project, [api_plugin(vendor.url("/registry"))])
    runtime = start(api)
    run_worker()
    [body] = vendor.bodies("/registry")
    assert body == {"companyName": "Acme Holdings Ltd", "registrationNumber": "REG-42"}
    runtime.refresh_from_db()
    assert runtime.state == "review"
    output = runtime.context["pluginsOutput"]["registry"]
    assert {key: output[key] for key in ("registered", "name")} == {"registered": True, "name": "ACME HOLDINGS LTD"}
    assert isinstance(output["invokedAt"], int)  # Ballerine stamps the answer with the time it came
    run = PluginRun.objects.get(runtime=runtime)
    assert (run.status, run.attempt_count, run.http_status) == (PluginRunStatus.SUCCEEDED, 1, 200)
    kinds = list(HistoryEvent.objects.filter(runtime=runtime).values_list("kind", "actor_label"))
    assert (HistoryKind.PLUGIN_SUCCEEDED, "plugin registry") in kinds
    assert (HistoryKind.TRANSITION, "plugin registry") in kinds


def test_every_attempt_of_a_run_carries_the_same_idempotency_key(api, vendor, demo_project, settings):
    settings.PLUGIN_RETRY_BASE_SECONDS = 0.01
    vendor.answer("/registry", (500, {"error": "busy"}), (503, {"error": "busy"}))
    save_check_definition(demo_project, [api_plugin(vendor.url("/registry"))])
    runtime = start(api)
    run_worker()
    let_the_retry_come_due()
    run_worker()
    let_the_retry_come_due()
    run_worker()
    keys = {request["headers"]["Idempotency-Key"] for request in vendor.requests}
    run = PluginRun.objects.get(runtime=runtime)
    assert len(vendor.requests) == 3 and keys == {str(run.idempotency_key)}
    assert list(run.attempts.values_list("number", "http_status")) == [(1, 500), (2, 503), (3, 200)]
    runtime.refresh_from_db()
    assert runtime.state == "review"


def test_a_vendor_answering_404_fails_the_run_at_once_and_sends_the_error_action(api, vendor, demo_project):
    vendor.always("/registry", (404, {"error": "no such company"}))
    save_check_definition(demo_project, [api_plugin(vendor.url("/registry"))])
    runtime = start(api)
    run_worker()
    run = PluginRun.objects.get(runtime=runtime)
    assert (run.status, run.attempt_count, run.http_status) == (PluginRunStatus.FAILED, 1, 404)
    assert "404" in run.error
    runtime.refresh_from_db()
    assert runtime.state == "registry_failed"
    output = runtime.context["pluginsOutput"]["registry"]
    assert output["status"] == "ERROR" and output["name"] == "registry" and "404" in output["error"]


def test_a_vendor_that_is_down_is_tried_again_then_the_error_action_follows(api, vendor, demo_project, settings):
    settings.PLUGIN_RETRY_BASE_SECONDS = 0.01
    settings.PLUGIN_MAX_ATTEMPTS = 2
    down = vendor.url("/registry").replace(str(vendor.server.server_port), "9")  # discard port: refused
    save_check_definition(demo_project, [api_plugin(down)])
    runtime = start(api)
    run_worker()
    let_the_retry_come_due()
    run_worker()
    run = PluginRun.objects.get(runtime=runtime)
    assert (run.status, run.attempt_count) == (PluginRunStatus.FAILED, 2)
    assert "Connection" in run.error or "refused" in run.error.lower()
    runtime.refresh_from_db()
    assert runtime.state == "registry_failed"


def test_a_vendor_slower_than_the_timeout_is_cut_off_and_retried(api, vendor, demo_project, settings):
    settings.PLUGIN_TIMEOUT_SECONDS = 0.3
    settings.PLUGIN_MAX_ATTEMPTS = 1
    vendor.always("/registry", (200, {"late": True}, {"delay": 1.0}))
    save_check_definition(demo_project, [api_plugin(vendor.url("/registry"))])
    runtime = start(api)
    run_worker()
    run = PluginRun.objects.get(runtime=runtime)
    assert run.status == PluginRunStatus.FAILED and "Timeout" in run.error
    assert run.duration_ms < 900
    runtime.refresh_from_db()
    assert runtime.state == "registry_failed"


def test_an_html_answer_fails_the_run_as_invalid_json(api, vendor, demo_project):
    vendor.always("/registry", (200, b"<html><body>Welcome</body></html>", {"content_type": "text/html"}))
    save_check_definition(demo_project, [api_plugin(vendor.url("/registry"))])
    runtime = start(api)
    run_worker()
    run = PluginRun.objects.get(runtime=runtime)
    assert run.status == PluginRunStatus.FAILED
    assert "JSON" in run.error
    assert "<html>" in run.response_excerpt


def test_a_huge_answer_fails_the_run_and_only_an_excerpt_is_kept(api, vendor, demo_project, settings):
    settings.PLUGIN_RESPONSE_MAX_BYTES = 10_000
    vendor.always("/registry", (200, {"blob": "x" * 50_000}))
    save_check_definition(demo_project, [api_plugin(vendor.url("/registry"))])
    runtime = start(api)
    run_worker()
    run = PluginRun.objects.get(runtime=runtime)
    assert run.status == PluginRunStatus.FAILED and "larger than" in run.error
    assert len(run.response_excerpt) <= settings.PLUGIN_EXCERPT_CHARS
    runtime.refresh_from_db()
    assert "blob" not in json.dumps(runtime.context)


def test_a_redirect_to_a_private_address_is_refused(api, vendor, demo_project, settings):
    from outbound.models import AllowedTarget

    settings.OUTBOUND_ALLOW_PRIVATE_TARGETS = False
    AllowedTarget.objects.create(project=demo_project, target="127.0.0.1")  # the vendor only
    vendor.always("/registry", (302, {}, {"headers": {"Location": "http://169.254.169.254/latest/meta-data"}}))
    save_check_definition(demo_project, [api_plugin(vendor.url("/registry"))])
    runtime = start(api)
    run_worker()
    run = PluginRun.objects.get(runtime=runtime)
    assert run.status == PluginRunStatus.FAILED
    assert "169.254.169.254" in run.error or "refused" in run.error.lower()
    assert len(vendor.requests) == 1


def test_an_outcome_that_arrives_after_the_case_left_the_state_is_stale_and_changes_nothing(api, vendor, demo_project):
    vendor.always("/registry", (200, {"registered": True}))
    save_check_definition(demo_project, [api_plugin(vendor.url("/registry"))])
    runtime = start(api)
    run = PluginRun.objects.get(runtime=runtime)
    job = automation_services._claim(run.pk)  # the worker has sent the request...
    response = api.post(f"/api/v1/external/workflows/{runtime.pk}/event", {"name": "SKIP"})
    assert response.status_code == 200  # ...and meanwhile the case moved on
    outcome = automation_services._execute(job)
    automation_services._finish(job, outcome, started=timezone.now(), duration_ms=1)
    run.refresh_from_db()
    runtime.refresh_from_db()
    assert run.status == PluginRunStatus.STALE
    assert runtime.state == "review"
    assert "pluginsOutput" not in runtime.context
    assert not HistoryEvent.objects.filter(runtime=runtime, kind=HistoryKind.PLUGIN_SUCCEEDED).exists()


def test_a_run_whose_entry_is_over_before_it_starts_is_not_sent(api, vendor, demo_project):
    save_check_definition(demo_project, [api_plugin(vendor.url("/registry"))])
    runtime = start(api)
    assert api.post(f"/api/v1/external/workflows/{runtime.pk}/event", {"name": "SKIP"}).status_code == 200
    run_worker()
    assert vendor.requests == []
    assert PluginRun.objects.get(runtime=runtime).status == PluginRunStatus.STALE


def test_coming_back_to_the_state_is_a_new_entry_with_its_own_run(api, vendor, demo_project):
    vendor.always("/registry", (200, {"registered": True}))
    save_check_definition(demo_project, [api_plugin(vendor.url("/registry"))])
    runtime = start(api)
    run_worker()
    assert api.post(f"/api/v1/external/workflows/{runtime.pk}/event", {"name": "RECHECK"}).status_code == 200
    run_worker()
    runs = list(PluginRun.objects.filter(runtime=runtime).order_by("entry"))
    assert [run.status for run in runs] == [PluginRunStatus.SUCCEEDED, PluginRunStatus.SUCCEEDED]
    assert runs[0].entry < runs[1].entry and runs[0].idempotency_key != runs[1].idempotency_key
    assert len(vendor.requests) == 2


def test_plugins_of_one_state_run_one_after_the_other(api, vendor, demo_project):
    first = api_plugin(vendor.url("/first"), name="first", successAction=None, errorAction=None)
    second = api_plugin(vendor.url("/second"), name="second", successAction=None, errorAction=None)
    for plugin in (first, second):
        del plugin["successAction"], plugin["errorAction"]
    save_check_definition(demo_project, [first, second])
    runtime = start(api)
    run_worker()
    assert [request["path"] for request in vendor.requests] == ["/first", "/second"]
    assert set(PluginRun.objects.filter(runtime=runtime).values_list("status", flat=True)) == {PluginRunStatus.SUCCEEDED}


def test_a_plugin_without_actions_is_fire_and_forget_and_only_its_run_is_recorded(api, vendor, demo_project):
    plugin = api_plugin(vendor.url("/notify"), name="notify")
    del plugin["successAction"], plugin["errorAction"]
    save_check_definition(demo_project, [plugin])
    runtime = start(api)
    before = HistoryEvent.objects.filter(runtime=runtime).count()
    run_worker()
    runtime.refresh_from_db()
    assert PluginRun.objects.get(runtime=runtime).status == PluginRunStatus.SUCCEEDED
    assert runtime.state == "checking" and "pluginsOutput" not in runtime.context
    assert HistoryEvent.objects.filter(runtime=runtime).count() == before


def test_a_run_whose_worker_was_killed_is_picked_up_again_with_the_same_key(api, vendor, demo_project):
    vendor.always("/registry", (200, {"registered": True}))
    save_check_definition(demo_project, [api_plugin(vendor.url("/registry"))])
    runtime = start(api)
    run = PluginRun.objects.get(runtime=runtime)
    automation_services._claim(run.pk)  # a worker took it, then died before any answer
    DBTaskResult.objects.all().delete()  # and its task is gone with it
    PluginRun.objects.filter(pk=run.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
    out = StringIO()
    call_command("requeue_stalled_plugin_runs", stdout=out)
    assert "1 stalled plugin run(s) queued again" in out.getvalue()
    run_worker()
    run.refresh_from_db()
    assert run.status == PluginRunStatus.SUCCEEDED
    assert [request["headers"]["Idempotency-Key"] for request in vendor.requests] == [str(run.idempotency_key)]


def test_an_unresolved_placeholder_fails_the_run_with_its_name_and_sends_nothing(api, vendor, demo_project):
    save_check_definition(demo_project, [api_plugin(vendor.url("/registry/{entity.data.vatNumber}"))])
    runtime = start(api)
    run_worker()
    run = PluginRun.objects.get(runtime=runtime)
    assert run.status == PluginRunStatus.FAILED and "entity.data.vatNumber" in run.error
    assert vendor.requests == []
    runtime.refresh_from_db()
    assert runtime.state == "registry_failed"


def test_a_project_secret_is_sent_in_a_header_and_recorded_redacted(api, vendor, demo_project):
    from projects.services import project_secret_set

    project_secret_set(project=demo_project, name="REGISTRY_TOKEN", value="tok-very-secret-123")
    vendor.always("/registry", (200, {"echo": "tok-very-secret-123"}))
    plugin = api_plugin(vendor.url("/registry"), headers={"Authorization": "Bearer {secret.REGISTRY_TOKEN}"})
    save_check_definition(demo_project, [plugin])
    runtime = start(api)
    run_worker()
    assert vendor.requests[0]["headers"]["Authorization"] == "Bearer tok-very-secret-123"
    run = PluginRun.objects.get(runtime=runtime)
    stored = json.dumps(run.request) + run.response_excerpt
    assert "tok-very-secret-123" not in stored
    assert "[secret REGISTRY_TOKEN]" in stored
    runtime.refresh_from_db()
    assert "tok-very-secret-123" not in json.dumps(runtime.context)
