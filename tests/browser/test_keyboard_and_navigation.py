"""Keyboard shortcuts (static/js/keys.js), walking a queue's view from a case page and Add Case
Manually beside the title, in Chromium at a phone's width and a desktop's (issue 16 items 3,
9 and 10). Every shortcut presses what the page has anyway: the last test works it without
JavaScript."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.factories import demo_case_start, individual_context
from workflows.actors import Actor
from workflows.models import WorkflowRuntime
from workflows.services import workflow_start

WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
QUEUE = "/queues/businesses-onboarding/"


@pytest.fixture(params=list(WIDTHS))
def width(request, page):
    page.set_viewport_size(WIDTHS[request.param])
    return request.param


def named_cases(project, names):
    return [demo_case_start(project, f"nav-{n}", name) for n, name in enumerate(names)]


def case_heading(page, name):
    return page.get_by_role("heading", level=1, name=name)


def keys_ready(page):
    """keys.js runs after the page is parsed (defer): a key pressed before it would be lost."""
    expect(page.locator("#keys-help-button")).to_be_attached()


def press(page, key):
    keys_ready(page)
    page.keyboard.press(key)


def same_view(url, expected):
    left, right = urlsplit(url), urlsplit(expected)
    return left.path == right.path and parse_qs(left.query) == parse_qs(right.query)


def test_j_and_k_move_through_the_rows_and_enter_opens_the_highlighted_case(demo, login, live_server, width, screenshots):
    named_cases(demo, ["Anna Co", "Bruno Co", "Carla Co"])
    page = login("operator", "operator")
    page.goto(f"{live_server.url}{QUEUE}?sort=name")
    rows = page.locator("table.case-table tbody tr")
    press(page, "j")
    expect(rows.nth(0)).to_have_attribute("data-key-selected", "true")
    expect(rows.nth(0).get_by_role("link", name="Anna Co")).to_be_focused()
    press(page, "j")
    press(page, "j")
    expect(rows.nth(2)).to_have_class(re.compile(r"\btable-active\b"))
    expect(rows.nth(0)).not_to_have_attribute("data-key-selected", "true")
    press(page, "k")
    expect(rows.nth(1)).to_have_attribute("data-key-selected", "true")
    page.screenshot(path=screenshots / f"queue-keyboard-{width}.png")
    page.keyboard.press("Enter")
    expect(case_heading(page, "Bruno Co")).to_be_visible()
    assert same_view(parse_qs(urlsplit(page.url).query)["from"][0], f"{QUEUE}?sort=name")


def test_question_mark_opens_the_list_of_keys_as_a_dialog_that_escape_closes(demo, login, live_server, width, screenshots):
    runtime = named_cases(demo, ["Help Co"])[0]
    page = login("operator", "operator")
    page.goto(f"{live_server.url}/cases/{runtime.pk}/")
    opener = page.locator("#keys-help-button")
    opener.focus()
    press(page, "?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("aria-modal", "true")
    expect(dialog).to_contain_text("Assign to me")
    expect(dialog).to_contain_text("Next case in the view")
    expect(dialog.get_by_role("button", name="Close")).to_be_focused()
    page.keyboard.press("Tab")  # focus stays in the dialog: the page behind is inert
    assert page.evaluate("document.getElementById('keys-help').contains(document.activeElement) || document.activeElement === document.body")
    press(page, "a")  # no shortcut runs behind the dialog
    page.screenshot(path=screenshots / f"case-keys-help-{width}.png")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()  # focus returns where it was
    assert WorkflowRuntime.objects.get(pk=runtime.pk).assignee is None


def test_the_queue_lists_its_keys_on_question_mark(demo, login, live_server, width):
    named_cases(demo, ["Listed Co"])
    page = login("operator", "operator")
    page.goto(f"{live_server.url}{QUEUE}")
    press(page, "?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_contain_text("Next row")
    expect(dialog).to_contain_text("Open the highlighted case")
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()


def test_a_assigns_the_case_to_me(demo, login, live_server, width):
    runtime = named_cases(demo, ["Assign Co"])[0]
    page = login("operator", "operator")
    page.goto(f"{live_server.url}/cases/{runtime.pk}/")
    expect(page.get_by_role("button", name="Assign to me")).to_have_attribute("aria-keyshortcuts", "a")
    press(page, "a")
    expect(page.get_by_text("Assigned to operator.")).to_be_visible()
    expect(page.locator("#case-assignee")).to_have_text("operator")
    assert WorkflowRuntime.objects.get(pk=runtime.pk).assignee.username == "operator"


def test_keys_are_text_while_typing_a_note(demo, login, live_server, width):
    runtime = named_cases(demo, ["Typing Co"])[0]
    page = login("operator", "operator")
    page.goto(f"{live_server.url}/cases/{runtime.pk}/")
    press(page, "n")
    note = page.get_by_label("Note", exact=True)
    expect(note).to_be_focused()
    page.keyboard.type("a j ] u 1 ?")
    expect(note).to_have_value("a j ] u 1 ?")
    expect(page.get_by_role("dialog")).to_have_count(0)
    page.keyboard.press("Control+j")  # with a modifier, not a shortcut either
    page.keyboard.press("Escape")  # leaves the note: shortcuts work again
    press(page, "?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    assert WorkflowRuntime.objects.get(pk=runtime.pk).assignee is None


def test_a_number_presses_its_decision_button_and_a_final_one_still_asks(demo, login, live_server, width):
    runtime = workflow_start(project=demo, workflow_id="individual_kyc_demo", context=individual_context("keys-1"), actor=Actor()).runtime
    page = login("operator", "operator")
    page.goto(f"{live_server.url}/cases/{runtime.pk}/")
    approve = page.get_by_role("button", name="Approve", exact=True)  # the hint is not part of its name
    key = approve.get_attribute("aria-keyshortcuts")
    expect(approve.locator("kbd")).to_have_text(key)
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    press(page, key)
    page.wait_for_timeout(300)
    assert asked and "completes the case" in asked[0]
    assert WorkflowRuntime.objects.get(pk=runtime.pk).status == "active"  # dismissed: nothing sent
    page.once("dialog", lambda dialog: dialog.accept())
    press(page, key)
    expect(page.locator("#case-status")).to_have_text("completed")


def test_previous_and_next_walk_a_filtered_sorted_view_and_back_returns_to_it(demo, login, live_server, width, screenshots):
    named_cases(demo, ["Walk Alpha", "Other Co", "Walk Gamma", "Walk Beta", "Walk Delta"])
    page = login("operator", "operator")
    page.goto(f"{live_server.url}{QUEUE}")
    page.get_by_label("Search").fill("walk")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("link", name="Entity", exact=True).click()  # sort by name
    page.get_by_role("link", name="Entity", exact=True).click()  # and again: descending
    view = page.url.removeprefix(live_server.url)
    expect(page.locator("table.case-table tbody tr")).to_have_count(4)
    page.get_by_role("link", name="Walk Gamma").click()
    expect(case_heading(page, "Walk Gamma")).to_be_visible()
    expect(page.locator("#case-previous-none")).to_have_text("First case")
    page.get_by_role("link", name="Next case").click()
    expect(case_heading(page, "Walk Delta")).to_be_visible()
    press(page, "]")
    expect(case_heading(page, "Walk Beta")).to_be_visible()
    press(page, "j")
    expect(case_heading(page, "Walk Alpha")).to_be_visible()
    expect(page.get_by_role("link", name="Next case")).to_have_count(0)  # the last of the view
    expect(page.locator("#case-next-none")).to_have_text("Last case")
    press(page, "[")
    expect(case_heading(page, "Walk Beta")).to_be_visible()
    page.screenshot(path=screenshots / f"case-walk-{width}.png", full_page=width == "phone")
    press(page, "u")
    expect(page.get_by_role("heading", name="Businesses Onboarding")).to_be_visible()
    assert same_view(page.url.removeprefix(live_server.url), view)
    expect(page.get_by_label("Search")).to_have_value("walk")
    expect(page.locator("th[aria-sort='descending']")).to_contain_text("Entity")
    expect(page.locator("table.case-table tbody tr")).to_have_count(4)


def test_the_view_survives_assigning_the_case(demo, login, live_server, width):
    named_cases(demo, ["Keep Alpha", "Keep Beta"])
    page = login("operator", "operator")
    page.goto(f"{live_server.url}{QUEUE}?sort=name&q=keep")
    page.get_by_role("link", name="Keep Alpha").click()
    page.get_by_role("button", name="Assign to me").click()
    expect(page.get_by_text("Assigned to operator.")).to_be_visible()
    page.get_by_role("link", name="Next case").click()
    expect(case_heading(page, "Keep Beta")).to_be_visible()
    page.get_by_role("link", name="Back to Businesses Onboarding").click()
    page.wait_for_url(re.compile(re.escape(QUEUE) + r"\?"))
    assert same_view(page.url.removeprefix(live_server.url), f"{QUEUE}?sort=name&q=keep")


def test_add_case_manually_is_beside_the_title_without_scrolling(demo, login, live_server, width):
    named_cases(demo, [f"Long list {n:02}" for n in range(25)])
    page = login("operator", "operator")
    page.goto(f"{live_server.url}{QUEUE}")
    top = page.locator("#add-case-top")
    expect(top).to_be_in_viewport()
    heading = page.get_by_role("heading", name="Businesses Onboarding").bounding_box()
    box = top.bounding_box()
    assert box["y"] < heading["y"] + heading["height"] + 60  # on the title's line, or just under it
    expect(page.get_by_role("link", name="Add Case Manually")).to_have_count(2)  # and still at the bottom
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    top.click()
    expect(page.get_by_role("heading", name="Add Case Manually")).to_be_visible()


def test_without_javascript_the_links_and_forms_still_do_everything(demo, browser, live_server, width):
    named_cases(demo, ["Plain Alpha", "Plain Beta", "Plain Gamma"])
    context = browser.new_context(java_script_enabled=False, viewport=WIDTHS[width])
    page = context.new_page()
    page.goto(f"{live_server.url}{QUEUE}?sort=-name&q=plain")
    page.get_by_label("Username").fill("operator")
    page.get_by_label("Password").fill("operator")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#keys-help-button")).to_have_count(0)  # no shortcuts offered without them
    page.keyboard.press("j")
    expect(page.locator("[data-key-selected]")).to_have_count(0)
    page.get_by_role("link", name="Plain Gamma").click()
    page.get_by_role("link", name="Next case").click()
    expect(case_heading(page, "Plain Beta")).to_be_visible()
    page.get_by_role("button", name="Assign to me").click()
    expect(page.locator("#case-assignee")).to_have_text("operator")
    page.get_by_role("link", name="Previous case").click()
    expect(case_heading(page, "Plain Gamma")).to_be_visible()
    page.get_by_role("link", name="Back to Businesses Onboarding").click()
    page.wait_for_url(re.compile(re.escape(QUEUE) + r"\?"))
    assert same_view(page.url.removeprefix(live_server.url), f"{QUEUE}?sort=-name&q=plain")
    page.locator("#add-case-top").click()
    expect(page.get_by_role("heading", name="Add Case Manually")).to_be_visible()
    context.close()
