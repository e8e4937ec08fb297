"""Bulk assignment and saved views in Chromium, at phone and desktop widths."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from projects.models import Role
from projects.services import membership_set
from workflows.actors import Actor
from workflows.models import WorkflowRuntime
from workflows.case_work import case_assign

from ..factories import demo_case_start

PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1440, "height": 900}
VIEWPORTS = pytest.mark.parametrize("viewport", [PHONE, WIDE], ids=["phone", "wide"])


@pytest.fixture
def cases(demo):
    return [demo_case_start(demo, f"b-{n}", f"Bulk Company {n}") for n in range(4)]


def no_sideways_scroll(page):
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).map(e => e.tagName + '.' + e.className + '#' + e.id + ':' + Math.round(e.getBoundingClientRect().right)).slice(0, 15)""")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), wide


@VIEWPORTS
def test_an_operator_assigns_ticked_cases_and_sees_the_refused_one_named(demo, cases, login, page, viewport, screenshots):
    bea = get_user_model().objects.create_user("bea", password="bea")
    membership_set(project=demo, user=bea, role=Role.OPERATOR)
    case_assign(project=demo, runtime_id=cases[0].pk, assignee=bea, actor=Actor(user=bea))
    page.set_viewport_size(viewport)
    page = login("operator", "operator")
    expect(page.get_by_role("heading", name="Businesses Onboarding", level=1)).to_be_visible()
    no_sideways_scroll(page)
    page.get_by_label("Select Bulk Company 0").check()
    page.get_by_label("Select Bulk Company 1").check()
    page.get_by_label("Select Bulk Company 2").check()
    expect(page.get_by_label("Select all on this page")).to_be_visible()
    page.get_by_label("Action").select_option("assign_me")
    page.screenshot(path=screenshots / f"bulk-selected-{viewport['width']}.png", full_page=True)
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#bulk-summary")).to_have_text("2 assigned to operator; 1 could not be changed:")
    expect(page.locator("#bulk-refused")).to_contain_text("Bulk Company 0")
    expect(page.locator("#bulk-refused")).to_contain_text("It is assigned to bea.")
    no_sideways_scroll(page)
    page.screenshot(path=screenshots / f"bulk-result-{viewport['width']}.png", full_page=True)
    page.get_by_role("link", name="Back to the queue").click()
    expect(page.get_by_role("heading", name="Businesses Onboarding", level=1)).to_be_visible()
    assert sorted(WorkflowRuntime.objects.filter(assignee_username="operator").values_list("entity_name", flat=True)) == [
        "Bulk Company 1", "Bulk Company 2",
    ]


@VIEWPORTS
def test_select_all_on_the_page_ticks_every_row_and_all_matching_follows_the_filter(demo, cases, login, page, viewport):
    page.set_viewport_size(viewport)
    page = login("operator", "operator")
    page.get_by_label("Select all on this page").check()
    expect(page.locator("input.bulk-case:checked")).to_have_count(4)
    page.get_by_label("Select all on this page").uncheck()
    expect(page.locator("input.bulk-case:checked")).to_have_count(0)
    page.get_by_label("Search").fill("Bulk Company 3")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("table.case-table tbody tr")).to_have_count(1)
    expect(page.get_by_label("Cases", exact=True)).to_contain_text("All 1 matching (at most 1,000)")
    page.get_by_label("Cases", exact=True).select_option("all")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#bulk-summary")).to_have_text("1 assigned to operator.")
    assert list(WorkflowRuntime.objects.filter(assignee_username="operator").values_list("entity_name", flat=True)) == ["Bulk Company 3"]


@VIEWPORTS
def test_an_operator_saves_a_view_opens_it_from_the_menu_and_deletes_it(demo, cases, login, page, viewport, screenshots):
    page.set_viewport_size(viewport)
    page = login("operator", "operator")
    page.get_by_label("Search").fill("Company 2")
    page.get_by_role("button", name="Filter").click()
    page.locator("#saved-views summary").click()
    page.get_by_label("Name of this view").fill("Company two <b>")
    page.get_by_role("button", name="Save this view").click()
    expect(page.get_by_role("status")).to_contain_text("Saved “Company two <b>” in your views under Businesses Onboarding.")
    page.get_by_role("link", name="Reset").click()
    expect(page.locator("table.case-table tbody tr")).to_have_count(4)
    menu_link = page.locator("aside a.saved-view", has_text="Company two <b>")
    expect(menu_link).to_be_visible()
    no_sideways_scroll(page)
    page.screenshot(path=screenshots / f"saved-view-menu-{viewport['width']}.png", full_page=True)
    menu_link.click()
    expect(page.locator("table.case-table tbody tr")).to_have_count(1)
    expect(page.get_by_label("Search")).to_have_value("Company 2")
    page.get_by_role("button", name=re.compile("Delete the view")).click()
    expect(page.get_by_role("status")).to_contain_text("Deleted the view “Company two <b>”.")
    expect(page.locator("aside a.saved-view")).to_have_count(0)


def test_a_viewer_has_no_checkboxes_but_can_save_a_view(demo, cases, login, page):
    page.set_viewport_size(WIDE)
    page = login("viewer", "viewer")
    expect(page.locator("table.case-table tbody tr")).to_have_count(4)
    expect(page.locator("input.bulk-case")).to_have_count(0)
    expect(page.locator("#bulk-form")).to_have_count(0)
    page.locator("#saved-views summary").click()
    page.get_by_label("Name of this view").fill("All of them")
    page.get_by_role("button", name="Save this view").click()
    expect(page.locator("aside a.saved-view", has_text="All of them")).to_be_visible()
