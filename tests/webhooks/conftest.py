import json
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command

from tests.api.conftest import _clear_throttle_cache, api  # noqa: F401 (fixtures shared with the API tests)


class Receiver:
    """A real HTTP server standing in for a client's webhook endpoint. It answers with the
    queued status codes in turn (then 200) and records what it was sent."""

    def __init__(self):
        self.requests = []
        self.statuses = []
        self.delay = 0.0  # seconds before answering, for a slow receiver
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:  # answers in turn even when several workers send at once
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body, "status": status})
                time.sleep(receiver.delay)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path="/hooks"):
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def bodies(self):
        return [json.loads(r["body"]) for r in self.requests]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True  # the receiver listens on loopback
    server = Receiver()
    yield server
    server.close()


def run_worker():
    """The real task worker, in this process, until no task is due."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def subscription(url, events=None):
    return {"type": "webhook", "url": url, "events": events or []}


ON_POSTGRES = pytest.mark.skipif(
    __import__("django.db", fromlist=["connection"]).connection.vendor != "postgresql",
    reason="worker processes share the test database only on PostgreSQL (CI runs the suite there too)",
)


class WorkerProcesses:
    """Real `manage.py db_worker` processes on the test database, as production runs them."""

    def __init__(self, count: int, **settings_env):
        import os
        import subprocess
        import sys
        from pathlib import Path

        from django.db import connection

        db = connection.settings_dict
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
            "DEBUG": "false",
            "SECRET_KEY": "workers-" + "x" * 60,
            "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
            **{key: str(value) for key, value in settings_env.items()},
        }
        root = Path(__file__).resolve().parents[2]
        command = [sys.executable, "manage.py", "db_worker", "--interval", "0.05", "--no-reload", "--no-startup-delay", "-v", "0"]
        self.processes = [
            subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(count)
        ]

    def stop(self):
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(10)
            except Exception:
                process.kill()


def wait_until(condition, *, timeout: float, interval: float = 0.05) -> float:
    """Seconds until `condition()` held; fails the test after `timeout`."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            pytest.fail(f"not done within {timeout} s")
        time.sleep(interval)
    return time.monotonic() - started
