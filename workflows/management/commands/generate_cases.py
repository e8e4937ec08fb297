"""Fill a database with N realistic cases, fast, to measure the queues at scale.

The mix is the one of issue 12: 30% active, 65% completed, 5% failed, created over the last two
years, a few active cases assigned, about one entity in twenty with a second case. Cases go to
the project's queues (their definitions and entity kinds), each with an entity, a context that
names it, and one history row. Rows are written in batches: COPY on PostgreSQL (about a minute
per 200k cases on two cores), INSERTs elsewhere. Services are not called: no webhooks, no
engine; this is data for reading.

Due times (slaHours; the definition's newest version's, else --sla-hours): a closed case was due
`slaHours` after it was created; an open one is due within its SLA from now, a quarter of them
overdue by up to a quarter of it (created_at spans two years, which would make every open case
overdue). `--due-only` gives the open cases of a database generated before due times existed the
same (the open ones only: the queues' due views are about them, and writing a million rows
takes long), in one UPDATE per definition, adding no case.
"""

import random
import time
import uuid
from datetime import timedelta

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from cases.models import Queue
from projects.models import ACTING_ROLES, Membership, Project
from workflows.entity_text import entity_display_name, entity_email
from workflows.models import Entity, EntityKind, HistoryEvent, HistoryKind, RuntimeStatus, WorkflowRuntime
from cases.selectors import latest_versions
from workflows.sla import sla_hours

FIRST_NAMES = (
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard "
    "Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Lisa Matthew Nancy Anthony Betty Mark "
    "Sandra Olga Yuki Wei Fatima Ahmed Priya Lars Ingrid Mateo Sofia Luca Chiara Noah Emma Liam Ava"
).split()
LAST_NAMES = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
    "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill "
    "Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Kowalski Novak "
    "Schmidt Müller Rossi Dubois Tanaka Kim Chen Singh Patel Okafor Silva Costa Jensen Larsen"
).split()
COMPANY_WORDS = (
    "Acme Global Northern Pacific Atlas Summit Pioneer Vertex Harbor Silver Golden Blue Green "
    "Red Eagle Falcon Lion Orion Nova Apex Zenith Delta Omega Alpha Crest Bridge River Stone Oak "
    "Maple Cedar Pine Iron Steel Bright Swift Prime Union United Royal Liberty Coastal Metro Urban"
).split()
COMPANY_TRADES = (
    "Trading Logistics Foods Capital Ventures Energy Systems Labs Media Textiles Motors Pharma "
    "Software Consulting Imports Exports Construction Minerals Farms Retail Payments Travel"
).split()
COMPANY_SUFFIXES = ("Ltd", "LLC", "Inc", "GmbH", "Holdings", "Group", "S.A.", "B.V.", "PLC", "Co.")
COUNTRIES = ("US", "GB", "DE", "FR", "NL", "IL", "SG", "CA", "AU", "ES", "IT", "SE")
MAIL_DOMAINS = ("example.com", "mail.example", "corp.example", "inbox.example")
STATUS_MIX = ((RuntimeStatus.ACTIVE, 0.30), (RuntimeStatus.COMPLETED, 0.65), (RuntimeStatus.FAILED, 0.05))
ASSIGNED_SHARE = 0.03  # of the active cases
SECOND_CASE_SHARE = 0.05  # cases of an entity that already has one
TWO_YEARS = timedelta(days=730)
OVERDUE_SHARE = 0.25  # of the open cases with a due time
DEFAULT_SLA_HOURS = 48.0


class Command(BaseCommand):
    help = "Fill the database with N realistic cases by bulk SQL (for measuring the queues at scale)."

    def add_arguments(self, parser):
        parser.add_argument("count", type=int, help="How many cases to add.")
        parser.add_argument("--project", default="default", help="Project slug (default: the demo's 'default', loaded if missing).")
        parser.add_argument("--seed", type=int, default=12, help="Random seed (the same seed gives the same data).")
        parser.add_argument("--batch", type=int, default=20000, help="Cases per transaction.")
        parser.add_argument(
            "--sla-hours", type=float, default=DEFAULT_SLA_HOURS,
            help="Due time for the cases of a definition whose newest version has no slaHours (0: none).",
        )
        parser.add_argument("--due-only", action="store_true", help="Only give the project's existing open cases due times, as generated ones get.")

    def handle(self, *args, count, project, seed, batch, sla_hours=DEFAULT_SLA_HOURS, due_only=False, **options):
        if count < 0:
            raise CommandError("N must be 0 or more.")
        if not Project.objects.filter(slug=project).exists():
            if project != "default":
                raise CommandError(f"No project '{project}'.")
            call_command("load_demo", no_users=True, no_api_key=True, stdout=self.stdout)
        project_obj = Project.objects.get(slug=project)
        targets = _targets(project_obj, sla_hours)
        if not targets:
            raise CommandError(f"Project '{project}' has no queue with a workflow: nothing to fill.")
        if due_only:
            started = time.monotonic()
            changed = _fill_due_times(project_obj, targets, timezone.now())
            self.stdout.write(self.style.SUCCESS(f"Gave {changed} cases of '{project}' due times in {time.monotonic() - started:.0f} s."))
            return
        usernames = dict(
            Membership.objects.filter(project=project_obj, role__in=ACTING_ROLES).values_list("user_id", "user__username")
        )
        members = list(usernames)
        rng = random.Random(seed)
        # Its own draws for due times, so that a seed gives the same cases as before them.
        due_rng = random.Random(seed + 1)
        writer = _Writer()
        now = timezone.now()
        started = time.monotonic()
        done = 0
        recent: dict[str, list] = {EntityKind.BUSINESS: [], EntityKind.INDIVIDUAL: []}
        while done < count:
            size = min(batch, count - done)
            entities, runtimes, history = [], [], []
            for _ in range(size):
                target = rng.choice(targets)
                kind = target["kind"]
                pool = recent[kind]
                if pool and rng.random() < SECOND_CASE_SHARE:
                    entity_id, correlation_id, data = rng.choice(pool)
                else:
                    entity_id, correlation_id, data = uuid.UUID(int=rng.getrandbits(128), version=4), _correlation_id(rng, kind), _entity_data(rng, kind)
                    created = now - TWO_YEARS * rng.random()
                    entities.append(_entity_row(project_obj.pk, entity_id, kind, correlation_id, data, created))
                    pool.append((entity_id, correlation_id, data))
                    if len(pool) > 1000:
                        del pool[: len(pool) - 1000]
                runtime_id = uuid.UUID(int=rng.getrandbits(128), version=4)
                status = _pick_status(rng)
                state = rng.choice(target["finals"] if status == RuntimeStatus.COMPLETED else target["open"])
                created_at = now - TWO_YEARS * rng.random()
                updated_at = min(now, created_at + timedelta(days=30) * rng.random())
                assignee = rng.choice(members) if members and status == RuntimeStatus.ACTIVE and rng.random() < ASSIGNED_SHARE else None
                due_at = _due_at(due_rng.random(), target["sla"], status, created_at, now)
                runtimes.append({
                    "id": runtime_id, "project_id": project_obj.pk, "definition_id": target["definition_id"],
                    "definition_version_id": target["version_id"], "entity_id": entity_id, "entity_kind": kind,
                    # The queues' copies, as WorkflowRuntime.save writes them from the context.
                    "entity_name": entity_display_name(kind, data), "entity_correlation_id": correlation_id,
                    "entity_email": entity_email(data), "assignee_username": usernames.get(assignee),
                    "entity_registration_number": data.get("registrationNumber", ""), "due_at": due_at,
                    "state": state, "status": status, "tags": target["tags"].get(state, []),
                    "context": {"entity": {"type": kind, "id": correlation_id, "data": data}, "documents": []},
                    "config": {}, "assignee_id": assignee, "created_by_label": "generate_cases",
                    "created_at": created_at, "updated_at": updated_at,
                    "resolved_at": updated_at if status != RuntimeStatus.ACTIVE else None,
                })
                history.append({
                    "project_id": project_obj.pk, "runtime_id": runtime_id, "kind": HistoryKind.CREATED,
                    "to_state": target["initial"], "payload": {}, "actor_label": "generate_cases", "created_at": created_at,
                })
            with transaction.atomic():
                writer.write(Entity, entities)
                writer.write(WorkflowRuntime, runtimes)
                writer.write(HistoryEvent, history)
            done += size
            self.stdout.write(f"{done} cases ({time.monotonic() - started:.0f} s)")
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            # Statistics for the planner, and the visibility map that lets counts and deep
            # pages read the indexes alone.
            with connection.cursor() as cursor:
                for model in (Entity, WorkflowRuntime, HistoryEvent):
                    cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
        self.stdout.write(self.style.SUCCESS(f"Added {count} cases to '{project}' in {time.monotonic() - started:.0f} s."))


def _due_at(roll: float, sla, status, created_at, now):
    """A closed case was due `sla` hours after it was created; an open one is due within its SLA
    from now, OVERDUE_SHARE of them past it."""
    if not sla:
        return None
    if status != RuntimeStatus.ACTIVE:
        return created_at + timedelta(hours=sla)
    return now + timedelta(hours=sla) * (roll - OVERDUE_SHARE)


def _fill_due_times(project, targets, now) -> int:
    """Due times for existing open cases, as generated ones get them (the database's random()
    instead of the seed's draws), in one UPDATE per definition."""
    changed, done = 0, set()
    for target in targets:
        if not target["sla"] or target["definition_id"] in done:
            continue
        done.add(target["definition_id"])
        seconds = target["sla"] * 3600
        cases = WorkflowRuntime.objects.filter(project=project, definition_id=target["definition_id"], status=RuntimeStatus.ACTIVE)
        if connection.vendor != "postgresql":
            rng = random.Random(0)
            rows = list(cases.only("pk", "status", "created_at"))
            for row in rows:
                row.due_at = _due_at(rng.random(), target["sla"], row.status, row.created_at, now)
            WorkflowRuntime.objects.bulk_update(rows, ["due_at"], batch_size=500)
            changed += len(rows)
            continue
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE workflows_workflowruntime SET due_at = %s + make_interval(secs => %s * (random() - %s)) "
                "WHERE project_id = %s AND definition_id = %s AND status = %s",
                [now, seconds, OVERDUE_SHARE, project.pk, target["definition_id"], RuntimeStatus.ACTIVE],
            )
            changed += cursor.rowcount
    return changed


def _targets(project, default_sla: float = DEFAULT_SLA_HOURS) -> list[dict]:
    """One entry per (queue kind, definition): what a generated case may be."""
    queues = Queue.objects.filter(project=project).prefetch_related("definitions")
    definitions = {d.pk: d for q in queues for d in q.definitions.all()}
    versions = latest_versions(list(definitions.values()))
    seen, targets = set(), []
    for queue in queues:
        for definition in queue.definitions.all():
            version = versions.get(definition.pk)
            if version is None or (queue.entity_kind, definition.pk) in seen:
                continue
            seen.add((queue.entity_kind, definition.pk))
            states = version.statechart.get("states") or {}
            finals = [name for name, spec in states.items() if isinstance(spec, dict) and spec.get("type") == "final"]
            open_states = [name for name in states if name not in finals] or list(states)
            targets.append({
                "kind": queue.entity_kind, "definition_id": definition.pk, "version_id": version.pk,
                "initial": version.statechart.get("initial") or (open_states[0] if open_states else ""),
                "open": open_states or [""], "finals": finals or open_states or [""],
                "tags": {name: list(spec.get("tags") or []) for name, spec in states.items() if isinstance(spec, dict)},
                "sla": sla_hours(version.config) or (default_sla if default_sla and default_sla > 0 else None),
            })
    return targets


def _pick_status(rng) -> str:
    roll = rng.random()
    for status, share in STATUS_MIX:
        if roll < share:
            return status
        roll -= share
    return RuntimeStatus.COMPLETED


def _correlation_id(rng, kind) -> str:
    prefix = "biz" if kind == EntityKind.BUSINESS else "usr"
    return f"{prefix}_{rng.getrandbits(64):016x}"


def _person(rng) -> tuple[str, str, str]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    email = f"{first.lower()}.{last.lower()}{rng.randrange(100)}@{rng.choice(MAIL_DOMAINS)}"
    return first, last, email


def _entity_data(rng, kind) -> dict:
    first, last, email = _person(rng)
    if kind == EntityKind.BUSINESS:
        name = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_TRADES)} {rng.choice(COMPANY_SUFFIXES)}"
        if rng.random() < 0.5:
            name = f"{last} {name}"
        return {
            "companyName": name, "country": rng.choice(COUNTRIES), "registrationNumber": f"{rng.randrange(10**9):09d}",
            "additionalInfo": {"mainRepresentative": {"firstName": first, "lastName": last, "email": email}},
        }
    return {"firstName": first, "lastName": last, "email": email, "country": rng.choice(COUNTRIES)}


def _entity_row(project_id, entity_id, kind, correlation_id, data, created) -> dict:
    name, email = entity_display_name(kind, data), entity_email(data)
    return {
        "id": entity_id, "project_id": project_id, "kind": kind, "correlation_id": correlation_id, "data": data,
        "display_name": name, "email": email, "approval_state": "processing", "created_at": created, "updated_at": created,
    }


class _Writer:
    """Writes rows (dicts of column values; the rest take the field's default) with COPY on
    PostgreSQL and executemany elsewhere."""

    def write(self, model, rows):
        if not rows:
            return
        fields = [f for f in model._meta.concrete_fields if not (f.primary_key and f.get_internal_type() in ("AutoField", "BigAutoField"))]
        defaults = {}
        for f in fields:
            if f.attname not in rows[0]:
                defaults[f.attname] = f.get_default() if f.has_default() else ("" if f.empty_strings_allowed and not f.null else None)
        columns = [connection.ops.quote_name(f.column) for f in fields]
        table = connection.ops.quote_name(model._meta.db_table)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                from psycopg.types.json import Jsonb

                json_fields = {f.attname for f in fields if f.get_internal_type() == "JSONField"}
                with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row([
                            Jsonb(value) if f.attname in json_fields else value
                            for f in fields
                            for value in (row.get(f.attname, defaults.get(f.attname)),)
                        ])
            else:
                values = [
                    [f.get_db_prep_save(row.get(f.attname, defaults.get(f.attname)), connection) for f in fields]
                    for row in rows
                ]
                cursor.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(fields))})", values
                )
