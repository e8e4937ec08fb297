from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from projects.models import Project
from projects.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key for a project. The raw key is printed once, as the last line."

    def add_arguments(self, parser):
        parser.add_argument("--project", required=True, help="Project slug.")
        parser.add_argument("--name", default="CLI key")
        parser.add_argument("--expires-in-days", type=int, default=None)

    def handle(self, *args, project, name, expires_in_days, **options):
        target = Project.objects.filter(slug=project).first()
        if target is None:
            raise CommandError(f"No project with slug '{project}'.")
        if expires_in_days is not None and expires_in_days <= 0:
            raise CommandError("--expires-in-days must be a positive number of days.")
        expires_at = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
        api_key, raw_key = api_key_create(project=target, name=name, expires_at=expires_at)
        self.stdout.write(
            f"Created API key '{api_key.name}' for project '{target.slug}'. "
            "Store it now: it is not shown again."
        )
        self.stdout.write(raw_key)
