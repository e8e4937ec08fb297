#!/usr/bin/env python
"""Bulk assignment figures on an existing database (DATABASE_URL, PostgreSQL): assigns N open,
unassigned cases of a queue to an operator through the page's own path (the queue's scoped
selection of the ids, then cases.bulk.cases_bulk_assign: 100 cases per transaction, each locked
through workflows.locking.cases_lock, one history row each), then unassigns the same cases the
same way, and prints time and queries of both. The database is left as it was apart from the
history rows of the two steps (2 x N "assigned"/"unassigned" rows). Nothing is written when
fewer than N such cases exist.

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/casework_scale_1m \
       .venv/bin/python bench/bulk.py [--cases 500] [--queue SLUG] [--user operator]
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--queue", default="", help="queue slug (default: the first business queue of the menu)")
    parser.add_argument("--project", default="default")
    parser.add_argument("--user", default="operator")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cases import selectors
    from cases.bulk import BULK_CHUNK, cases_bulk_assign
    from cases.models import Queue
    from projects.models import Project
    from workflows.actors import Actor
    from workflows.models import RuntimeStatus

    project = Project.objects.get(slug=args.project)
    user = get_user_model().objects.get(username=args.user)
    queues = Queue.objects.filter(project=project).prefetch_related("definitions").order_by("position", "name")
    queue = queues.get(slug=args.queue) if args.queue else queues.filter(entity_kind="business").first()
    # The cases an operator would tick: open and unassigned, as the ids the page sends.
    rows = (
        selectors.queue_runtimes(queue=queue, base_statuses=False)
        .filter(status=RuntimeStatus.ACTIVE, assignee__isnull=True)
        .order_by("-created_at", "-pk")
        .values_list("pk", flat=True)[: args.cases]
    )
    ids = list(rows)
    if len(ids) < args.cases:
        sys.exit(f"{queue.slug} has only {len(ids)} open unassigned cases; nothing was changed.")
    print(f"{connection.vendor} {connection.settings_dict['NAME']}: {len(ids)} cases of {queue.slug}, {BULK_CHUNK} per transaction")
    actor = Actor(user=user)
    for action in ("assign_me", "unassign"):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            selection, _ = selectors.bulk_selection(
                queryset=selectors.queue_runtimes(queue=queue, base_statuses=False).filter(pk__in=ids)
            )
            result = cases_bulk_assign(project=project, queue=queue, selection=selection, action=action, actor=actor)
            elapsed = time.perf_counter() - started
        print(
            f"{action:10} {elapsed * 1000:8.0f} ms  {len(queries):5} queries  "
            f"changed {len(result.changed)}  unchanged {len(result.unchanged)}  refused {len(result.refused)}  "
            f"({elapsed * 1000 / len(ids):.1f} ms/case)"
        )
        kinds = {}
        for query in queries.captured_queries:
            kind = " ".join(query["sql"].split()[:3])[:40]
            count, spent = kinds.get(kind, (0, 0.0))
            kinds[kind] = (count + 1, spent + float(query["time"]))
        print("           database time: " + ", ".join(
            f"{kind} x{count} {spent * 1000:.0f} ms" for kind, (count, spent) in sorted(kinds.items(), key=lambda kv: -kv[1][1])[:4]
        ))
        if result.refused:
            for refusal in result.refused[:5]:
                print(f"  refused {refusal.case_id}: {refusal.reason}")


if __name__ == "__main__":
    main()
