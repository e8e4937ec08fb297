"""The readable entity and the entity profile in Chromium, on a phone (390x844) and a wide
screen (1440x900): the business's labelled fields, its UBO table linking to a UBO's child case,
from there the person's profile, and the case file download."""

import pytest
from playwright.sync_api import expect

from workflows.actors import Actor
from workflows.services import workflow_start

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1440, "height": 900}
VIEWPORTS = pytest.mark.parametrize("viewport", [PHONE, WIDE], ids=["phone", "wide"])
UBOS = [
    {"id": "ubo-helen", "firstName": "Helen", "lastName": "Park", "email": "helen@example.com", "ownership": 55},
    {"id": "ubo-omar", "firstName": "Omar", "lastName": "Haddad", "email": "omar@example.com", "ownership": 45},
]


def horizontal_overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


@pytest.fixture
def family(demo):
    data = {
        "companyName": "Meridian Shipping Ltd", "registrationNumber": "08123456", "country": "GB", "legalForm": "Private limited company",
        "address": {"street": "Dock Road", "streetNumber": "4", "city": "Southampton", "postcode": "SO14 3XX"},
        "website": "https://meridian.example", "additionalInfo": {"ubos": UBOS, "mainRepresentative": {"firstName": "Helen", "lastName": "Park", "email": "helen@example.com"}},
    }
    parent = workflow_start(project=demo, workflow_id="kyb_ubo_demo", context={"entity": {"type": "business", "id": "biz-ubo", "data": data}, "documents": []}, actor=Actor()).runtime
    person = {"entity": {"type": "individual", "id": "ubo-helen", "data": {"firstName": "Helen", "lastName": "Park", "email": "helen@example.com", "ownership": 55}}, "documents": []}
    child = workflow_start(project=demo, workflow_id="kyc_ubo_demo", context=person, actor=Actor(), parent=parent).runtime
    return parent, child


@VIEWPORTS
def test_the_case_page_shows_the_business_and_its_ubo_table_links_to_the_child_case(family, login, live_server, screenshots, viewport):
    parent, child = family
    page = login("operator", "operator")
    page.set_viewport_size(viewport)
    page.goto(f"{live_server.url}/cases/{parent.pk}/")
    entity = page.locator("#readable-entity")
    expect(entity.locator("dd[data-key=registrationNumber]")).to_have_text("08123456")
    expect(entity.locator("dd[data-key=address]")).to_contain_text("Dock Road 4")
    expect(entity.get_by_role("link", name="https://meridian.example")).to_have_attribute("href", "https://meridian.example")
    rows = page.locator("#entity-people .entity-person")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("55%")
    expect(page.locator("#context-title")).to_have_count(1)
    assert horizontal_overflow(page) <= 0
    page.screenshot(path=str(screenshots / f"readable-entity-{viewport['width']}.png"), full_page=True)
    rows.nth(0).locator("a.person-case").click()
    expect(page).to_have_url(f"{live_server.url}/cases/{child.pk}/")
    expect(page.locator("#case-parent")).to_contain_text("Meridian Shipping Ltd")


@VIEWPORTS
def test_the_entity_profile_lists_the_cases_and_is_reached_from_the_case_header(family, login, live_server, screenshots, viewport):
    parent, child = family
    page = login("operator", "operator")
    page.set_viewport_size(viewport)
    page.goto(f"{live_server.url}/cases/{child.pk}/")
    page.locator("#case-entity-link").click()
    expect(page.locator("#entity-name")).to_have_text("Helen Park")
    expect(page.locator("#entity-cases .entity-case")).to_have_count(1)
    expect(page.locator("#entity-cases")).to_contain_text("KYC of a business's UBO")
    assert horizontal_overflow(page) <= 0
    page.screenshot(path=str(screenshots / f"entity-profile-{viewport['width']}.png"), full_page=True)
    page.locator("#entity-cases").get_by_role("link", name="Open").click()
    expect(page).to_have_url(f"{live_server.url}/cases/{child.pk}/")


def test_a_viewer_downloads_the_case_file(family, login, live_server):
    parent, _ = family
    page = login("viewer", "viewer")
    page.goto(f"{live_server.url}/cases/{parent.pk}/")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download case file").click()
    download = info.value
    assert download.suggested_filename == f"case-{parent.pk}.html"
    html = open(download.path(), encoding="utf-8").read()
    assert "Meridian Shipping Ltd" in html and "<script" not in html


@VIEWPORTS
def test_the_case_file_reads_on_a_phone_and_on_a_wide_screen(family, login, live_server, screenshots, viewport):
    from workflows.case_work import case_add_note

    parent, _ = family
    case_add_note(project=parent.project, runtime_id=parent.pk, text="Checked the register by phone. " * 6, actor=Actor())
    page = login("viewer", "viewer")
    html = page.request.get(f"{live_server.url}/cases/{parent.pk}/case-file.html").text()
    page.set_viewport_size(viewport)
    page.set_content(html)
    page.screenshot(path=str(screenshots / f"case-file-{viewport['width']}.png"), full_page=True)
    assert horizontal_overflow(page) <= 0
    body = page.evaluate("document.body.clientWidth")
    when = page.locator("#history td.nowrap").first
    note = page.locator("#notes td.pre").first
    if viewport is PHONE:
        # Rows are blocks: the note gets the screen's width, not a column squeezed beside the time.
        assert note.evaluate("el => el.getBoundingClientRect().width") > body * 0.8
        assert when.evaluate("el => el.getBoundingClientRect().width") > body * 0.8
    else:
        expect(page.locator("#history thead")).to_be_visible()
        assert when.evaluate("el => el.getBoundingClientRect().width") < body * 0.3  # a column of the table
