"""The queue page's layout on a phone (390x844) and a wide screen (1440x900), in Chromium."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from workflows.actors import Actor
from workflows.case_work import case_assign
from tests.factories import demo_case_start as start

PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1440, "height": 900}
QUEUE_PATH = "/queues/businesses-onboarding/"
LONG_NAME = "Unbroken" * 12 + "Holdings"  # 104 characters, no spaces


@pytest.fixture
def cases(demo):
    runtimes = [
        start(demo, "kyb-1001", "Northwind Trading Ltd"),
        start(demo, "kyb-1002", "Contoso Pharmaceuticals International plc"),
        start(demo, "kyb-1003", "Fabrikam"),
    ]
    case_assign(project=demo, runtime_id=runtimes[0].pk, assignee=get_user_model().objects.get(username="operator"), actor=Actor())
    return runtimes


def horizontal_overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def open_queue(page, live_server, viewport):
    page.set_viewport_size(viewport)
    page.goto(f"{live_server.url}{QUEUE_PATH}")
    expect(page.get_by_role("heading", name="Businesses Onboarding", level=1)).to_be_visible()


def login_without_javascript(browser, live_server, viewport):
    context = browser.new_context(java_script_enabled=False, viewport=viewport)
    page = context.new_page()
    page.goto(f"{live_server.url}{QUEUE_PATH}")
    page.get_by_label("Username", exact=True).fill("operator")
    page.get_by_label("Password", exact=True).fill("operator")
    page.get_by_role("button", name="Log in").click()
    return context, page


def test_on_a_phone_the_case_table_fits_the_screen_with_name_assignee_state_and_status(cases, login, live_server, screenshots):
    page = login("operator", "operator")
    open_queue(page, live_server, PHONE)
    page.screenshot(path=screenshots / "queue-390x844.png", full_page=True)
    scroller = page.locator(".table-responsive")
    assert scroller.evaluate("el => el.scrollWidth - el.clientWidth") <= 0
    for header in ("Entity", "State", "Status"):
        box = page.get_by_role("columnheader", name=re.compile(f"^{header}")).bounding_box()
        assert box and box["x"] + box["width"] <= PHONE["width"], header
    for header in ("Entity ID", "Workflow", "Assignee", "Created", "Updated"):
        expect(page.get_by_role("columnheader", name=re.compile(f"^{header}"))).to_have_count(0)
    row = page.get_by_role("row", name=re.compile("Northwind Trading Ltd"))
    expect(row).to_contain_text("Assigned to operator")
    expect(row).to_contain_text("manual_review")
    expect(row).to_contain_text("active")
    # No word is split: the name column is wide enough for the longest word in these names.
    name = page.get_by_role("link", name="Contoso Pharmaceuticals International plc")
    assert name.evaluate("el => el.getClientRects().length") <= 3
    assert horizontal_overflow(page) <= 0


def test_on_a_wide_screen_the_table_shows_every_column(cases, login, live_server, screenshots):
    page = login("operator", "operator")
    open_queue(page, live_server, WIDE)
    page.screenshot(path=screenshots / "queue-1440x900.png", full_page=True)
    for header in ("Entity", "Entity ID", "State", "Status", "Due", "Age", "Assignee", "Created", "Updated"):
        expect(page.get_by_role("columnheader", name=re.compile(f"^{header}( [▲▼])?$"))).to_be_visible()
    # The queue has one workflow: a column repeating its name would only push the others out.
    expect(page.get_by_role("columnheader", name=re.compile("^Workflow"))).to_have_count(0)
    assert horizontal_overflow(page) <= 0
    assert page.locator(".table-responsive").evaluate("el => el.scrollWidth - el.clientWidth") <= 0


@pytest.mark.parametrize("viewport", [PHONE, WIDE], ids=["phone", "wide"])
def test_the_search_placeholder_fits_its_field(demo, login, live_server, viewport):
    page = login("operator", "operator")
    open_queue(page, live_server, viewport)
    search = page.get_by_label("Search")
    room, needed = search.evaluate(
        """el => {
            const style = getComputedStyle(el);
            const context = document.createElement("canvas").getContext("2d");
            context.font = style.font;
            const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
            return [room, context.measureText(el.placeholder).width];
        }"""
    )
    assert needed <= room


def test_on_a_phone_the_queue_menu_is_one_line_above_the_content(cases, login, live_server):
    page = login("operator", "operator")
    open_queue(page, live_server, PHONE)
    heading = page.get_by_role("heading", name="Businesses Onboarding", level=1)
    assert heading.bounding_box()["y"] < 200  # right below the navigation bar and the menu line
    menu_link = page.get_by_role("link", name=re.compile(r"^Businesses Onboarding \d+$"))
    expect(menu_link).to_be_visible()
    expect(menu_link).to_have_attribute("aria-current", "page")
    expect(menu_link).to_have_accessible_name("Businesses Onboarding 3")  # with its open-case count
    assert horizontal_overflow(page) <= 0  # the menu line scrolls by itself, not the page
    other = page.get_by_role("link", name="Individuals KYC 0")
    other.click()
    expect(page.get_by_role("heading", name="Individuals KYC", level=1)).to_be_visible()


def test_on_a_phone_without_javascript_the_queue_menu_is_usable(cases, browser, live_server):
    context, page = login_without_javascript(browser, live_server, PHONE)
    page.get_by_role("link", name=re.compile(r"^Individuals KYC \d+$")).click()
    expect(page.get_by_role("heading", name="Individuals KYC", level=1)).to_be_visible()
    context.close()


def test_on_a_wide_screen_the_queue_menu_is_open_without_a_toggle(cases, login, live_server):
    page = login("operator", "operator")
    open_queue(page, live_server, WIDE)
    menu_link = page.get_by_role("link", name=re.compile(r"^Businesses Onboarding \d+$"))
    expect(menu_link).to_be_visible()
    expect(menu_link).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("heading", name="Businesses", exact=True)).to_be_visible()


@pytest.mark.parametrize("viewport", [PHONE, WIDE], ids=["phone", "wide"])
def test_a_long_unbroken_name_and_id_wrap_instead_of_widening_the_page(demo, login, live_server, viewport):
    runtime = start(demo, "id-" + "x" * 100, LONG_NAME)
    page = login("operator", "operator")
    open_queue(page, live_server, viewport)
    expect(page.get_by_role("link", name=LONG_NAME)).to_be_visible()
    assert horizontal_overflow(page) <= 0
    assert page.locator(".table-responsive").evaluate("el => el.scrollWidth - el.clientWidth") <= 0
    page.goto(f"{live_server.url}/cases/{runtime.pk}/")
    expect(page.get_by_role("heading", name=LONG_NAME)).to_be_visible()
    assert horizontal_overflow(page) <= 0



def heading_box(page, name):
    return page.get_by_role("heading", name=name, level=2).bounding_box()


def test_on_a_phone_the_case_page_puts_assignment_and_history_before_the_diagram(cases, login, live_server, screenshots):
    page = login("operator", "operator")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/cases/{cases[0].pk}/")
    order = [heading_box(page, name)["y"] for name in ("Actions", "Entity data", "Assignee", "History", "Workflow", "Context")]
    assert order == sorted(order)
    assert horizontal_overflow(page) <= 0
    page.screenshot(path=screenshots / "case-390x844.png", full_page=True)


def test_on_a_wide_screen_assignment_and_history_are_a_side_column(cases, login, live_server, screenshots):
    page = login("operator", "operator")
    page.set_viewport_size(WIDE)
    page.goto(f"{live_server.url}/cases/{cases[0].pk}/")
    actions, assignee = heading_box(page, "Actions"), heading_box(page, "Assignee")
    assert assignee["x"] > actions["x"] + actions["width"] and abs(assignee["y"] - actions["y"]) < 5
    documents, workflow = heading_box(page, "Documents"), heading_box(page, "Workflow")
    assert workflow["x"] == actions["x"] and workflow["y"] > documents["y"]
    page.screenshot(path=screenshots / "case-1440x900.png", full_page=True)


def test_on_a_phone_a_long_queue_menu_with_overdue_counts_scrolls_by_itself_and_never_widens_the_page(cases, login, live_server):
    from datetime import timedelta

    from django.utils import timezone

    from cases.models import Queue
    from workflows.models import EntityKind, WorkflowRuntime

    first = Queue.objects.get(project=cases[0].project, slug="businesses-onboarding")
    for index in range(6):
        queue = Queue.objects.create(project=first.project, name=f"Review team {index}", slug=f"team-{index}", entity_kind=EntityKind.BUSINESS)
        queue.definitions.set(first.definitions.all())
    WorkflowRuntime.objects.update(due_at=timezone.now() - timedelta(hours=2))
    page = login("operator", "operator")
    open_queue(page, live_server, PHONE)
    # Each overdue count carries a hidden " overdue" for screen readers, far right in the line.
    expect(page.get_by_role("link", name=re.compile("^Review team 5 3 3 overdue$"))).to_have_count(1)
    menu = page.locator(".queue-groups")
    assert menu.evaluate("el => el.scrollWidth - el.clientWidth") > 0  # the menu is longer than the screen
    assert horizontal_overflow(page) <= 0  # and the page is not


@pytest.mark.parametrize("width", [800, 1280, 1440])
def test_on_a_wide_screen_queue_names_in_the_menu_break_only_between_words(cases, login, live_server, width):
    from datetime import timedelta

    from django.utils import timezone

    from workflows.models import WorkflowRuntime

    WorkflowRuntime.objects.update(due_at=timezone.now() - timedelta(hours=2))  # red overdue counts beside the open ones
    page = login("operator", "operator")
    open_queue(page, live_server, {"width": width, "height": 900})
    names = page.locator(".queue-groups .nav-link > span:first-child")
    expect(names.first).to_be_visible()
    # Each name's box is at least as wide as its longest word set on one line: no word is cut.
    cut = names.evaluate_all(
        """spans => spans.filter(span => {
            const probe = document.createElement('span');
            probe.style.whiteSpace = 'nowrap';
            probe.style.font = getComputedStyle(span).font;
            probe.textContent = span.textContent.trim().split(/\\s+/).reduce((a, b) => (b.length > a.length ? b : a), '');
            document.body.appendChild(probe);
            const word = probe.getBoundingClientRect().width;
            probe.remove();
            return span.getBoundingClientRect().width + 0.5 < word;
        }).map(span => span.textContent.trim())"""
    )
    assert cut == []
    assert horizontal_overflow(page) <= 0
