"""The demo's first login in Chromium: `operator` lands on a queue with work in it."""

import io
import re

import pytest
from django.core.management import call_command
from django.test import override_settings
from playwright.sync_api import expect

PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1440, "height": 900}


@pytest.fixture
def loaded_demo(transactional_db):
    with override_settings(DEBUG=True, PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        call_command("load_demo", "--no-api-key", stdout=io.StringIO())


@pytest.fixture
def fast_logins(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # as the demo users were hashed


@pytest.mark.parametrize("viewport", [PHONE, WIDE], ids=["phone", "wide"])
def test_the_operators_first_login_shows_the_business_queue_with_open_cases_to_work(loaded_demo, fast_logins, login, page, viewport, screenshots):
    page.set_viewport_size(viewport)
    page = login("operator", "operator")
    expect(page.get_by_role("heading", name="Businesses Onboarding", level=1)).to_be_visible()
    rows = page.locator("table.case-table tbody tr")
    expect(rows).to_have_count(12)  # the open business cases
    expect(page.get_by_role("link", name="Copperleaf Interiors Ltd")).to_be_visible()
    expect(page.locator("table.case-table").get_by_text("Pending second approval")).to_have_count(2)
    if viewport is WIDE:
        assignees = page.locator("table.case-table tbody td.wrap")
        expect(assignees.filter(has_text=re.compile("^operator$"))).to_have_count(5)
    page.screenshot(path=screenshots / f"demo-first-login-{viewport['width']}.png", full_page=True)

    page.get_by_role("link", name="Copperleaf Interiors Ltd").click()
    expect(page.get_by_role("heading", name="Copperleaf Interiors Ltd")).to_be_visible()
    expect(page.locator("#timeline")).to_contain_text("Waiting for the bank reference letter")


def test_the_menu_counts_the_open_cases_of_every_demo_queue(loaded_demo, fast_logins, login, page):
    page.set_viewport_size(WIDE)
    page = login("operator", "operator")
    for queue, count in (("Businesses Onboarding", 12), ("Individuals KYC", 7), ("Document review", 4), ("UBO checks", 1)):
        expect(page.get_by_role("link", name=re.compile(f"^{queue}.*{count}"))).to_be_visible()
