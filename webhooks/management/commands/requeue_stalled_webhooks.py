from datetime import timedelta

from django.core.management.base import BaseCommand

from webhooks.services import webhook_deliveries_requeue_stalled


class Command(BaseCommand):
    help = (
        "Queues again webhook deliveries whose attempt is overdue (their task was lost, e.g. a "
        "worker was killed mid-attempt). Safe to run from cron: a delivery is never sent twice "
        "once delivered."
    )

    def add_arguments(self, parser):
        parser.add_argument("--minutes", type=int, default=15, help="Overdue by more than this (default 15).")

    def handle(self, *args, minutes, **options):
        count = webhook_deliveries_requeue_stalled(older_than=timedelta(minutes=minutes))
        self.stdout.write(f"{count} stalled webhook delivery(ies) queued again.")
