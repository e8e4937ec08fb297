#!/usr/bin/env python
"""The queue's CSV export at size: streams /queues/<slug>/export.csv?<query> through the real
view (cases.views.queue_export, with the page's filter and scoping) on an existing database
(DATABASE_URL), reading the response to its end, and prints rows, bytes, time and memory:
first the time and the growth of the process's peak RSS (resource.getrusage maxrss), then a
second pass under tracemalloc for Python's own peak. The request is built with RequestFactory
for an operator (no login, so no session row is written: the database is only read).

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/casework_scale_1m \
       .venv/bin/python bench/export.py [--queue SLUG] [--query 'status=any&created_after=2026-01-01'] [--user operator]
"""

import argparse
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MIB = 1024 * 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--queue", default="", help="queue slug (default: the first business queue of the menu)")
    parser.add_argument("--query", default="status=any", help="the queue's filters, as in its URL")
    parser.add_argument("--project", default="default")
    parser.add_argument("--user", default="operator")
    parser.add_argument("--no-tracemalloc", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("ACCESS_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext

    from cases.models import Queue
    from cases.views import queue_export
    from projects.models import Project

    settings.ALLOWED_HOSTS = ["*"]
    project = Project.objects.get(slug=args.project)
    user = get_user_model().objects.get(username=args.user)
    queues = Queue.objects.filter(project=project).order_by("position", "name")
    queue = queues.get(slug=args.queue) if args.queue else queues.filter(entity_kind="business").first()

    def export():
        request = RequestFactory().get(f"/queues/{queue.slug}/export.csv?{args.query}")
        request.user, request.session = user, {}
        rows = size = 0
        with CaptureQueriesContext(connection) as queries:
            response = queue_export(request, slug=queue.slug)
            for chunk in response.streaming_content:
                rows += chunk.count(b"\n") if isinstance(chunk, bytes) else chunk.count("\n")
                size += len(chunk)
        return rows - 1, size, len(queries)  # the header line

    print(f"{connection.vendor} {connection.settings_dict['NAME']}: /queues/{queue.slug}/export.csv?{args.query}")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    rows, size, queries = export()
    elapsed = time.perf_counter() - started
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    print(f"{rows:,} rows, {size / MIB:.1f} MiB in {elapsed:.1f} s ({rows / elapsed:,.0f} rows/s), {queries} queries; peak RSS grew {grown:.1f} MiB")
    if not args.no_tracemalloc:
        tracemalloc.start()
        started = time.perf_counter()
        export()
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"under tracemalloc: Python's peak {peak / MIB:.1f} MiB ({elapsed:.1f} s, slowed by tracing)")


if __name__ == "__main__":
    main()
