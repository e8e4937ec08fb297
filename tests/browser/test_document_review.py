"""An operator's document review in Chromium: files uploaded through Add Case Manually, the
image viewed (zoomed and rotated), one document approved and the other rejected, and the
case moving by itself from the decisions."""

import pytest
from playwright.sync_api import expect

from documents.models import StoredFile
from tests.documents.samples import pdf, png
from workflows.models import WorkflowRuntime

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def files(tmp_path):
    passport, bill = tmp_path / "passport.png", tmp_path / "bill.pdf"
    passport.write_bytes(png((320, 200)))
    bill.write_bytes(pdf())
    return passport, bill


def test_an_operator_uploads_reviews_and_decides_documents_and_the_case_moves_itself(demo, login, live_server, files, screenshots):
    passport, bill = files
    page = login("operator", "operator")
    page.goto(f"{live_server.url}/queues/document-review/new/?definition=kyc_document_review_demo")
    page.get_by_label("Entity ID (As represented in your system)").fill("person-42")
    page.get_by_label("First Name").fill("Ada")
    page.get_by_label("Last Name").fill("King")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Identification - passport").set_input_files(str(passport))
    page.get_by_label("Proof of address - utility bill").set_input_files(str(bill))
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("heading", name="Documents")).to_be_visible()
    assert StoredFile.objects.count() == 2

    cards = page.locator(".document-card")
    expect(cards).to_have_count(2)
    image = cards.nth(0).locator("img.document-image")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth") == 320  # served and decoded
    cards.nth(0).get_by_role("button", name="Zoom in").click()
    cards.nth(0).get_by_role("button", name="Rotate").click()
    assert image.get_attribute("data-scale") == "1.25" and image.get_attribute("data-rotation") == "90"
    expect(cards.nth(1).locator("iframe.document-pdf")).to_be_visible()
    page.screenshot(path=str(screenshots / "document-review.png"), full_page=True)

    cards.nth(0).get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Passport: approved.")).to_be_visible()
    expect(page.locator(".document-card").nth(0).locator(".document-decision")).to_have_text("Approved")
    runtime = WorkflowRuntime.objects.get(entity__correlation_id="person-42")
    assert runtime.state == "document_review"

    second = page.locator(".document-card").nth(1)
    second.locator("select[name=reason]").first.select_option("Document forged or tampered with")
    second.get_by_role("button", name="Reject").click()
    expect(page.get_by_text("Utility bill: rejected.")).to_be_visible()
    expect(page.locator("#case-state")).to_contain_text("rejected")
    runtime.refresh_from_db()
    assert (runtime.state, runtime.status) == ("rejected", "completed")
    decisions = [document["decision"]["status"] for document in runtime.context["documents"]]
    assert decisions == ["approved", "rejected"]
