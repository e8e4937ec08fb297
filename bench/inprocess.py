#!/usr/bin/env python
"""In-process cost of `run` and events through the whole WSGI stack (middleware, DRF, the
services, PostgreSQL), without gunicorn or wrk: per request the milliseconds of wall time, of this process's CPU
(Python) and of the CPU of the PostgreSQL backend serving it (read from /proc, so PostgreSQL
must run on this host), the SQL statements, and with --profile the cProfile of one loop.

The project's settings as bench/run.py serves them (DEBUG off, throttling counted in Redis
with limits out of reach, persistent connection), on a scratch database of its own
(casework_bench_inprocess, created anew, the demo loaded). Each request is a WSGI call of
config.wsgi.application, as gunicorn makes it: `run` with the seed body and a new entity each
time (201), events revision / RESUBMITTED in turn on one runtime (200).

Usage: .venv/bin/python bench/inprocess.py [--requests 500] [--rounds 3] [--profile run|event]
       [--sort tottime] [--profile-out FILE]
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run as bench_run  # noqa: E402

DATABASE_URL = os.environ.get("INPROCESS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/casework_bench_inprocess")


def environ_for(path: str, body: bytes, key: str) -> dict:
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8765",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8765",
        "HTTP_AUTHORIZATION": f"Bearer {key}",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def backend_cpu(pid: int) -> float:
    """Seconds of CPU the PostgreSQL backend serving this process has used (user + system),
    from /proc (PostgreSQL on this host)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def call(application, environ) -> tuple[int, bytes]:
    status = []
    chunks = application(environ, lambda s, headers, exc_info=None: status.append(s))
    try:
        body = b"".join(chunks)
    finally:
        getattr(chunks, "close", lambda: None)()
    return int(status[0].split()[0]), body


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=500, help="per round and scenario")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", choices=["run", "event"], help="print the cProfile of one timed loop")
    parser.add_argument("--sort", default="tottime", help="pstats sort key")
    parser.add_argument("--lines", type=int, default=45)
    parser.add_argument("--profile-out", help="also write the profile to this file (for pstats or snakeviz)")
    args = parser.parse_args()

    # One connection for the whole measurement (its backend's CPU is read from /proc).
    env = {**bench_run.SERVER_ENV, "DATABASE_URL": DATABASE_URL, "CONN_MAX_AGE": "86400"}
    bench_run.create_database(DATABASE_URL)
    bench_run.manage("migrate", "--noinput", env=env)
    bench_run.manage("load_demo", "--no-users", "--no-api-key", env=env)
    key = bench_run.manage("create_api_key", "--project", "default", "--name", "inprocess", env=env).strip().splitlines()[-1]

    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django
    from django.core.wsgi import get_wsgi_application

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    application = get_wsgi_application()
    path = bench_run.RUN_PATH
    tag = uuid.uuid4().hex[:8]
    counter = iter(range(10**9))

    def one_run():
        status, body = call(application, environ_for(path, bench_run.run_body(f"inproc-{tag}-{next(counter)}"), key))
        if status != 201:
            raise SystemExit(f"run answered {status}: {body[:300]!r}")
        return body

    runtime_id = json.loads(one_run())["workflowRuntimeId"]
    event_path = f"/api/v1/external/workflows/{runtime_id}/event"
    names = iter(["revision", "RESUBMITTED"] * 10**8)

    def one_event():
        body = json.dumps({"name": next(names)}).encode()
        status, answer = call(application, environ_for(event_path, body, key))
        if status != 200:
            raise SystemExit(f"event answered {status}: {answer[:300]!r}")

    scenarios = {"run": one_run, "event": one_event}
    for send in scenarios.values():  # warm up: caches, the connection, the key's last-used stamp
        for _ in range(50):
            send()
    for name, send in scenarios.items():
        with CaptureQueriesContext(connection) as queries:
            send()
        sql = [q["sql"].split()[0].upper() for q in queries.captured_queries]
        print(f"{name}: {len(sql)} statements: {' '.join(sql)}")

    def backend_pid():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return cursor.fetchone()[0]

    one_event()
    backend = backend_pid()
    one_event()
    if backend_pid() != backend:
        raise SystemExit("the database connection was not kept between requests")
    timings = {name: {"wall": [], "python": [], "postgres": []} for name in scenarios}
    for _ in range(args.rounds):
        for name, send in scenarios.items():
            wall, python, postgres = time.perf_counter(), time.process_time(), backend_cpu(backend)
            for _ in range(args.requests):
                send()
            per = 1000 / args.requests
            timings[name]["wall"].append((time.perf_counter() - wall) * per)
            timings[name]["python"].append((time.process_time() - python) * per)
            timings[name]["postgres"].append((backend_cpu(backend) - postgres) * per)
    for name, measured in timings.items():
        print(
            f"{name}: " + ", ".join(
                f"{what} {statistics.median(values):.2f} ms ({min(values):.2f}-{max(values):.2f})"
                for what, values in measured.items()
            ) + f" per request; medians of {args.rounds} rounds of {args.requests}"
        )

    if args.profile:
        send = scenarios[args.profile]
        profiler = cProfile.Profile(time.process_time)  # CPU: waits for PostgreSQL left out
        profiler.enable()
        for _ in range(args.requests):
            send()
        profiler.disable()
        stats = pstats.Stats(profiler)
        if args.profile_out:
            stats.dump_stats(args.profile_out)
        stats.sort_stats(args.sort).print_stats(args.lines)


if __name__ == "__main__":
    main()
