#!/usr/bin/env python
"""Rate limits against one integrator at the server's own capacity (README, "Sizing the rate
limits"): gunicorn on PostgreSQL with Redis as the shared cache, ONE API key, clients sending
as fast as the server answers, with the server's default limits (or --rate / --burst).

Prints per load: requests/s, the most requests in one clock second and in one clock minute
(what the burst and the sustained rate count), the 429s and when the first came, and the most
requests answered without 429 in one clock second and minute (ok/s, ok/min: at most the burst
and the sustained rate whatever the number of gunicorn processes, give or take the few
requests sent in one second that the server counts in the next: these use the client's clock).

  run   - POST /api/v1/external/workflows/run, the seed request with a new entity each time
          (an integrator backfilling cases);
  read  - GET /api/v1/external/workflows/{id} (the cheapest authenticated request).

Usage: .venv/bin/python bench/throttle.py [--seconds 20] [--clients 16] [--scenarios run,read]
       [--rate 36000/min] [--burst 1200] [--workers 3] [--threads 4]
`--clients 16,32,64` measures each load in turn. Uses its own PostgreSQL database
(THROTTLE_BENCH_DATABASE_URL, default .../casework_throttle_bench), port 8766 and Redis
database 11, so it can run next to bench/run.py.
"""

import argparse
import collections
import http.client
import json
import multiprocessing
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("BENCH_PORT", "8766")
os.environ["BENCH_DATABASE_URL"] = os.environ.get(
    "THROTTLE_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/casework_throttle_bench"
)
os.environ.setdefault("BENCH_CACHE_URL", "redis://127.0.0.1:6379/11")
sys.path.insert(0, str(ROOT))

from bench import run as bench  # noqa: E402 (reads the environment above)

# bench/run.py switches throttling off; here the server keeps its defaults unless told.
bench.SERVER_ENV.pop("API_THROTTLE_RATE", None)
bench.SERVER_ENV.pop("API_THROTTLE_BURST", None)
# Django logs each 429 as a warning: thousands a second would measure the logging instead.
bench.SERVER_ENV["LOG_LEVEL"] = "ERROR"


def client(args):
    scenario, seconds, key, seed, runtime_id = args
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    conn = http.client.HTTPConnection("127.0.0.1", bench.PORT, timeout=30)
    records, n = [], 0  # (start time, seconds taken, status)
    deadline = time.time() + seconds
    while time.time() < deadline:
        started = time.time()
        try:
            if scenario == "run":
                body = bench.run_body(f"throttle-{seed}-{n}-{uuid.uuid4().hex[:8]}")
                conn.request("POST", "/api/v1/external/workflows/run", body=body, headers=headers)
            else:
                conn.request("GET", f"/api/v1/external/workflows/{runtime_id}", headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            status = 0
            conn = http.client.HTTPConnection("127.0.0.1", bench.PORT, timeout=30)
        records.append((started, time.time() - started, status))
        n += 1
    return records


def measure(scenario, seconds, clients, key, runtime_id) -> dict:
    with multiprocessing.Pool(clients) as pool:
        results = pool.map(client, [(scenario, seconds, key, i, runtime_id) for i in range(clients)])
    records = sorted(r for rs in results for r in rs)
    start = records[0][0]
    statuses = collections.Counter(status for _, _, status in records)
    per_second = collections.Counter(int(t) for t, _, _ in records)
    per_minute = collections.Counter(int(t // 60) for t, _, _ in records)
    throttled = [t for t, _, status in records if status == 429]
    # What got through, per clock second and minute: at most the burst and the sustained rate.
    ok_per_second = collections.Counter(int(t) for t, _, status in records if status != 429)
    ok_per_minute = collections.Counter(int(t // 60) for t, _, status in records if status != 429)
    quantiles = statistics.quantiles([d for _, d, _ in records], n=100)
    return {
        "scenario": scenario,
        "clients": clients,
        "requests": len(records),
        "rps": len(records) / seconds,
        "max_second": max(per_second.values()),
        "max_minute": max(per_minute.values()),
        "ok_second": max(ok_per_second.values(), default=0),
        "ok_minute": max(ok_per_minute.values(), default=0),
        "p50_ms": quantiles[49] * 1000,
        "p99_ms": quantiles[98] * 1000,
        "throttled": len(throttled),
        "first_429_s": (throttled[0] - start) if throttled else None,
        "other": sum(n for status, n in statuses.items() if status not in (200, 201, 429)),
    }


def clear_counters():
    """Counters of an earlier run (same key id, same minute) would count against this one."""
    import redis

    client = redis.Redis.from_url(bench.SERVER_ENV["CACHE_URL"])
    for name in client.scan_iter(match="*throttle:api_key:*"):
        client.delete(name)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", default="16", help="comma-separated: one measurement each")
    parser.add_argument("--scenarios", default="run,read")
    parser.add_argument("--rate", help="API_THROTTLE_RATE for the server (default: the app's)")
    parser.add_argument("--burst", help="API_THROTTLE_BURST for the server (default: the app's)")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    if args.rate:
        bench.SERVER_ENV["API_THROTTLE_RATE"] = args.rate
    if args.burst:
        bench.SERVER_ENV["API_THROTTLE_BURST"] = args.burst

    bench.create_database()
    bench.manage("migrate", "--noinput")
    bench.manage("collectstatic", "--noinput")
    bench.manage("load_demo", "--no-users", "--no-api-key")
    key = bench.manage("create_api_key", "--project", "default", "--name", "throttle").strip().splitlines()[-1]
    limits = bench.manage(
        "shell", "-c",
        "from django.conf import settings as s; print(f'API_THROTTLE_RATE={s.API_THROTTLE_RATE} "
        "API_THROTTLE_BURST={s.API_THROTTLE_BURST}') if hasattr(s, 'API_THROTTLE_BURST') "
        "else print(s.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'])",
    ).strip().splitlines()[-1]
    server = bench.start_server(args.workers, args.threads)
    rows = []
    try:
        conn = http.client.HTTPConnection("127.0.0.1", bench.PORT, timeout=30)
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        conn.request("POST", "/api/v1/external/workflows/run", body=bench.run_body("throttle-read"), headers=headers)
        runtime_id = json.loads(conn.getresponse().read())["workflowRuntimeId"]
        for scenario in args.scenarios.split(","):
            for clients in (int(c) for c in args.clients.split(",")):
                clear_counters()
                time.sleep(1)
                rows.append(measure(scenario, args.seconds, clients, key, runtime_id))
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(
        f"gunicorn gthread {args.workers}x{args.threads}, PostgreSQL, Redis cache, one API key, "
        f"{args.seconds:g}s per load; limits: {limits}"
    )
    print(
        f"{'scenario':<8} {'clients':>7} {'requests':>9} {'req/s':>7} {'max/s':>6} {'max/min':>8} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'429s':>6} {'first 429':>9} {'ok/s':>6} {'ok/min':>7} {'other':>6}"
    )
    for r in rows:
        first = "-" if r["first_429_s"] is None else f"{r['first_429_s']:.1f}s"
        print(
            f"{r['scenario']:<8} {r['clients']:>7} {r['requests']:>9} {r['rps']:>7.1f} {r['max_second']:>6} "
            f"{r['max_minute']:>8} {r['p50_ms']:>7.1f} {r['p99_ms']:>7.1f} {r['throttled']:>6} {first:>9} "
            f"{r['ok_second']:>6} {r['ok_minute']:>7} {r['other']:>6}"
        )


if __name__ == "__main__":
    main()
