import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.api.conftest import _clear_throttle_cache, api  # noqa: F401 (fixtures shared with the API tests)


class Server:
    """A real HTTP server on loopback. `routes` maps a path to (status, headers, body); a
    path not listed answers 200 "ok". Records each request's path and headers."""

    def __init__(self, host="127.0.0.1"):
        self.routes = {}
        self.requests = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                server.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body})
                status, headers, content = server.routes.get(self.path, (200, {}, b"ok"))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(content)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path="/", host="127.0.0.1"):
        return f"http://{host}:{self.port}{path}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def private_off(settings):
    settings.OUTBOUND_ALLOW_PRIVATE_TARGETS = False
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False


@pytest.fixture
def private_on(settings):
    settings.OUTBOUND_ALLOW_PRIVATE_TARGETS = True
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False


@pytest.fixture
def server():
    running = Server()
    yield running
    running.close()


@pytest.fixture
def second_server():
    running = Server()
    yield running
    running.close()
