import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.api.conftest import _clear_throttle_cache, api, other_api  # noqa: F401 (fixtures shared with the API tests)
from tests.webhooks.conftest import run_worker  # noqa: F401 (the real worker, in this process)


class Vendor:
    """A real HTTP server standing in for a vendor (a registry, a sanctions screening). Each
    path answers with its queued answers in turn, then with its default; every request is
    recorded."""

    def __init__(self):
        self.requests = []
        self.answers: dict[str, list] = {}
        self.defaults: dict[str, tuple] = {}
        self.lock = threading.Lock()
        vendor = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = self.path.split("?", 1)[0]
                with vendor.lock:
                    queued = vendor.answers.get(path) or []
                    answer = queued.pop(0) if queued else vendor.defaults.get(path, (200, {"ok": True}))
                    vendor.requests.append(
                        {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
                    )
                status, payload, *rest = answer
                extra = rest[0] if rest else {}
                if extra.get("delay"):
                    time.sleep(extra["delay"])
                raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", extra.get("content_type", "application/json"))
                for name, value in extra.get("headers", {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def answer(self, path: str, *answers) -> None:
        """Queues answers for `path`: (status, body[, {"delay", "content_type", "headers"}])."""
        self.answers.setdefault(path, []).extend(answers)

    def always(self, path: str, answer: tuple) -> None:
        self.defaults[path] = answer

    def bodies(self, path: str | None = None) -> list:
        return [json.loads(r["body"]) for r in self.requests if path is None or r["path"].split("?")[0] == path]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def vendor(settings):
    settings.OUTBOUND_ALLOW_PRIVATE_TARGETS = True  # the vendor listens on loopback
    server = Vendor()
    yield server
    server.close()
