#!/usr/bin/env python
"""Benchmark: the project against its own stack's ceiling, on PostgreSQL, loaded by wrk.

Two gunicorn servers run side by side on the same PostgreSQL server:
  the project (config.wsgi, DEBUG off, SECURE_SSL_REDIRECT off, throttling off, its own
    database casework_bench), and
  the baseline (bench/baseline/: a minimal separate Django + DRF app that checks a hashed
    bearer key with one SELECT and INSERTs the body with one INSERT; no middleware; its own
    database casework_bench_baseline), both with persistent connections.
For each worker class (sync `-w 4`, then gthread `-w 4 --threads 4`) wrk loads, in
alternating windows (baseline, run, event, baseline, run, event, ...):
  baseline - POST /insert on the baseline app with the seed body of `run`,
  run      - POST /api/v1/external/workflows/run, the seed body with a new entity each time (201),
  event    - POST /api/v1/external/workflows/{id}/event, revision and RESUBMITTED in turn,
             each connection on a runtime of its own (200),
(`insert`, optional: the project's own trivial authenticated endpoint inserting one row,
bench/urls.py). Prints requests/s, p50/p99 latency and errors per scenario and the ratios
run/baseline and event/baseline: the median of the rounds' ratios, each round's windows
being next to each other in time. Errors are connection errors and statuses >= 400; after
the windows the database is checked to hold a runtime and its history rows for every 201
and a history row for every event (nothing lost).

Usage: .venv/bin/python bench/run.py [--seconds 20] [--rounds 3] [--connections 16]
       [--workers 4] [--threads 4] [--worker-classes sync,gthread] [--scenarios baseline,run,event]
Needs wrk (`apt-get install -y wrk`) and PostgreSQL (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/casework_bench; the baseline's: BASELINE_DATABASE_URL).
"""


import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PORT = int(os.environ.get("BENCH_PORT", "8765"))
BASELINE_PORT = int(os.environ.get("BENCH_BASELINE_PORT", "8767"))
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/casework_bench")
BASELINE_DATABASE_URL = os.environ.get(
    "BASELINE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/casework_bench_baseline"
)

SERVER_ENV = {
    **os.environ,
    "DATABASE_URL": DATABASE_URL,
    "DEBUG": "false",
    "SECRET_KEY": "bench-" + "x" * 60,
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "false",
    "API_THROTTLE_RATE": "100000000/min",
    "API_THROTTLE_BURST": "100000000",
    "ACCESS_LOG_LEVEL": "WARNING",
    "CACHE_URL": os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/1"),
    "ROOT_URLCONF": "bench.urls",
}
BASELINE_ENV = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "bench.baseline.settings",
    "BASELINE_DATABASE_URL": BASELINE_DATABASE_URL,
}
RUN_PATH = "/api/v1/external/workflows/run"


def manage(*args, env=None) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env or SERVER_ENV, check=True, capture_output=True, text=True
    )
    return result.stdout


def create_database(url: str = DATABASE_URL):
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def start_server(workers: int, threads: int, worker_class: str = "gthread", *, app="config.wsgi", port=None, env=None):
    port = port or PORT
    extra = ["--threads", str(threads)] if worker_class == "gthread" else []
    process = subprocess.Popen(
        [
            PYTHON, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers), "--worker-class", worker_class, *extra, "--log-level", "warning",
        ],
        cwd=ROOT,
        env=env or SERVER_ENV,
    )
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/")
            conn.getresponse().read()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not start")


def stop_server(process):
    process.terminate()
    process.wait(timeout=15)


def run_body(entity_id: str) -> bytes:
    return json.dumps(
        {
            "workflowId": "till_basic_kyb_demo",
            "context": {
                "entity": {
                    "type": "business",
                    "id": entity_id,
                    "data": {
                        "country": "US",
                        "registrationNumber": "756OPOPOP08238",
                        "companyName": "TILL COMPANY LIMITED",
                        "additionalInfo": {
                            "mainRepresentative": {"email": "email@ballerine.com", "lastName": "Last", "firstName": "First"}
                        },
                    },
                },
                "documents": [],
            },
        }
    ).encode()


def post(port, path, body, key):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", path, body=body, headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    response = conn.getresponse()
    return response.status, response.read()


def new_runtimes(count: int, key: str) -> list[str]:
    """A runtime per connection, in the state that takes `revision`."""
    ids = []
    for _ in range(count):
        status, data = post(PORT, RUN_PATH, run_body(f"event-{uuid.uuid4().hex}"), key)
        if status != 201:
            raise SystemExit(f"could not start a runtime for the event scenario: {status} {data[:200]!r}")
        ids.append(json.loads(data)["workflowRuntimeId"])
    return ids


def wrk(scenario: str, seconds: float, connections: int, keys: dict) -> dict:
    env = {**os.environ, "BENCH_TAG": f"{scenario}-{uuid.uuid4().hex[:8]}"}
    if scenario == "baseline":
        port, env["BENCH_MODE"], env["BENCH_PATH"], env["BENCH_KEY"] = BASELINE_PORT, "post", "/insert", keys["baseline"]
        env["BENCH_BODY"] = run_body("ENTITY_ID").decode()
    elif scenario == "insert":
        port, env["BENCH_MODE"], env["BENCH_PATH"], env["BENCH_KEY"] = PORT, "post", "/bench/insert", keys["project"]
        env["BENCH_BODY"] = "{}"
    elif scenario == "run":
        port, env["BENCH_MODE"], env["BENCH_PATH"], env["BENCH_KEY"] = PORT, "post", RUN_PATH, keys["project"]
        env["BENCH_BODY"] = run_body("ENTITY_ID").decode()
    else:
        port, env["BENCH_MODE"], env["BENCH_KEY"] = PORT, "event", keys["project"]
        env["BENCH_RUNTIMES"] = ",".join(new_runtimes(connections, keys["project"]))
    output = subprocess.run(
        [
            "wrk", "-t", str(connections), "-c", str(connections), "-d", f"{seconds:g}s", "--timeout", "30s",
            "-s", str(ROOT / "bench" / "wrk.lua"), f"http://127.0.0.1:{port}",
        ],
        env=env, check=True, capture_output=True, text=True,
    ).stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH_RESULT "))
    result = json.loads(line.split(" ", 1)[1])
    return {**result, "scenario": scenario, "rps": result["requests"] / result["seconds"]}


def combine(rounds: list[dict]) -> dict:
    requests, seconds = sum(r["requests"] for r in rounds), sum(r["seconds"] for r in rounds)
    return {
        "scenario": rounds[0]["scenario"],
        "requests": requests,
        "rps": requests / seconds,
        # wrk reports each window's percentiles; the median of the windows' is shown.
        "p50_ms": statistics.median(r["p50_ms"] for r in rounds),
        "p99_ms": statistics.median(r["p99_ms"] for r in rounds),
        "errors": sum(r["errors"] for r in rounds),
    }


def stored_counts() -> dict:
    out = manage(
        "shell", "-c",
        "import json; from workflows.models import WorkflowRuntime, HistoryEvent; "
        "print(json.dumps({'runtimes': WorkflowRuntime.objects.count(), 'history': HistoryEvent.objects.count()}))",
    )
    return json.loads(out.strip().splitlines()[-1])


def measure_class(worker_class, args, keys, scenarios) -> tuple[list[dict], dict]:
    threads = args.threads if worker_class == "gthread" else 1
    servers = [start_server(args.workers, threads, worker_class)]
    if "baseline" in scenarios:
        servers.append(
            start_server(args.workers, threads, worker_class, app="bench.baseline.wsgi", port=BASELINE_PORT, env=BASELINE_ENV)
        )
    per_round = []
    try:
        # Alternating the scenarios spreads drift (table growth, other load on the machine)
        # over all of them instead of favouring whichever ran first.
        for _ in range(args.rounds):
            per_round.append({s: wrk(s, args.seconds, args.connections, keys) for s in scenarios})
    finally:
        for server in servers:
            stop_server(server)
    return per_round


def report(worker_class, args, per_round, scenarios) -> dict:
    label = f"sync -w {args.workers}" if worker_class == "sync" else f"gthread -w {args.workers} --threads {args.threads}"
    print(
        f"\ngunicorn {label}; wrk -t{args.connections} -c{args.connections}, "
        f"{args.rounds} rounds of {args.seconds:g}s windows per scenario, PostgreSQL"
    )
    print(f"{'scenario':<9} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for row in (combine([r[s] for r in per_round]) for s in scenarios):
        print(f"{row['scenario']:<9} {row['requests']:>9} {row['rps']:>8.1f} {row['p50_ms']:>8.1f} {row['p99_ms']:>8.1f} {row['errors']:>7}")
    medians = {}
    if "baseline" in scenarios:
        for scenario in (s for s in scenarios if s != "baseline"):
            ratios = sorted(r[scenario]["rps"] / r["baseline"]["rps"] for r in per_round)
            medians[scenario] = statistics.median(ratios)
            print(
                f"{scenario} / baseline throughput ({worker_class}): {medians[scenario]:.2f} median of rounds "
                f"(range {ratios[0]:.2f}-{ratios[-1]:.2f})"
            )
    return medians


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20, help="per window")
    parser.add_argument("--rounds", type=int, default=3, help="scenarios alternate this many times")
    parser.add_argument("--connections", type=int, default=16, help="wrk threads and connections")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4, help="per gthread worker")
    parser.add_argument("--worker-classes", default="sync,gthread")
    parser.add_argument("--scenarios", default="baseline,run,event", help="of baseline, run, event, insert")
    args = parser.parse_args()
    scenarios = args.scenarios.split(",")
    if not shutil.which("wrk"):
        raise SystemExit("bench/run.py needs wrk: apt-get install -y wrk")

    create_database()
    manage("migrate", "--noinput")
    manage("collectstatic", "--noinput")
    manage("load_demo", "--no-users", "--no-api-key")
    keys = {"project": manage("create_api_key", "--project", "default", "--name", "bench").strip().splitlines()[-1]}
    create_database(BASELINE_DATABASE_URL)
    manage("migrate", "--run-syncdb", "--noinput", env=BASELINE_ENV)
    keys["baseline"] = uuid.uuid4().hex + uuid.uuid4().hex
    manage(
        "shell", "-c",
        f"import hashlib; from bench.baseline.models import ApiKey; "
        f"ApiKey.objects.create(key_hash=hashlib.sha256({keys['baseline']!r}.encode()).hexdigest())",
        env=BASELINE_ENV,
    )

    before = stored_counts()
    results = {}
    for worker_class in args.worker_classes.split(","):
        per_round = measure_class(worker_class, args, keys, scenarios)
        results[worker_class] = (per_round, report(worker_class, args, per_round, scenarios))
    after = stored_counts()

    errors = sum(r[s]["errors"] for per_round, _ in results.values() for r in per_round for s in scenarios)
    runs = sum(r["run"]["requests"] for per_round, _ in results.values() for r in per_round if "run" in r)
    events = sum(r["event"]["requests"] for per_round, _ in results.values() for r in per_round if "event" in r)
    setup_runs = sum(args.connections for per_round, _ in results.values() for r in per_round if "event" in r)
    # wrk counts the requests it had an answer for; a run cut off by the end of a window may
    # still have been stored, hence "at least".
    created = after["runtimes"] - before["runtimes"]
    history = after["history"] - before["history"]
    print(
        f"\nstored: {created} runtimes for {runs} runs answered (+{setup_runs} for the event windows), "
        f"{history} history rows (at least one per run and per event: {runs + setup_runs + events})"
    )
    print("ratios: " + "; ".join(f"{wc}: " + ", ".join(f"{s}/baseline {v:.2f}" for s, v in medians.items()) for wc, (_, medians) in results.items()))
    if errors:
        raise SystemExit(f"{errors} errors during the benchmark")
    if created < runs + setup_runs or history < runs + setup_runs + events:
        raise SystemExit("fewer runtimes or history rows stored than requests answered")


if __name__ == "__main__":
    main()
