"""Child cases in Chromium: a business with two UBOs gets a KYC case per UBO from the real
worker; an operator approves both from their own pages and sees the parent move on."""

import pytest
from playwright.sync_api import expect

from tests.webhooks.conftest import run_worker
from workflows.actors import Actor
from workflows.models import WorkflowRuntime
from workflows.services import workflow_start

pytestmark = pytest.mark.django_db(transaction=True)

UBOS = [
    {"id": "ubo-helen", "firstName": "Helen", "lastName": "Park", "email": "helen@example.com", "ownership": 55},
    {"id": "ubo-omar", "firstName": "Omar", "lastName": "Haddad", "email": "omar@example.com", "ownership": 45},
]


def test_approving_both_ubo_cases_moves_the_parent_to_manual_review(demo, login, live_server, screenshots):
    context = {
        "entity": {"type": "business", "id": "biz-ubo", "data": {"companyName": "Meridian Shipping Ltd", "additionalInfo": {"ubos": UBOS}}},
        "documents": [],
    }
    parent = workflow_start(project=demo, workflow_id="kyb_ubo_demo", context=context, actor=Actor()).runtime
    run_worker()
    page = login("operator", "operator")
    page.goto(f"{live_server.url}/cases/{parent.pk}/")
    rows = page.locator("#children .child-case")
    expect(rows).to_have_count(2)
    expect(page.locator("#children")).to_contain_text("55%")
    expect(page.locator("#case-state")).to_contain_text("awaiting_ubos")
    page.screenshot(path=str(screenshots / "parent-with-children.png"), full_page=True)

    for name in ("Helen Park", "Omar Haddad"):
        page.goto(f"{live_server.url}/cases/{parent.pk}/")
        page.locator("#children").get_by_role("link", name=name).click()
        expect(page.locator("#case-parent")).to_contain_text("Meridian Shipping Ltd")
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Approve", exact=True).click()
        expect(page.locator("#case-status")).to_have_text("completed")

    page.locator("#case-parent").get_by_role("link").click()
    expect(page.locator("#case-state")).to_contain_text("manual_review")
    expect(page.locator("#children .child-case[data-state=approved]")).to_have_count(2)
    parent.refresh_from_db()
    assert parent.state == "manual_review"
    assert {entry["state"] for entry in parent.context["childWorkflows"]["kyc_ubo_demo"].values()} == {"approved"}
    assert WorkflowRuntime.objects.filter(parent_runtime=parent, status="completed").count() == 2
