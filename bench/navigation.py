#!/usr/bin/env python
"""The case page's way through a queue view at size: for several views of a queue (filters and
sorts), a case near the top of the view and one deep in it, the median time of the previous /
next query alone (cases.navigation.view_neighbours) and of the whole case page opened from that
view (cases.case_views.case_detail with `?from=`), with its query count, on an existing database
(DATABASE_URL). Requests are built with RequestFactory for an operator and an empty session, so
the database is only read.

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/casework_scale_1m \
       .venv/bin/python bench/navigation.py [--queue SLUG] [--runs 7] [--warmup 2] [--explain]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VIEWS = [
    "",  # the queue's default: open cases, newest first
    "status=any",
    "sort=name",
    "status=any&sort=-name",
    "sort=state",
    "sort=assignee",
    "status=any&sort=-assignee",
    "sort=due",
    "sort=-updated",
    "q=Smith&sort=name",
    "assignee=unassigned&sort=created",
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--queue", default="", help="queue slug (default: the last business queue of the menu, as measure_queues)")
    parser.add_argument("--project", default="default")
    parser.add_argument("--user", default="operator")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--deep", type=int, default=100_000, help="the deep case's position in the view (capped to the view)")
    parser.add_argument("--explain", action="store_true", help="print the plan of each neighbours query")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("ACCESS_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.http import QueryDict
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext

    from cases.case_views import case_detail
    from cases.current import current_project
    from cases.models import Queue
    from cases.navigation import QueueView, view_neighbours
    from cases.views import queue_filter
    from projects.models import Project
    from workflows.models import WorkflowRuntime

    settings.ALLOWED_HOSTS = ["*"]
    project = Project.objects.get(slug=args.project)
    user = get_user_model().objects.get(username=args.user)
    queues = list(Queue.objects.filter(project=project).order_by("position", "name"))
    queue = next(q for q in queues if q.slug == args.queue) if args.queue else [q for q in queues if q.entity_kind == "business"][-1]
    print(f"queue {queue.slug}; {connection.vendor}; medians of {args.runs} after {args.warmup}, ms")
    print(f"{'view':36} {'case':>8} {'neighbours':>10} {'page':>8} {'queries':>7}")

    def request_for(path):
        request = RequestFactory().get(path)
        request.user, request.session = user, {}
        return request

    def median(call):
        for _ in range(args.warmup):
            call()
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            call()
            times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times)

    for query in VIEWS:
        request = request_for(f"/queues/{queue.slug}/?{query}")
        current = current_project(request)
        case_filter, _, _ = queue_filter(request, current, queue, QueryDict(query))
        queryset = case_filter.qs
        top = list(queryset.values_list("pk", flat=True)[12:13])  # the middle of the first page
        deep = list(queryset.values_list("pk", flat=True)[args.deep : args.deep + 1])  # setup only: not timed
        view = QueueView(queue=queue, query=query)
        for label, ids in (("page 1", top), (f"#{args.deep:,}", deep)):
            if not ids:
                continue
            runtime = WorkflowRuntime.objects.select_related("definition").get(pk=ids[0])
            alone = median(lambda: view_neighbours(queryset, runtime))
            if args.explain and label == "page 1":
                with CaptureQueriesContext(connection) as captured:
                    view_neighbours(queryset, runtime)
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + captured[-1]["sql"])
                    print("\n".join(row[0] for row in cursor.fetchall()))
            path = f"/cases/{runtime.pk}/?{view.from_query}"
            page = median(lambda: case_detail(request_for(path), runtime_id=runtime.pk))
            with CaptureQueriesContext(connection) as captured:
                response = case_detail(request_for(path), runtime_id=runtime.pk)
            assert response.status_code == 200, response.status_code
            print(f"{query or '(default)':36} {label:>8} {alone:10.1f} {page:8.1f} {len(captured):7}")


if __name__ == "__main__":
    main()
