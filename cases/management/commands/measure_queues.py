"""Time the queue pages, menu counts, case page and the API list on the current database.

The scenarios of issue 12, each the median of --runs requests (after --warmup), with Django's
test client in this process, logged in as an operator (`--user`, default "operator"), and an
API key made for the run (revoked at the end). Prints one line per scenario: median ms, the
status code and the number of queries of the last request. Fill a database first with
`manage.py generate_cases N`.
"""

import statistics
import time
from urllib.parse import quote

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.http import QueryDict
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Queue
from cases.selectors import queue_list, queue_menu_counts
from projects.models import Project
from projects.services import api_key_create
from workflows import selectors
from workflows.api.pagination import PAGE_DEPTH_CAP, encode_cursor, filter_signature
from workflows.models import RuntimeStatus, WorkflowRuntime


class Command(BaseCommand):
    help = "Time the queue scenarios of issue 12 (medians, ms) on the current database."

    def add_arguments(self, parser):
        parser.add_argument("--project", default="default")
        parser.add_argument("--user", default="operator")
        parser.add_argument("--runs", type=int, default=7)
        parser.add_argument("--warmup", type=int, default=2)
        parser.add_argument("--only", default="", help="Run only scenarios whose name contains this.")

    def handle(self, *args, project, user, runs, warmup, only, **options):
        project = Project.objects.filter(slug=project).first()
        operator = get_user_model().objects.filter(username=user).first()
        if project is None or operator is None:
            raise CommandError("Needs the project and the operator user (load_demo, then generate_cases).")
        queues = {q.entity_kind: q for q in Queue.objects.filter(project=project).order_by("position")}
        business = queues.get("business") or next(iter(queues.values()))
        individual = queues.get("individual") or business
        sample = (
            WorkflowRuntime.objects.filter(project=project, entity_kind=business.entity_kind, status=RuntimeStatus.ACTIVE)
            .select_related("entity")
            .order_by("created_at")
            .first()
        )
        if sample is None:
            raise CommandError("No active case to measure with: run generate_cases first.")
        state = sample.state
        closed = (
            WorkflowRuntime.objects.filter(project=project, entity_kind=business.entity_kind, definition__in=business.definitions.all(), status=RuntimeStatus.COMPLETED)
            .order_by("created_at")
            .first()
        )
        number = sample.entity_registration_number or "000"
        today = timezone.localdate()
        created = f"created_after={today.replace(day=1).replace(month=1).isoformat()}&created_before={today.replace(day=1).replace(month=1).replace(day=31).isoformat()}"
        b, i = f"/queues/{business.slug}/", f"/queues/{individual.slug}/"
        key, raw = api_key_create(project=project, name="measure_queues")
        api = "/api/v1/external/workflows"
        scenarios = [
            ("queue first page Businesses", b), ("queue first page Individuals", i),
            ("status=any", f"{b}?status=any"),
            ("search few matches (an id)", f"{b}?q={quote(sample.entity.correlation_id)}"),
            ("search few matches (a name)", f"{b}?q={quote(sample.entity.display_name)}"),
            ("search many matches (Smith)", f"{b}?q=Smith"),
            ("search many matches, any status", f"{b}?q=Smith&status=any"),
            ("search a registration number", f"{b}?q={quote(number)}"),
            ("search a case id", f"{b}?q={sample.pk}"), ("search a case id prefix (8)", f"{b}?q={str(sample.pk)[:8]}"),
            # No open case matches: the page says how many closed ones do.
            ("closed-match hint (a closed case's name)", f"{b}?q={quote(closed.entity_name if closed else 'Smith')}"),
            ("sort due (most overdue first)", f"{b}?sort=due"), ("sort -due", f"{b}?sort=-due"),
            ("sort due, any status", f"{b}?sort=due&status=any"),
            ("due=overdue", f"{b}?due=overdue"), ("due=overdue&sort=due", f"{b}?due=overdue&sort=due"),
            ("due=today", f"{b}?due=today"), ("due=overdue Individuals", f"{i}?due=overdue"),
            *[(f"sort {s}", f"{b}?sort={s}") for s in ("name", "correlation_id", "definition", "state", "status", "assignee", "created", "-updated")],
            ("page 2000", f"{b}?page=2000"), ("last page", f"{b}?page=999999"), ("last page, any status", f"{b}?page=999999&status=any"),
            ("assignee=me", f"{b}?assignee=me"), ("assignee=unassigned", f"{b}?assignee=unassigned"),
            (f"state={state}", f"{b}?state={state}"),
            ("created range (January)", f"{b}?{created}"), ("created range, any status", f"{b}?{created}&status=any"),
            ("menu counts alone", None),
            ("case page", f"/cases/{sample.pk}/"),
            ("API no filter", f"{api}"), ("API status=failed", f"{api}?status=failed"),
            ("API entityId", f"{api}?entityId={quote(sample.entity.correlation_id)}"),
            ("API workflowDefinitionId", f"{api}?workflowDefinitionId={sample.definition.key}"),
            ("API createdAfter", f"{api}?createdAfter={(timezone.now() - timezone.timedelta(days=30)).isoformat().replace('+', '%2B')}"),
            ("API orderBy=-updatedAt", f"{api}?orderBy=-updatedAt"), ("API orderBy=state", f"{api}?orderBy=state"),
            ("API page 2000", f"{api}?page=2000"), ("API limit=100&page=500", f"{api}?limit=100&page=500"),
            ("API deepest page by number", "DEEPEST"), ("API cursor (page after 2000)", "CURSOR"),
            ("API last page by cursor", "LAST_BY_CURSOR"),
        ]
        client = Client()
        try:
            with override_settings(ALLOWED_HOSTS=["*"], SECURE_SSL_REDIRECT=False, DEBUG=False):
                client.force_login(operator)
                headers = {"Authorization": f"Bearer {raw}"}
                # The API's meta.total stops being exact past 10,000 cases: the last page is
                # found from the real count. Page numbers reach PAGE_DEPTH_CAP cases deep, the
                # cursor any depth: the last page's is made from the 21st case from the end.
                total = WorkflowRuntime.objects.filter(project=project).count()
                listed = selectors.runtime_list(project=project)
                before_last = listed.reverse()[min(20, max(0, total - 1))]
                resolved = {
                    "DEEPEST": f"{api}?page={max(1, min(-(-total // 20), PAGE_DEPTH_CAP // 20))}",
                    "LAST_BY_CURSOR": f"{api}?cursor={encode_cursor(listed, before_last, filter_signature(QueryDict()))}",
                    "CURSOR": f"{api}?cursor={client.get(f'{api}?page={min(2000, max(1, -(-total // 20)))}', headers=headers).json()['meta']['nextCursor'] or ''}",
                }
                self.stdout.write(f"{'scenario':44} {'ms':>9}  status queries")
                for name, url in scenarios:
                    if only and only not in name:
                        continue
                    url = resolved.get(url, url)
                    if url is None:
                        # Uncached: what a page pays when the cache has no counts.
                        self._time(name, runs, warmup, lambda: (queue_menu_counts(project=project, queues=queue_list(project=project), cached=False), 200)[1])
                    else:
                        extra = headers if url.startswith(api) else {}
                        self._time(name, runs, warmup, lambda: client.get(url, headers=extra).status_code)
        finally:
            key.delete() if hasattr(key, "delete") else None

    def _time(self, name, runs, warmup, call):
        for _ in range(warmup):
            call()
        times = []
        for _ in range(runs):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                status = call()
                times.append((time.perf_counter() - started) * 1000)
        self.stdout.write(f"{name:44} {statistics.median(times):9,.1f}  {status:>6} {len(queries):>7}")
