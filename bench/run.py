#!/usr/bin/env python
"""Benchmark: gunicorn on PostgreSQL, concurrent clients for a fixed time per scenario.

Prints requests/s, p50/p99 latency and errors for
  insert  - a trivial authenticated endpoint inserting one row (the baseline),
  run     - POST /api/v1/external/workflows/run, a new entity each time,
  event   - POST /api/v1/external/workflows/{id}/event on runtimes of the client's own.

Usage: .venv/bin/python bench/run.py [--seconds 10] [--rounds 3] [--clients 8] [--workers 3]
Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/casework_bench).
"""

import argparse
import http.client
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PORT = int(os.environ.get("BENCH_PORT", "8765"))
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/casework_bench")

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


def manage(*args) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=SERVER_ENV, check=True, capture_output=True, text=True
    )
    return result.stdout


def create_database():
    import psycopg

    base, name = DATABASE_URL.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def start_server(workers: int, threads: int):
    process = subprocess.Popen(
        [
            PYTHON, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{PORT}",
            "--workers", str(workers), "--worker-class", "gthread", "--threads", str(threads),
            "--log-level", "warning",
        ],
        cwd=ROOT,
        env=SERVER_ENV,
    )
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=1)
            conn.request("GET", "/login/")
            conn.getresponse().read()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not start")


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


def client(args):
    scenario, seconds, key, seed = args
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)

    def post(path, body):
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        return response.status, data

    runtime_id, toggle = None, 0
    if scenario == "event":
        status, data = post("/api/v1/external/workflows/run", run_body(f"event-{seed}-{uuid.uuid4().hex}"))
        runtime_id = json.loads(data)["workflowRuntimeId"]
    latencies, errors, n = [], 0, 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        try:
            if scenario == "insert":
                status, _ = post("/bench/insert", b"{}")
                ok = status == 201
            elif scenario == "run":
                status, _ = post("/api/v1/external/workflows/run", run_body(f"run-{seed}-{n}-{uuid.uuid4().hex[:8]}"))
                ok = status == 201
            else:
                name = "revision" if toggle == 0 else "RESUBMITTED"
                status, _ = post(f"/api/v1/external/workflows/{runtime_id}/event", json.dumps({"name": name}).encode())
                ok = status == 200
                toggle ^= 1
        except (OSError, http.client.HTTPException):
            ok = False
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        latencies.append(time.perf_counter() - started)
        errors += 0 if ok else 1
        n += 1
    return latencies, errors


def measure(scenario, seconds, clients, key) -> dict:
    with multiprocessing.Pool(clients) as pool:
        results = pool.map(client, [(scenario, seconds, key, i) for i in range(clients)])
    return {
        "scenario": scenario,
        "seconds": seconds,
        "latencies": [l for r in results for l in r[0]],
        "errors": sum(r[1] for r in results),
        "rps": sum(len(r[0]) for r in results) / seconds,
    }


def combine(rounds: list[dict]) -> dict:
    latencies = sorted(l for r in rounds for l in r["latencies"])
    quantiles = statistics.quantiles(latencies, n=100)
    seconds = sum(r["seconds"] for r in rounds)
    return {
        "scenario": rounds[0]["scenario"],
        "requests": len(latencies),
        "rps": len(latencies) / seconds,
        "p50_ms": quantiles[49] * 1000,
        "p99_ms": quantiles[98] * 1000,
        "errors": sum(r["errors"] for r in rounds),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10, help="per scenario and round")
    parser.add_argument("--rounds", type=int, default=3, help="scenarios alternate this many times")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    create_database()
    manage("migrate", "--noinput")
    manage("collectstatic", "--noinput")
    manage("load_demo", "--no-users", "--no-api-key")
    key = manage("create_api_key", "--project", "default", "--name", "bench").strip().splitlines()[-1]
    server = start_server(args.workers, args.threads)
    scenarios = ("insert", "run", "event")
    per_round = []
    try:
        # Alternating the scenarios spreads drift (table growth, other load on the machine)
        # over all of them instead of favouring whichever ran first.
        for _ in range(args.rounds):
            per_round.append({s: measure(s, args.seconds, args.clients, key) for s in scenarios})
    finally:
        server.terminate()
        server.wait(timeout=10)
    rows = [combine([r[s] for r in per_round]) for s in scenarios]
    print(
        f"gunicorn gthread {args.workers}x{args.threads}, {args.clients} clients, "
        f"{args.rounds} rounds of {args.seconds:g}s per scenario, PostgreSQL"
    )
    print(f"{'scenario':<8} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for row in rows:
        print(f"{row['scenario']:<8} {row['requests']:>9} {row['rps']:>8.1f} {row['p50_ms']:>8.1f} {row['p99_ms']:>8.1f} {row['errors']:>7}")
    for scenario in scenarios[1:]:
        ratios = sorted(r[scenario]["rps"] / r["insert"]["rps"] for r in per_round)
        print(
            f"{scenario} / insert throughput: {statistics.median(ratios):.2f} median of rounds "
            f"(range {ratios[0]:.2f}-{ratios[-1]:.2f})"
        )
    if any(row["errors"] for row in rows):
        raise SystemExit("errors during the benchmark")


if __name__ == "__main__":
    main()
