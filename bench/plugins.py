#!/usr/bin/env python
"""Automation figures, on a scratch PostgreSQL database (created, then dropped):

1. a `run`'s request time (in-process, the test client through the whole stack) for a
   definition without plugins and the same definition with an api plugin on its first state:
   queueing the run adds a row and a task row, and no HTTP happens in the request;
2. how many plugin runs per second one real `manage.py db_worker` process sustains against a
   local vendor (a threaded HTTP server on loopback answering at once), each run a real HTTP
   call, an applied outcome and its success action.

Usage: .venv/bin/python bench/plugins.py [--runs 300] [--database casework_bench_plugins]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class _Vendor(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b'{"registered": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--database", default="casework_bench_plugins")
    args = parser.parse_args()
    url = f"postgres://postgres@127.0.0.1:5432/{args.database}"
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", args.database], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", args.database], check=True)
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "false", "SECRET_KEY": "bench-" + "x" * 60,
           "OUTBOUND_ALLOW_PRIVATE_TARGETS": "true", "SECURE_SSL_REDIRECT": "false", "ALLOWED_HOSTS": "testserver,127.0.0.1"}
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    from automation.models import PluginRun, PluginRunStatus
    from projects.services import api_key_create, project_create
    from tests.automation.definitions import CHECK_STATECHART, api_plugin, business_run
    from workflows.definitions import definition_save

    vendor = ThreadingHTTPServer(("127.0.0.1", 0), _Vendor)
    threading.Thread(target=vendor.serve_forever, daemon=True).start()
    project = project_create(slug="bench", name="Bench")
    definition_save(project=project, key="plain", statechart=CHECK_STATECHART)
    definition_save(
        project=project, key="automated", statechart=CHECK_STATECHART,
        extensions={"apiPlugins": [api_plugin(f"http://127.0.0.1:{vendor.server_port}/registry")]},
    )
    _, raw_key = api_key_create(project=project, name="bench")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw_key}")

    counter = iter(range(10**9))

    def timed_runs(key: str, count: int) -> list[float]:
        times = []
        for _ in range(count):
            body = json.dumps(business_run(key=key, entity_id=f"{key}-{next(counter)}"))
            started = time.perf_counter()
            response = client.post("/api/v1/external/workflows/run", body, content_type="application/json")
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 201, response.content
        return times

    timed_runs("plain", 20)  # warm-up
    plain, automated = [], []
    for _ in range(5):  # alternated, so both see the same machine
        plain += timed_runs("plain", args.runs // 5)
        automated += timed_runs("automated", args.runs // 5)
    print(f"run request, median of {len(plain)}: without plugins {statistics.median(plain):.2f} ms, "
          f"with an api plugin {statistics.median(automated):.2f} ms")
    queued = PluginRun.objects.filter(status=PluginRunStatus.QUEUED).count()
    print(f"plugin runs queued by those requests: {queued}; vendor calls during the requests: none (the worker is not running)")

    worker = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--interval", "0.05", "--no-reload", "--no-startup-delay", "-v", "0"],
        cwd=ROOT, env=env,
    )
    started = time.monotonic()
    try:
        while PluginRun.objects.filter(status__in=[PluginRunStatus.QUEUED, PluginRunStatus.RUNNING]).exists():
            if time.monotonic() - started > 600:
                raise SystemExit("plugin runs not done within 600 s")
            time.sleep(0.2)
        elapsed = time.monotonic() - started
    finally:
        worker.terminate()
        worker.wait(10)
        vendor.shutdown()
    done = PluginRun.objects.filter(status=PluginRunStatus.SUCCEEDED).count()
    print(f"one worker: {done} plugin runs (HTTP call, outcome, success action) in {elapsed:.1f} s = {done / elapsed:.1f} runs/s")
    from django.db import connections

    connections.close_all()
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", args.database], check=True)


if __name__ == "__main__":
    main()
