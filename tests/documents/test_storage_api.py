"""POST/GET /api/v1/external/storage and the file_store service behind it."""

import hashlib
import io

import pytest

from documents.models import StoredFile
from documents.services import FileRefused, documents_storage, file_name_clean, file_open, file_store

from . import samples

UPLOAD_URL = "/api/v1/external/storage"


def upload(api, data: bytes, name="scan.png", **extra):
    document = io.BytesIO(data)
    document.name = name
    return api.client.post(UPLOAD_URL, {"file": document, **extra}, headers=api.headers())


def stored_names() -> list[str]:
    storage = documents_storage()
    if not storage.exists("documents"):
        return []
    names = []
    for project_dir in storage.listdir("documents")[0]:
        names += storage.listdir(f"documents/{project_dir}")[1]
    return names


def test_an_upload_answers_201_with_the_files_description(api):
    data = samples.png()
    response = upload(api, data, name="passport.png")
    assert response.status_code == 201
    body = response.json()
    assert body == {
        "id": body["id"],
        "fileName": "passport.png",
        "mimeType": "image/png",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def test_the_type_comes_from_the_content_not_the_name(api):
    assert upload(api, samples.jpeg(), name="photo.pdf").json()["mimeType"] == "image/jpeg"


def test_the_description_is_read_back_by_id(api):
    created = upload(api, samples.pdf(), name="statement.pdf").json()
    response = api.get(f"{UPLOAD_URL}/{created['id']}")
    assert (response.status_code, response.json()) == (200, created)


def test_the_content_is_read_back_at_both_paths(api):
    data = samples.webp()
    file_id = upload(api, data, name="selfie.webp").json()["id"]
    for url in (f"{UPLOAD_URL}/{file_id}/content", f"{UPLOAD_URL}/content/{file_id}"):
        response = api.get(url)
        assert (response.status_code, response["Content-Type"], b"".join(response.streaming_content)) == (200, "image/webp", data)


def test_the_content_ignores_the_callers_accept_header(api):
    file_id = upload(api, samples.png()).json()["id"]
    assert api.get(f"{UPLOAD_URL}/{file_id}/content", headers={"Accept": "image/*"}).status_code == 200


def test_an_id_in_capitals_finds_the_file(api):
    file_id = upload(api, samples.png()).json()["id"]
    assert api.get(f"{UPLOAD_URL}/{file_id.upper()}").status_code == 200


def test_another_projects_file_is_not_found(api, other_api):
    file_id = upload(api, samples.png()).json()["id"]
    for url in (f"{UPLOAD_URL}/{file_id}", f"{UPLOAD_URL}/{file_id}/content", f"{UPLOAD_URL}/content/{file_id}"):
        response = other_api.get(url)
        assert (response.status_code, response.json()["statusCode"]) == (404, 404)


def test_an_unknown_id_is_not_found(api):
    assert api.get(f"{UPLOAD_URL}/00000000-0000-4000-8000-000000000000/content").status_code == 404


def test_the_endpoints_need_an_api_key(anonymous, api):
    file_id = upload(api, samples.png()).json()["id"]
    assert anonymous.get(f"{UPLOAD_URL}/{file_id}/content").status_code == 401
    assert upload(anonymous, samples.png()).status_code == 401


def test_a_refused_file_answers_400_in_the_api_error_shape_and_stores_nothing(api):
    response = upload(api, samples.HTML_AS_PNG, name="innocent.png")
    assert response.status_code == 400
    body = response.json()
    assert body["errors"][0]["path"] == "file"
    assert "PDF, PNG, JPEG, WebP or TIFF" in body["message"]
    assert not StoredFile.objects.exists()
    assert stored_names() == []


def test_an_upload_without_the_file_field_is_refused(api):
    response = api.client.post(UPLOAD_URL, {"other": "x"}, headers=api.headers())
    assert (response.status_code, response.json()["errors"][0]["path"]) == (400, "file")


def test_two_files_in_one_upload_are_refused(api):
    first, second = io.BytesIO(samples.png()), io.BytesIO(samples.png())
    first.name = second.name = "a.png"
    response = api.client.post(UPLOAD_URL, {"file": [first, second]}, headers=api.headers())
    assert (response.status_code, StoredFile.objects.count()) == (400, 0)


def test_a_json_body_is_refused_as_unsupported(api):
    assert api.post(UPLOAD_URL, {"file": "aGVsbG8="}).status_code == 415


def test_a_file_over_document_max_bytes_is_refused_with_413(api, settings):
    settings.DOCUMENT_MAX_BYTES = 5000
    data = samples.noise_jpeg(0.01)
    assert len(data) > 5000
    response = upload(api, data, name="big.jpg")
    assert (response.status_code, StoredFile.objects.count(), stored_names()) == (413, 0, [])


def test_a_body_far_over_the_limit_is_refused_before_it_is_read(api, settings):
    settings.DOCUMENT_MAX_BYTES = 1000
    response = upload(api, b"\x89PNG" + b"\x00" * 200_000)
    assert response.status_code == 413


def test_the_storage_endpoint_accepts_files_over_the_api_body_limit(api, settings):
    settings.API_MAX_BODY_BYTES = 10_000
    data = samples.noise_jpeg(0.05)
    assert len(data) > 10_000
    assert upload(api, data, name="big.jpg").status_code == 201


def test_other_endpoints_keep_the_api_body_limit(api, settings):
    settings.API_MAX_BODY_BYTES = 10_000
    assert api.post("/api/v1/external/workflows/run", raw="x" * 20_000).status_code == 413


def test_the_uploader_is_recorded_as_the_api_key(api):
    file_id = upload(api, samples.png()).json()["id"]
    assert StoredFile.objects.get(pk=file_id).created_by_label == "API key tests"


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("../../etc/passwd.png", "passwd.png"),
        ("a\\b.png", "b.png"),
        ("C:\\Users\\me\\scan.pdf", "scan.pdf"),
        ("evil\x00.png", "evil.png"),
        ("right\u202egnp.exe", "rightgnp.exe"),
        ("..", "file"),
        ("", "file"),
        ("line\nbreak.png", "linebreak.png"),
    ],
)
def test_file_names_lose_path_parts_and_control_characters(given, kept):
    assert file_name_clean(given) == kept


def test_a_long_file_name_is_cut_to_255_characters_keeping_its_extension():
    cleaned = file_name_clean("x" * 400 + ".pdf")
    assert (len(cleaned), cleaned[-4:]) == (255, ".pdf")


def test_the_storage_path_never_comes_from_the_file_name(project):
    stored = file_store(project=project, content=samples.png(), file_name="../../etc/passwd.png")
    assert stored.storage_path == f"documents/{project.pk}/{stored.pk}"
    assert stored.file_name == "passwd.png"


def test_a_tiff_is_stored_with_a_png_rendition(project):
    stored = file_store(project=project, content=samples.tiff(), file_name="scan.tiff")
    assert stored.rendition_path == f"{stored.storage_path}.png"
    with file_open(stored, rendition=True) as rendition:
        assert rendition.read(8) == b"\x89PNG\r\n\x1a\n"


def test_a_file_like_is_stored_with_the_same_bytes_and_hash(project):
    data = samples.pdf(pages=3)
    stored = file_store(project=project, content=io.BytesIO(data), file_name="a.pdf")
    with file_open(stored) as opened:
        assert opened.read() == data
    assert stored.sha256 == hashlib.sha256(data).hexdigest()


def test_a_refused_file_like_stores_nothing(project):
    with pytest.raises(FileRefused):
        file_store(project=project, content=io.BytesIO(samples.png() + b"tail"), file_name="a.png")
    assert stored_names() == []


def test_a_file_like_over_the_limit_is_not_read_past_limit_plus_one(project, settings):
    settings.DOCUMENT_MAX_BYTES = 1000

    class Endless(io.RawIOBase):
        read_bytes = 0

        def read(self, size=-1):
            self.read_bytes += size
            return b"\x89" * size

    endless = Endless()
    with pytest.raises(FileRefused) as refused:
        file_store(project=project, content=endless, file_name="a.png")
    assert (refused.value.status_code, endless.read_bytes) == (413, 1001)


def test_nothing_stays_in_the_storage_when_the_row_cannot_be_saved(project, monkeypatch):
    def fail(**fields):
        raise RuntimeError("database down")

    monkeypatch.setattr(StoredFile.objects, "create", fail)
    with pytest.raises(RuntimeError):
        file_store(project=project, content=samples.tiff(), file_name="a.tiff")
    assert stored_names() == []


def test_a_nul_in_the_uploaded_file_name_is_dropped(api):
    assert upload(api, samples.png(), name="evil\x00.png").json()["fileName"] == "evil.png"


def test_an_upload_past_file_upload_max_memory_size_waits_in_a_temporary_file(api, settings, monkeypatch):
    from django.core.files.uploadedfile import TemporaryUploadedFile

    import documents.api

    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1000
    received = []
    monkeypatch.setattr(documents.api, "file_store", lambda **kwargs: received.append(kwargs["content"]) or file_store(**kwargs))
    data = samples.noise_jpeg(0.01)
    assert upload(api, data, name="big.jpg").status_code == 201
    assert isinstance(received[0], TemporaryUploadedFile)


def chunked_upload(api, data: bytes, name="scan.jpg"):
    """Our WSGI application given a multipart upload as gunicorn passes a chunked request it has
    decoded (no Content-Length)."""
    from django.core import signals
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import close_old_connections
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    document = io.BytesIO(data)
    document.name = name
    body = encode_multipart(BOUNDARY, {"file": document})
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": UPLOAD_URL, "SERVER_NAME": "testserver", "SERVER_PORT": "80",
        "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body), "wsgi.input_terminated": True,
        "CONTENT_TYPE": MULTIPART_CONTENT, "HTTP_TRANSFER_ENCODING": "chunked", "HTTP_AUTHORIZATION": f"Bearer {api.raw_key}",
    }
    status = []
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        b"".join(WSGIHandler()(environ, lambda s, headers: status.append(int(s.split()[0]))))
        return status[0]
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def test_a_chunked_upload_over_the_api_body_limit_is_stored(api, settings):
    settings.API_MAX_BODY_BYTES = 10_000
    assert chunked_upload(api, samples.noise_jpeg(0.05)) == 201


def test_a_chunked_upload_over_document_max_bytes_is_refused_with_413(api, settings):
    settings.DOCUMENT_MAX_BYTES = 1000
    assert chunked_upload(api, samples.noise_jpeg(0.1)) == 413
    assert not StoredFile.objects.exists()


def test_documents_storage_s3_selects_django_storages_with_the_buckets_settings_from_the_environment():
    import json
    import os
    import subprocess
    import sys

    from django.conf import settings

    script = (
        "import django, json; django.setup();"
        "from documents.services import documents_storage; s = documents_storage();"
        "print(json.dumps([type(s).__module__, s.bucket_name, s.endpoint_url, s.region_name, s.default_acl, s.max_memory_size]))"
    )
    environment = {
        **os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DOCUMENTS_STORAGE": "s3", "AWS_STORAGE_BUCKET_NAME": "case-files",
        "AWS_S3_ENDPOINT_URL": "http://127.0.0.1:9000", "AWS_S3_REGION_NAME": "eu-west-1", "AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "secret",
    }
    result = subprocess.run([sys.executable, "-c", script], env=environment, cwd=settings.BASE_DIR, capture_output=True, text=True, check=True)
    assert json.loads(result.stdout.splitlines()[-1]) == ["storages.backends.s3", "case-files", "http://127.0.0.1:9000", "eu-west-1", "private", 1048576]


def test_the_file_system_storage_does_not_import_boto3():
    import subprocess
    import sys

    from django.conf import settings

    script = "import django, sys; django.setup(); from documents.services import documents_storage; documents_storage(); print('boto3' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", script], env={"DJANGO_SETTINGS_MODULE": "config.settings", "PATH": "/usr/bin:/bin"}, cwd=settings.BASE_DIR, capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_the_admin_lists_stored_files_read_only_without_their_contents(project, client):
    from django.contrib.auth import get_user_model

    stored = file_store(project=project, content=samples.png(), file_name="passport.png")
    client.force_login(get_user_model().objects.create_superuser("admin", password="x" * 20))
    listing = client.get("/admin/documents/storedfile/")
    detail = client.get(f"/admin/documents/storedfile/{stored.pk}/change/")
    assert (listing.status_code, detail.status_code) == (200, 200)
    assert b"passport.png" in listing.content
    assert b'name="_save"' not in detail.content
    assert client.get("/admin/documents/storedfile/add/").status_code == 403
