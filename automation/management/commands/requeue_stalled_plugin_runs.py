from datetime import timedelta

from django.core.management.base import BaseCommand

from automation.services import plugin_runs_requeue_stalled


class Command(BaseCommand):
    help = (
        "Queues again plugin runs whose task was lost (a worker killed mid-run): queued and overdue, "
        "or running past their lease. Safe from cron: a run keeps its Idempotency-Key, and a finished "
        "run is never sent again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--minutes", type=int, default=15, help="Overdue by more than this (default 15).")

    def handle(self, *args, minutes, **options):
        count = plugin_runs_requeue_stalled(older_than=timedelta(minutes=minutes))
        self.stdout.write(f"{count} stalled plugin run(s) queued again.")
