"""Due times and search in Chromium at 390 px and 1440 px: the Due and Age columns, the overdue
filter and the due sort, the menu's overdue count and the closed-matches hint."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import demo_case_start as start
from workflows.actors import Actor
from workflows.models import WorkflowRuntime
from workflows.services import workflow_send_event

PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1440, "height": 900}
WIDTHS = pytest.mark.parametrize("viewport", [PHONE, WIDE], ids=["390px", "1440px"])
QUEUE_PATH = "/queues/businesses-onboarding/"


def due_in(runtime, delta):
    WorkflowRuntime.objects.filter(pk=runtime.pk).update(due_at=timezone.now() + delta)


@pytest.fixture
def timed(demo):
    late = start(demo, "kyb-1", "Latecomer Trading Ltd")
    soon = start(demo, "kyb-2", "Soonish Foods Ltd")
    fresh = start(demo, "kyb-3", "Fresh Start Ltd")
    due_in(late, -timedelta(days=2, minutes=5))
    due_in(soon, timedelta(hours=5, minutes=5))
    due_in(fresh, timedelta(hours=20))
    WorkflowRuntime.objects.filter(pk=late.pk).update(created_at=timezone.now() - timedelta(days=4, hours=1))
    for n in (4, 5):
        closed = start(demo, f"kyb-{n}", f"Smithson Closed {n} Ltd")
        workflow_send_event(project=demo, runtime_id=closed.pk, name="reject", actor=Actor(), payload={"reason": "Business type not accepted"})
    start(demo, "kyb-6", "Smithson Open Ltd")
    return late, soon, fresh


def open_queue(page, live_server, viewport, query=""):
    page.set_viewport_size(viewport)
    page.goto(f"{live_server.url}{QUEUE_PATH}{query}")
    expect(page.get_by_role("heading", name="Businesses Onboarding", level=1)).to_be_visible()


def row(page, name):
    return page.locator("tbody tr").filter(has=page.get_by_role("link", name=name, exact=True))


def names(page):
    return page.locator("tbody td.name > a")


def listed(page) -> list[str]:
    return [text.strip() for text in names(page).all_inner_texts()]


@WIDTHS
def test_the_due_time_and_the_age_are_shown_for_each_open_case(timed, login, live_server, viewport, screenshots):
    page = login("operator", "operator")
    open_queue(page, live_server, viewport)
    page.screenshot(path=screenshots / f"queue-due-{viewport['width']}.png", full_page=True)
    late, soon = row(page, "Latecomer Trading Ltd"), row(page, "Soonish Foods Ltd")
    overdue = late.locator(".case-overdue:visible").filter(has_text="overdue by 2 d")
    expect(overdue).to_have_count(1)
    expect(overdue).to_be_visible()
    expect(soon.locator(".case-due:visible")).to_have_text("due in 5 h")
    colour = overdue.evaluate("el => getComputedStyle(el).backgroundColor")
    assert colour != "rgba(0, 0, 0, 0)"  # marked, not plain text
    if viewport is WIDE:
        expect(page.get_by_role("columnheader", name="Due", exact=True)).to_be_visible()
        expect(page.get_by_role("columnheader", name="Age", exact=True)).to_be_visible()
        expect(late.locator("td.age")).to_have_text("4 d")
    else:
        # A phone has no room for the columns: the due time sits under the name.
        expect(page.get_by_role("columnheader", name="Due", exact=True)).to_have_count(0)
        expect(late.locator("td.name .case-due-phone")).to_contain_text("overdue by 2 d")
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


@WIDTHS
def test_the_overdue_filter_lists_only_open_cases_past_their_due_time(timed, login, live_server, viewport):
    page = login("operator", "operator")
    open_queue(page, live_server, viewport)
    page.get_by_label("Due", exact=True).select_option("overdue")
    page.get_by_role("button", name="Filter", exact=True).click()
    expect(page).to_have_url(re.compile(r"due=overdue"))
    expect(names(page)).to_have_text(["Latecomer Trading Ltd"])  # waits for the new page
    expect(page.locator("#case-count")).to_have_text("1 case")


@WIDTHS
def test_the_due_sort_puts_the_most_overdue_first(timed, login, live_server, viewport):
    page = login("operator", "operator")
    if viewport is WIDE:
        open_queue(page, live_server, viewport)
        page.get_by_role("columnheader", name="Due", exact=True).get_by_role("link").click()
        expect(page).to_have_url(re.compile(r"sort=due"))
    else:
        open_queue(page, live_server, viewport, "?sort=due")  # a phone's sort comes with the URL
    expect(names(page).first).to_have_text("Latecomer Trading Ltd")  # waits for the sorted page
    assert listed(page)[:3] == ["Latecomer Trading Ltd", "Soonish Foods Ltd", "Fresh Start Ltd"]
    if viewport is WIDE:
        page.get_by_role("columnheader", name="Due", exact=True).get_by_role("link").click()
        expect(page).to_have_url(re.compile(r"sort=-due"))
        expect(names(page).first).not_to_have_text("Latecomer Trading Ltd")  # the new page is in
        assert listed(page)[-3:] == ["Fresh Start Ltd", "Soonish Foods Ltd", "Latecomer Trading Ltd"]


@WIDTHS
def test_the_menu_shows_the_overdue_count_beside_the_open_count(timed, login, live_server, viewport, screenshots):
    page = login("operator", "operator")
    open_queue(page, live_server, viewport)
    entry = page.locator(".queue-menu").get_by_role("link", name=re.compile("^Businesses Onboarding"))
    expect(entry.locator('[title="open cases"]')).to_have_text("4")
    badge = entry.locator(".queue-overdue")
    expect(badge).to_be_visible()
    expect(badge).to_have_text("1 overdue")  # "overdue" is for screen readers
    assert badge.evaluate("el => el.getBoundingClientRect().right") <= viewport["width"]
    page.locator(".queue-menu").screenshot(path=screenshots / f"menu-overdue-{viewport['width']}.png")


@WIDTHS
def test_a_search_hiding_closed_cases_says_how_many_and_shows_them_on_request(timed, login, live_server, viewport, screenshots):
    page = login("operator", "operator")
    open_queue(page, live_server, viewport)
    page.get_by_label("Search", exact=True).fill("smithson")
    page.get_by_role("button", name="Filter", exact=True).click()
    expect(page).to_have_url(re.compile(r"q=smithson"))
    expect(names(page)).to_have_text(["Smithson Open Ltd"])  # waits for the new page
    hint = page.locator("#closed-matches")
    expect(hint).to_contain_text("2 closed cases match this search")
    page.screenshot(path=screenshots / f"queue-closed-matches-{viewport['width']}.png", full_page=True)
    hint.get_by_role("link", name="show them").click()
    expect(page).to_have_url(re.compile(r"q=smithson.*status=any"))
    expect(names(page)).to_have_count(3)
    assert sorted(listed(page)) == ["Smithson Closed 4 Ltd", "Smithson Closed 5 Ltd", "Smithson Open Ltd"]
    expect(page.locator("#closed-matches")).to_have_count(0)


@WIDTHS
def test_the_case_page_shows_the_due_time_marked_when_overdue(timed, login, live_server, viewport):
    page = login("operator", "operator")
    page.set_viewport_size(viewport)
    page.goto(f"{live_server.url}/cases/{timed[0].pk}/")
    due = page.locator("#case-due")
    expect(due).to_contain_text("overdue by 2 d")
    expect(due.locator(".case-overdue")).to_be_visible()
