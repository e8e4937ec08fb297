"""An operator's day in a real browser (Debian's Chromium driven by Playwright)."""

import re

from playwright.sync_api import expect

from django.contrib.auth import get_user_model

from projects.models import Role
from projects.services import membership_set
from tests.factories import demo_case_start, individual_context
from workflows.actors import Actor
from workflows.models import Entity, HistoryKind, WorkflowRuntime
from workflows.services import workflow_start

KYB_FORM = {
    "Entity ID (As represented in your system)": "manual-001",
    "Company Name": "Browser Test Ltd",
    "Company Type": "Private limited company",
    "Email": "rep@example.com",
    "First Name": "Rita",
    "Last Name": "Representative",
}


def open_add_case_form(page):
    page.get_by_role("link", name=re.compile("^Businesses Onboarding")).click()  # the menu (not "Back to ...")
    expect(page.get_by_role("heading", name="Businesses Onboarding")).to_be_visible()
    page.get_by_role("link", name="Add Case Manually").last.click()  # the one below the list (also beside the title)
    expect(page.get_by_role("heading", name="Add Case Manually")).to_be_visible()


def test_operator_adds_a_case_and_a_second_member_confirms_the_four_eyes_approval(demo, login, page, screenshots):
    page = login("operator", "operator")
    open_add_case_form(page)
    for label, value in KYB_FORM.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Submit", exact=True).click()

    expect(page.get_by_role("heading", name="Browser Test Ltd")).to_be_visible()
    expect(page.get_by_text("Case created for Browser Test Ltd")).to_be_visible()
    expect(page.locator("#case-state")).to_contain_text("manual_review")
    runtime = WorkflowRuntime.objects.get()
    assert runtime.created_by_user.username == "operator"
    assert runtime.context["entity"]["type"] == "business"

    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.get_by_text("Sent for a second approval")).to_be_visible()
    expect(page.locator("#case-outcome")).to_have_text("Pending second approval")
    expect(page.get_by_text("You made this decision")).to_be_visible()
    expect(page.get_by_role("button", name="Confirm Approve")).to_have_count(0)
    page.screenshot(path=screenshots / "case-pending-second-approval.png", full_page=True)

    checker = get_user_model().objects.create_user("checker", password="checker")
    membership_set(project=demo, user=checker, role=Role.ADMIN)
    page.context.clear_cookies()
    login("checker", "checker")
    page.goto(f"{page.url.split('/queues/')[0]}/cases/{runtime.pk}/")
    page.get_by_role("button", name="Confirm Approve").click()
    expect(page.get_by_role("status")).to_contain_text("Second approval given")
    expect(page.locator("#case-outcome")).to_have_text("Approved")
    expect(page.locator("#case-status")).to_have_text("completed")
    expect(page.locator("#case-decided")).to_contain_text("decided by checker")
    expect(page.locator("#timeline")).to_contain_text("manual_review → approved")
    expect(page.locator("#timeline")).to_contain_text("Second approval given")
    expect(page.locator("#timeline")).to_contain_text("Decision awaiting second approval")
    runtime.refresh_from_db()
    assert (runtime.state, runtime.assignee.username) == ("approved", "operator")
    assert runtime.history.get(kind=HistoryKind.DECISION_PROPOSED).actor_label == "operator"
    page.screenshot(path=screenshots / "case-wide.png", full_page=True)

    page.get_by_role("link", name=re.compile("^Businesses Onboarding")).click()  # the menu (not "Back to ...")
    page.get_by_label("Status").select_option("completed")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("link", name="Browser Test Ltd")).to_be_visible()
    page.screenshot(path=screenshots / "queue-wide.png", full_page=True)


def test_invalid_manual_form_shows_field_errors_and_creates_nothing(demo, login):
    page = login("operator", "operator")
    open_add_case_form(page)
    page.get_by_label("Entity ID (As represented in your system)").fill("manual-002")
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_label("First Name").fill("Rita")
    page.get_by_role("button", name="Submit", exact=True).click()

    expect(page.get_by_role("heading", name="Add Case Manually")).to_be_visible()
    expect(page.get_by_text("Enter a valid email address.")).to_be_visible()
    expect(page.get_by_text("This field is required.").first).to_be_visible()
    assert WorkflowRuntime.objects.count() == 0
    assert Entity.objects.count() == 0


def test_pages_fit_a_narrow_window(demo, login, page, screenshots):
    page.set_viewport_size({"width": 390, "height": 844})
    login("operator", "operator")
    expect(page.get_by_role("heading", name="Businesses Onboarding")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    page.screenshot(path=screenshots / "queue-narrow.png", full_page=True)


def test_viewer_sees_the_case_but_no_actions(demo, login, live_server):
    from workflows.actors import Actor
    from workflows.services import workflow_start
    from tests.factories import business_context

    runtime = workflow_start(project=demo, workflow_id="till_basic_kyb_demo", context=business_context(), actor=Actor()).runtime
    page = login("viewer", "viewer")
    page.goto(f"{live_server.url}/cases/{runtime.pk}/")
    expect(page.get_by_text("You can read this case")).to_be_visible()
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    expect(page.get_by_role("link", name="Add Case Manually")).to_have_count(0)


def start_demo_case(project, entity_id="dialog-1", company="Dialog Co"):
    return demo_case_start(project, entity_id, company)


def start_individual_case(project, entity_id="person-1"):
    """A case of the demo KYC workflow, whose approval needs one person."""
    return workflow_start(project=project, workflow_id="individual_kyc_demo", context=individual_context(entity_id), actor=Actor()).runtime


def test_operator_rejects_with_a_reason_from_the_list_and_a_comment(demo, login, live_server, screenshots):
    runtime = start_demo_case(demo, "reason-1", "Reason Co")
    page = login("operator", "operator")
    page.goto(f"{live_server.url}/cases/{runtime.pk}/")
    page.get_by_role("button", name="Reject", exact=True).click()
    page.get_by_label("Reason", exact=True).select_option("Sanctions or adverse media hit")
    page.get_by_label("Comment (optional)").fill("Listed on the EU consolidated list")
    page.get_by_role("button", name="Confirm Reject").click()
    expect(page.locator("#case-outcome")).to_have_text("Rejected")
    expect(page.locator("#case-decided")).to_contain_text("decided by operator")
    expect(page.locator("#timeline")).to_contain_text("Reason: Sanctions or adverse media hit")
    expect(page.locator("#timeline")).to_contain_text("Comment: Listed on the EU consolidated list")
    expect(page.locator("#timeline")).to_contain_text("manual_review → rejected")
    page.screenshot(path=screenshots / "case-rejected-with-reason.png", full_page=True)
    runtime.refresh_from_db()
    assert runtime.history.get(kind=HistoryKind.TRANSITION).payload == {
        "reason": "Sanctions or adverse media hit",
        "comment": "Listed on the EU consolidated list",
    }


def test_final_event_confirmed_in_the_dialog_completes_the_case(demo, login, live_server):
    runtime = start_individual_case(demo)
    page = login("operator", "operator")
    page.goto(f"{live_server.url}/cases/{runtime.pk}/")
    messages = []
    page.once("dialog", lambda dialog: (messages.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.locator("#case-status")).to_have_text("completed")
    assert "completes the case" in messages[0]
    expect(page.locator("#timeline")).to_contain_text("manual_review → approved")


def test_cancel_in_the_dialog_sends_nothing(demo, login, live_server):
    runtime = start_individual_case(demo, "cancel-1")
    page = login("operator", "operator")
    page.goto(f"{live_server.url}/cases/{runtime.pk}/")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Approve", exact=True).click()
    page.wait_for_timeout(500)  # time for a submission to go out, were one sent
    expect(page.get_by_role("heading", name="Confirm")).to_have_count(0)
    expect(page.locator("#case-status")).to_have_text("active")
    assert page.url == f"{live_server.url}/cases/{runtime.pk}/"
    runtime.refresh_from_db()
    assert runtime.state == "manual_review"


def test_final_event_works_without_javascript(demo, browser, live_server):
    runtime = start_individual_case(demo, "nojs-1")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/cases/{runtime.pk}/")
    page.get_by_label("Username").fill("operator")
    page.get_by_label("Password").fill("operator")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="Approve", exact=True).click()
    page.get_by_role("button", name="Confirm approve").click()
    expect(page.locator("#case-status")).to_have_text("completed")
    context.close()
