"""documents.serving.file_response through the page /files/<id>/ and the API: scoping, ranges,
headers per type, streaming."""

import tracemalloc

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from documents.content import MimeType
from documents.models import StoredFile
from documents.services import documents_storage, file_store
from documents.views import file_url
from projects.models import Role
from tests.factories import MembershipFactory, UserFactory

from . import samples


@pytest.fixture
def member_client(operator):
    client = Client()
    client.force_login(operator)
    return client


def store(project, data, name):
    return file_store(project=project, content=data, file_name=name)


def page(stored, **query):
    return f"/files/{stored.pk}/" + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_member_gets_the_file(member_client, project):
    data = samples.png()
    response = member_client.get(page(store(project, data, "a.png")))
    assert (response.status_code, response["Content-Type"], body(response)) == (200, "image/png", data)


def test_a_viewer_gets_the_file_too(viewer, project):
    client = Client()
    client.force_login(viewer)
    assert client.get(page(store(project, samples.png(), "a.png"))).status_code == 200


def test_a_member_of_another_project_gets_404(member_client, other_project):
    assert member_client.get(page(store(other_project, samples.png(), "a.png"))).status_code == 404


def test_a_superuser_who_is_not_a_member_gets_404(project):
    client = Client()
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    assert client.get(page(store(project, samples.png(), "a.png"))).status_code == 404


def test_a_member_of_two_projects_gets_the_files_of_both(member_client, operator, other_project):
    MembershipFactory(project=other_project, user=operator, role=Role.VIEWER)
    assert member_client.get(page(store(other_project, samples.png(), "a.png"))).status_code == 200


def test_an_anonymous_visitor_is_sent_to_log_in(project):
    response = Client().get(page(store(project, samples.png(), "a.png")))
    assert (response.status_code, response["Location"].split("?")[0]) == (302, "/login/")


def test_an_unknown_file_is_404(member_client):
    assert member_client.get("/files/00000000-0000-4000-8000-000000000000/").status_code == 404


def test_the_page_refuses_writes(member_client, project):
    assert member_client.post(page(store(project, samples.png(), "a.png"))).status_code == 405


@pytest.mark.parametrize(
    ("make", "name"),
    [(samples.png, "a.png"), (samples.jpeg, "a.jpg"), (samples.webp, "a.webp")],
)
def test_images_are_inline_sandboxed_and_framable_by_our_pages_only(member_client, project, make, name):
    response = member_client.get(page(store(project, make(), name)))
    assert response["Content-Disposition"] == f'inline; filename="{name}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    csp = response["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "sandbox" in csp and "frame-ancestors 'self'" in csp
    assert response["Cache-Control"].startswith("private")


def test_a_pdf_is_inline_without_sandbox_so_the_browsers_viewer_runs(member_client, project):
    response = member_client.get(page(store(project, samples.pdf(), "statement.pdf")))
    assert response["Content-Disposition"] == 'inline; filename="statement.pdf"'
    csp = response["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'self'" in csp and "sandbox" not in csp
    assert response["X-Frame-Options"] == "SAMEORIGIN"


def test_a_tiff_itself_is_an_attachment(member_client, project):
    response = member_client.get(page(store(project, samples.tiff(), "scan.tiff")))
    assert (response["Content-Type"], response["Content-Disposition"]) == ("image/tiff", 'attachment; filename="scan.tiff"')
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_a_tiffs_rendition_is_an_inline_png(member_client, project):
    response = member_client.get(page(store(project, samples.tiff(), "scan.tiff"), rendition="png"))
    assert (response["Content-Type"], response["Content-Disposition"]) == ("image/png", 'inline; filename="scan.png"')
    assert body(response).startswith(b"\x89PNG")


def test_asking_for_a_rendition_of_a_file_without_one_gives_the_file(member_client, project):
    assert member_client.get(page(store(project, samples.jpeg(), "a.jpg"), rendition="png"))["Content-Type"] == "image/jpeg"


def test_the_url_of_a_tiff_for_pages_is_its_rendition(project):
    stored = store(project, samples.tiff(), "scan.tiff")
    assert file_url(stored) == f"/files/{stored.pk}/?rendition=png"


def test_a_file_name_with_quotes_and_non_ascii_is_quoted_in_content_disposition(member_client, project):
    response = member_client.get(page(store(project, samples.png(), 'pa"ss port é.png')))
    assert response["Content-Disposition"] == "inline; filename*=utf-8''pa%22ss%20port%20%C3%A9.png"


def test_a_range_gets_206_with_exactly_those_bytes(member_client, project):
    data = samples.pdf(pages=5)
    response = member_client.get(page(store(project, data, "a.pdf")), headers={"Range": "bytes=10-99"})
    assert response.status_code == 206
    assert (response["Content-Range"], response["Content-Length"]) == (f"bytes 10-99/{len(data)}", "90")
    assert body(response) == data[10:100]


def test_an_open_ended_range_runs_to_the_end(member_client, project):
    data = samples.pdf()
    response = member_client.get(page(store(project, data, "a.pdf")), headers={"Range": "bytes=100-"})
    assert (response.status_code, body(response)) == (206, data[100:])


def test_a_suffix_range_gets_the_last_bytes(member_client, project):
    data = samples.pdf()
    response = member_client.get(page(store(project, data, "a.pdf")), headers={"Range": "bytes=-20"})
    assert (response.status_code, body(response)) == (206, data[-20:])


def test_a_range_past_the_end_gets_416_with_the_size(member_client, project):
    data = samples.pdf()
    response = member_client.get(page(store(project, data, "a.pdf")), headers={"Range": f"bytes={len(data)}-"})
    assert (response.status_code, response["Content-Range"]) == (416, f"bytes */{len(data)}")


def test_several_ranges_get_the_whole_file(member_client, project):
    data = samples.pdf()
    response = member_client.get(page(store(project, data, "a.pdf")), headers={"Range": "bytes=0-1,5-6"})
    assert (response.status_code, body(response)) == (200, data)


def test_a_range_for_another_version_gets_the_whole_file(member_client, project):
    data = samples.pdf()
    response = member_client.get(page(store(project, data, "a.pdf")), headers={"Range": "bytes=0-9", "If-Range": '"other"'})
    assert (response.status_code, len(body(response))) == (200, len(data))


def test_a_matching_etag_gets_304(member_client, project):
    stored = store(project, samples.png(), "a.png")
    etag = member_client.get(page(stored))["ETag"]
    assert etag == f'"{stored.sha256}"'
    assert member_client.get(page(stored), headers={"If-None-Match": etag}).status_code == 304


def test_the_api_answers_ranges_too(api, demo_project):
    data = samples.pdf(pages=3)
    stored = store(demo_project, data, "a.pdf")
    response = api.get(f"/api/v1/external/storage/{stored.pk}/content", headers={"Range": "bytes=0-4"})
    assert (response.status_code, body(response)) == (206, b"%PDF-")


def test_the_api_answers_a_range_past_the_end_in_its_error_shape(api, demo_project):
    stored = store(demo_project, samples.png(), "a.png")
    response = api.get(f"/api/v1/external/storage/{stored.pk}/content", headers={"Range": "bytes=99999-"})
    assert (response.status_code, response.json()["statusCode"]) == (416, 416)


def test_the_api_sends_the_same_headers_as_the_pages(api, demo_project):
    stored = store(demo_project, samples.png(), "a.png")
    response = api.get(f"/api/v1/external/storage/{stored.pk}/content")
    assert response["Content-Security-Policy"].endswith("sandbox")
    assert (response["X-Frame-Options"], response["X-Content-Type-Options"]) == ("SAMEORIGIN", "nosniff")


TWENTY_MIB = 20 * 1024 * 1024


def test_serving_20_mib_streams_it_in_small_blocks(member_client, project):
    # Stored directly (serving does not look at the content): 20 MiB of bytes to stream.
    stored = StoredFile.objects.create(
        project=project, file_name="big.pdf", mime_type=MimeType.PDF, size=TWENTY_MIB, sha256="0" * 64,
        storage_path=documents_storage().save(f"documents/{project.pk}/big", ContentFile(b"\x25" * TWENTY_MIB)),
    )
    tracemalloc.start()
    try:
        response = member_client.get(page(stored))
        total = sum(len(block) for block in response.streaming_content)
        response.close()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == TWENTY_MIB
    assert peak < 2 * 1024 * 1024, f"peak {peak} bytes"
