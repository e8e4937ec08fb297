"""Bodies sent with `Transfer-Encoding: chunked` (no Content-Length) are read like any other,
and the size limit holds for them too."""

import http.client
import io
import json
import os
import subprocess
import sys

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core import signals
from django.db import close_old_connections, connection

from tests.servers import ROOT, free_port, wait_for_port
from workflows.models import Entity, WorkflowRuntime

from .conftest import RUN_URL, SEED_BODY

ON_POSTGRES = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="a second process cannot see SQLite's in-memory test database (CI runs the suite on PostgreSQL too)",
)


def call_wsgi(body: bytes, raw_key: str):
    """Our WSGI application, given what gunicorn passes for a chunked request it has decoded."""
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": RUN_URL,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.input_terminated": True,
        "CONTENT_TYPE": "application/json",
        "HTTP_TRANSFER_ENCODING": "chunked",
        "HTTP_AUTHORIZATION": f"Bearer {raw_key}",
    }
    status = []
    # As Django's test client does: keep the test's database connection open across the request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        chunks = WSGIHandler()(environ, lambda s, headers: status.append(int(s.split()[0])))
        return status[0], json.loads(b"".join(chunks))
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def test_chunked_run_request_creates_the_case(api):
    status, body = call_wsgi(json.dumps(SEED_BODY).encode(), api.raw_key)
    assert status == 201, body
    assert WorkflowRuntime.objects.get(pk=body["workflowRuntimeId"]).context["entity"]["id"] == "my-enduser-id111"


def test_chunked_body_over_the_limit_is_413_and_writes_nothing(api, settings):
    settings.API_MAX_BODY_BYTES = 2000
    body = json.dumps({**SEED_BODY, "padding": "x" * 3000}).encode()
    status, payload = call_wsgi(body, api.raw_key)
    assert (status, payload["statusCode"]) == (413, 413)
    assert not WorkflowRuntime.objects.exists() and not Entity.objects.exists()


@pytest.fixture
def gunicorn(transactional_db, demo_project):
    """gunicorn serving the test database (PostgreSQL: a second process cannot see SQLite's
    in-memory test database)."""
    settings_dict = connection.settings_dict
    url = f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}/{settings_dict['NAME']}"
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "false",
        "SECRET_KEY": "chunked-" + "x" * 60,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "API_MAX_BODY_BYTES": "4000",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield port
    finally:
        process.terminate()
        process.wait(10)


def post_chunked(port: int, raw_key: str, body: bytes):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    pieces = (body[i : i + 100] for i in range(0, len(body), 100))
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {raw_key}"}
    conn.request("POST", RUN_URL, body=pieces, headers=headers, encode_chunked=True)
    response = conn.getresponse()
    return response.status, json.loads(response.read())


@ON_POSTGRES
def test_gunicorn_accepts_a_chunked_run_request(gunicorn, api):
    status, body = post_chunked(gunicorn, api.raw_key, json.dumps(SEED_BODY).encode())
    assert status == 201, body
    assert body["state"] == "manual_review"
    assert WorkflowRuntime.objects.filter(pk=body["workflowRuntimeId"]).exists()


@ON_POSTGRES
def test_gunicorn_refuses_a_chunked_body_over_the_limit(gunicorn, api):
    status, body = post_chunked(gunicorn, api.raw_key, json.dumps({**SEED_BODY, "padding": "x" * 5000}).encode())
    assert (status, body["statusCode"]) == (413, 413)
    assert not WorkflowRuntime.objects.exists()
