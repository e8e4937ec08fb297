from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from workflows.idempotency import idempotency_records_prune


class Command(BaseCommand):
    help = (
        "Forget Idempotency-Keys first used more than --hours ago (default 24), so the table does "
        "not grow for ever; a request repeated with such a key after that is handled as new. Run it from cron."
    )

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=int, default=24)

    def handle(self, *args, hours, **options):
        if hours < 1:
            raise CommandError("--hours must be at least 1.")
        removed = idempotency_records_prune(older_than=timedelta(hours=hours))
        self.stdout.write(f"{removed} Idempotency-Key record(s) older than {hours} h removed.")
