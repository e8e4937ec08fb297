"""Stored files in Chromium, served by documents.serving with its headers: an image and a PDF
shown on their own and inside a same-origin iframe of one of our pages (the PDF by Chromium's
own viewer), and markup that can never run script on our origin."""

import io

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from documents.content import MimeType
from documents.models import StoredFile
from documents.services import FileRefused, documents_storage, file_store
from tests.documents import samples

FRAME_SIZE = {"width": 640, "height": 480}


@pytest.fixture
def operator_page(demo, login):
    return login("operator", "operator")


def frame_in_our_page(page, live_server, src, *, element="iframe"):
    """One of our own pages (the queue list) with the file framed in it, as a case page does."""
    page.goto(f"{live_server.url}/")
    page.evaluate(
        """([tag, src, size]) => {
            const frame = document.createElement(tag);
            frame.id = "framed";
            if (tag === "embed") { frame.type = "application/pdf"; }
            frame.src = src;
            frame.width = size.width;
            frame.height = size.height;
            document.body.prepend(frame);
        }""",
        [element, src, FRAME_SIZE],
    )
    return page.locator("#framed")


def dark_and_white_share(png: bytes) -> tuple[float, float]:
    with Image.open(io.BytesIO(png)) as shot:
        grey = shot.convert("L")
        histogram = grey.histogram()
    total = sum(histogram)
    return sum(histogram[:90]) / total, sum(histogram[250:]) / total


def pdf_viewer_shown(page, framed, screenshot_path) -> bool:
    """Chromium's viewer draws a dark toolbar and background around white pages; a blocked or
    downloaded PDF draws neither (a blocked frame is light grey)."""
    page.wait_for_timeout(1500)
    shot = framed.screenshot(path=screenshot_path)
    dark, white = dark_and_white_share(shot)
    return dark > 0.05 and white > 0.05


def test_an_image_opens_on_its_own(operator_page, live_server, demo, screenshots):
    stored = file_store(project=demo, content=samples.png(size=(120, 80)), file_name="passport.png")
    response = operator_page.goto(f"{live_server.url}/files/{stored.pk}/")
    assert response.status == 200
    size = operator_page.evaluate("() => { const img = document.querySelector('img'); return [img.naturalWidth, img.naturalHeight]; }")
    operator_page.screenshot(path=screenshots / "document-image-alone.png")
    assert size == [120, 80]


def test_an_image_shows_in_a_same_origin_iframe(operator_page, live_server, demo):
    stored = file_store(project=demo, content=samples.jpeg(size=(120, 80)), file_name="selfie.jpg")
    framed = frame_in_our_page(operator_page, live_server, f"/files/{stored.pk}/")
    frame = framed.element_handle().content_frame()
    frame.wait_for_load_state()
    assert frame.evaluate("() => document.querySelector('img').naturalWidth") == 120


def test_a_tiff_shows_through_its_rendition_in_an_iframe(operator_page, live_server, demo):
    stored = file_store(project=demo, content=samples.tiff(size=(90, 60)), file_name="scan.tif")
    framed = frame_in_our_page(operator_page, live_server, f"/files/{stored.pk}/?rendition=png")
    frame = framed.element_handle().content_frame()
    frame.wait_for_load_state()
    assert frame.evaluate("() => document.querySelector('img').naturalWidth") == 90


def test_chromium_has_its_pdf_viewer(operator_page):
    assert operator_page.evaluate("navigator.pdfViewerEnabled") is True


def test_a_pdf_opens_in_chromiums_viewer_on_its_own(operator_page, live_server, demo, screenshots):
    stored = file_store(project=demo, content=samples.pdf(pages=2), file_name="statement.pdf")
    operator_page.goto(f"{live_server.url}/files/{stored.pk}/")
    assert operator_page.evaluate("document.contentType") == "application/pdf"
    assert pdf_viewer_shown(operator_page, operator_page.locator("body"), screenshots / "document-pdf-alone.png")


@pytest.mark.parametrize("element", ["iframe", "embed"])
def test_a_pdf_shows_in_chromiums_viewer_inside_our_page(operator_page, live_server, demo, screenshots, element):
    stored = file_store(project=demo, content=samples.pdf(pages=2), file_name="statement.pdf")
    framed = frame_in_our_page(operator_page, live_server, f"/files/{stored.pk}/", element=element)
    assert pdf_viewer_shown(operator_page, framed, screenshots / f"document-pdf-in-{element}.png")


def test_a_pdf_in_a_sandboxed_iframe_is_blocked_so_pages_must_not_sandbox_pdf_frames(operator_page, live_server, demo):
    # What the case page must avoid: Chromium refuses its viewer inside <iframe sandbox>.
    stored = file_store(project=demo, content=samples.pdf(), file_name="statement.pdf")
    operator_page.goto(f"{live_server.url}/")
    operator_page.evaluate(
        """src => { const f = document.createElement('iframe'); f.id = 'framed'; f.sandbox = 'allow-same-origin';
                    f.src = src; f.width = 640; f.height = 480; document.body.prepend(f); }""",
        f"/files/{stored.pk}/",
    )
    assert not pdf_viewer_shown(operator_page, operator_page.locator("#framed"), None)


def test_another_project_cannot_frame_or_open_a_file(operator_page, live_server, other_project):
    stored = file_store(project=other_project, content=samples.png(), file_name="theirs.png")
    assert operator_page.goto(f"{live_server.url}/files/{stored.pk}/").status == 404


def test_html_is_refused_at_upload():
    with pytest.raises(FileRefused):
        file_store(project=None, content=samples.HTML_AS_PNG, file_name="page.html")


def _script_ran(page) -> bool:
    return page.evaluate("() => window.top.__pwned === true || document.title === 'pwned'")


PAYLOAD = b"<html><body><script>window.top.__pwned = true; document.title = 'pwned'; alert(1)</script></body></html>"


def test_markup_hidden_in_a_tiff_is_only_ever_downloaded(operator_page, live_server, demo):
    # TIFF has no end marker, so bytes after its image data pass the checks: the original is
    # served as an attachment (its PNG rendition is what is shown), and never runs as a page.
    polyglot = samples.tiff() + b"\n" * 2048 + PAYLOAD
    stored = file_store(project=demo, content=polyglot, file_name="scan.html")
    dialogs = []
    operator_page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    operator_page.goto(f"{live_server.url}/")
    with operator_page.expect_download() as download:
        operator_page.evaluate("url => { window.location.href = url; }", f"/files/{stored.pk}/")
    assert download.value.suggested_filename == "scan.html"
    assert (dialogs, _script_ran(operator_page)) == ([], False)


def test_markup_stored_as_an_image_by_mistake_still_runs_no_script(operator_page, live_server, demo):
    # Were a check ever bypassed: served as image/png, nosniff, script-less CSP and sandbox.
    path = documents_storage().save(f"documents/{demo.pk}/markup", ContentFile(PAYLOAD))
    stored = StoredFile.objects.create(
        project=demo, file_name="x.png", mime_type=MimeType.PNG, size=len(PAYLOAD), sha256="0" * 64, storage_path=path
    )
    dialogs = []
    operator_page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    frame_in_our_page(operator_page, live_server, f"/files/{stored.pk}/")
    operator_page.wait_for_timeout(500)
    operator_page.goto(f"{live_server.url}/files/{stored.pk}/")
    operator_page.wait_for_timeout(500)
    assert (dialogs, _script_ran(operator_page)) == ([], False)
