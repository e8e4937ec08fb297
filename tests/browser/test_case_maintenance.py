"""Case maintenance in Chromium, on a phone (390x844) and a wide screen (1440x900): an operator
corrects a case's entity data, and moves a failed case to a newer version of its workflow."""

import re

import pytest
from playwright.sync_api import expect

from workflows.actors import Actor
from workflows.errors import WorkflowFailed
from workflows.definitions import definition_save
from workflows.services import workflow_send_event, workflow_start
from tests.factories import business_context, demo_case_start
from tests.workflows.test_maintenance import BROKEN, REPAIRED

PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1440, "height": 900}
VIEWPORTS = pytest.mark.parametrize("viewport", [PHONE, WIDE], ids=["phone", "wide"])


def horizontal_overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.fixture
def kyb_case(demo):
    return demo_case_start(
        demo, "kyb-77", "Northwind Ltd", additionalInfo={"mainRepresentative": {"firstName": "Ann", "lastName": "Lee", "email": "ann@example.com"}}
    )


@pytest.fixture
def failed_case(demo):
    definition_save(project=demo, key="repairable", name="Repairable review", statechart=BROKEN)
    case = workflow_start(project=demo, workflow_id="repairable", context=business_context("kyb-78", "Fabrikam", score=5), actor=Actor()).runtime
    with pytest.raises(WorkflowFailed):
        workflow_send_event(project=demo, runtime_id=case.pk, name="check", actor=Actor())
    definition_save(project=demo, key="repairable", name="Repairable review", statechart=REPAIRED)
    return case


@VIEWPORTS
def test_an_operator_corrects_the_entity_data_from_the_case_page(kyb_case, login, live_server, screenshots, viewport):
    page = login("operator", "operator")
    page.set_viewport_size(viewport)
    page.goto(f"{live_server.url}/cases/{kyb_case.pk}/")
    page.get_by_role("link", name="Edit entity data").click()
    expect(page.get_by_role("heading", name="Edit entity data: Northwind Ltd", level=1)).to_be_visible()
    name = page.get_by_label("Company Name", exact=True)
    expect(name).to_have_value("Northwind Ltd")
    email = page.get_by_label("Email", exact=True)
    email.fill("not an email")
    page.get_by_role("button", name="Save corrections").click()
    expect(page.locator(".invalid-feedback").filter(has_text="Enter a valid email address.")).to_be_visible()
    assert horizontal_overflow(page) <= 0
    page.screenshot(path=screenshots / f"case-edit-entity-{viewport['width']}.png", full_page=True)

    page.get_by_label("Email", exact=True).fill("ann.lee@example.com")
    page.get_by_label("Company Name", exact=True).fill("Northwind Trading Ltd")
    page.get_by_role("button", name="Save corrections").click()
    expect(page.get_by_text("Entity data corrected (2 changes).")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Northwind Trading Ltd")
    changes = page.locator("#timeline .entity-changes").first
    expect(changes).to_contain_text('companyName: "Northwind Ltd" → "Northwind Trading Ltd"')
    expect(changes).to_contain_text('additionalInfo.mainRepresentative.email: "ann@example.com" → "ann.lee@example.com"')
    assert horizontal_overflow(page) <= 0


@VIEWPORTS
def test_an_operator_moves_a_failed_case_to_a_newer_version(failed_case, login, live_server, screenshots, viewport):
    page = login("operator", "operator")
    page.set_viewport_size(viewport)
    page.goto(f"{live_server.url}/cases/{failed_case.pk}/")
    expect(page.locator("#case-outcome")).to_have_text("Failed")
    page.get_by_role("link", name="Move to a newer version").click()
    expect(page.get_by_label("Version", exact=True)).to_have_value(re.compile(".+"))
    expect(page.get_by_role("radio", name=re.compile("^Review review"))).to_be_checked()
    expect(page.get_by_role("radio", name=re.compile("^Approved"))).to_have_count(0)
    assert horizontal_overflow(page) <= 0
    page.screenshot(path=screenshots / f"case-move-version-{viewport['width']}.png", full_page=True)

    page.get_by_role("radio", name=re.compile("^Triage")).check()
    page.get_by_role("button", name="Move to version 2").click()
    expect(page.get_by_text("Moved from version 1 to version 2; the case is active in state Review.")).to_be_visible()
    expect(page.locator("#case-status")).to_have_text("active")
    expect(page.locator("#timeline .version-move").first).to_contain_text("Version 1 → 2, state review → triage")
    expect(page.locator("#maintenance")).not_to_contain_text("Move to a newer version")
    assert horizontal_overflow(page) <= 0


def test_a_viewer_sees_no_maintenance_box(failed_case, login, live_server):
    page = login("viewer", "viewer")
    page.goto(f"{live_server.url}/cases/{failed_case.pk}/")
    expect(page.locator("#case-outcome")).to_have_text("Failed")
    expect(page.locator("#maintenance")).to_have_count(0)
