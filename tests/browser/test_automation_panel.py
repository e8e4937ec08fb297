"""The case page's Automation panel in a real browser, after real plugin runs: the vendor is a
real HTTP server on loopback and the runs are done by the real task worker (`db_worker
--batch`, in this process, on the database the live server reads)."""

import re

import pytest
from playwright.sync_api import expect

from tests.automation.conftest import vendor  # noqa: F401 (the loopback vendor fixture)
from tests.automation.definitions import api_plugin, business_run, save_check_definition
from tests.webhooks.conftest import run_worker
from workflows.actors import Actor
from workflows.services import workflow_start


def start(project):
    body = business_run()
    return workflow_start(project=project, workflow_id=body["workflowId"], context=body["context"], actor=Actor()).runtime


def registry_without_error_action(vendor):
    """A failed check then leaves the case in the state that lists the plugin, where Run again
    is offered (with an errorAction the case would move on and the plugin no longer apply)."""
    plugin = api_plugin(vendor.url("/registry"))
    del plugin["errorAction"]
    return plugin


def open_case(login, live_server, runtime, username):
    page = login(username, username)
    page.goto(f"{live_server.url}/cases/{runtime.pk}/")
    expect(page.get_by_role("heading", name="Automation")).to_be_visible()
    return page


def plugin_runs(page):
    return page.locator("#automation .plugin-run")


@pytest.fixture
def failed_check(demo, vendor):
    """A case whose registry check got a 404 and that still waits in the state that runs it;
    the vendor answers 200 from then on."""
    vendor.answer("/registry", (404, {"error": "no such company"}))
    vendor.always("/registry", (200, {"registered": True, "name": "ACME HOLDINGS LTD"}))
    save_check_definition(demo, [registry_without_error_action(vendor)])
    runtime = start(demo)
    run_worker()
    return runtime


def test_after_a_retried_run_the_operator_sees_the_plugin_succeeded_with_http_200_and_two_attempts(demo, vendor, login, live_server, settings, screenshots):
    settings.PLUGIN_RETRY_BASE_SECONDS = 0  # the retry is due at once, in the same worker batch
    vendor.answer("/registry", (503, {"error": "busy"}))
    vendor.always("/registry", (200, {"registered": True, "name": "ACME HOLDINGS LTD"}))
    save_check_definition(demo, [api_plugin(vendor.url("/registry"))])
    runtime = start(demo)
    run_worker()
    assert len(vendor.requests) == 2

    page = open_case(login, live_server, runtime, "operator")
    [run] = plugin_runs(page).all()
    expect(run).to_contain_text("Company registry")
    expect(run.locator(".plugin-run-status")).to_have_text("Succeeded")
    expect(run).to_contain_text("HTTP 200")
    expect(run).to_contain_text(re.compile(r"\b2 attempts\b"))
    expect(run.locator(".plugin-run-error")).to_have_count(0)
    expect(page.locator("#case-state")).to_contain_text("review")
    page.locator("#automation").screenshot(path=screenshots / "automation-panel-succeeded.png")


def test_an_operator_runs_a_failed_plugin_again_and_the_case_moves_on(failed_check, login, live_server, screenshots):
    page = open_case(login, live_server, failed_check, "operator")
    [failed] = plugin_runs(page).all()
    expect(failed.locator(".plugin-run-status")).to_have_text("Failed")
    expect(failed.locator(".plugin-run-error")).to_have_text("The vendor answered 404.")
    expect(failed).to_contain_text("HTTP 404")
    expect(page.locator("#case-state")).to_contain_text("checking")
    page.locator("#automation").screenshot(path=screenshots / "automation-panel-failed.png")

    failed.get_by_role("button", name="Run again").click()
    expect(page.get_by_role("status")).to_contain_text("Company registry is queued to run again.")
    expect(plugin_runs(page).last.locator(".plugin-run-status")).to_have_text("Queued")
    expect(plugin_runs(page).last).to_contain_text("run again by operator")

    run_worker()
    page.reload()
    expect(plugin_runs(page)).to_have_count(2)
    expect(plugin_runs(page).first.locator(".plugin-run-status")).to_have_text("Failed")
    expect(plugin_runs(page).last.locator(".plugin-run-status")).to_have_text("Succeeded")
    expect(plugin_runs(page).last).to_contain_text("HTTP 200")
    expect(page.locator("#case-state")).to_contain_text("review")
    # The case has left the state that runs the plugin: nothing is left to run again.
    expect(page.get_by_role("button", name="Run again")).to_have_count(0)


def test_a_viewer_sees_the_failed_run_but_no_run_again_button(failed_check, login, live_server):
    page = open_case(login, live_server, failed_check, "viewer")
    expect(plugin_runs(page).locator(".plugin-run-status")).to_have_text("Failed")
    expect(page.get_by_role("button", name="Run again")).to_have_count(0)
