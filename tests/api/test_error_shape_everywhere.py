"""Everything under /api/ answers the API's JSON error shape, DEBUG on or off, and a chunked
body the server cannot read is refused with 411 instead of being read as empty."""

import http.client
import json
import os
import subprocess
import sys

import pytest

from tests.servers import ROOT, free_port, wait_for_port

from .conftest import RUN_URL, SEED_BODY


def assert_error_shape(response, status):
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["statusCode"] == status and isinstance(body["message"], str) and body["errors"] == []
    return body


@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/external/workflows/not-a-uuid",
        "/api/v1/external/workflows/",  # a trailing slash
        "/api/v1/external/nothing-here",
        "/api/nothing",
    ],
)
def test_unknown_api_paths_answer_json_404(api, settings, debug, path):
    settings.DEBUG = debug
    body = assert_error_shape(api.get(path), 404)
    assert body["message"] == "Not found"  # the same words as every other 404 of the API
    assert "URLconf" not in json.dumps(body)


def test_a_server_error_under_debug_is_json_without_the_debug_page(api, settings, monkeypatch):
    from workflows.api import views

    settings.DEBUG = True
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(views.WorkflowListView, "get", broken)
    from django.test import Client

    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/external/workflows", headers={"Authorization": f"Bearer {api.raw_key}"})
    body = assert_error_shape(response, 500)
    assert "secret internals" not in json.dumps(body)


def test_the_api_docs_page_is_still_html(api):
    response = api.get("/api/docs/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")


@pytest.fixture
def development_server(tmp_path):
    """`manage.py runserver`, the server `make run` starts (no database needed for a refusal)."""
    port = free_port()
    env = {**os.environ, "DEBUG": "true", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield port
    finally:
        process.terminate()
        process.wait(10)


def test_a_chunked_body_to_the_development_server_is_refused_with_411(development_server):
    conn = http.client.HTTPConnection("127.0.0.1", development_server, timeout=10)
    body = json.dumps(SEED_BODY).encode()
    conn.request(
        "POST",
        RUN_URL,
        body=(body[i : i + 100] for i in range(0, len(body), 100)),
        headers={"Content-Type": "application/json", "Authorization": "Bearer whatever"},
        encode_chunked=True,
    )
    response = conn.getresponse()
    payload = json.loads(response.read())
    assert (response.status, payload["statusCode"]) == (411, 411)
    assert "Content-Length" in payload["message"]
