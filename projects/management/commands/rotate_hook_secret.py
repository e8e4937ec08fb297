from django.core.management.base import BaseCommand, CommandError

from projects.models import Project
from projects.services import project_hook_secret_rotate


class Command(BaseCommand):
    help = (
        "Generate a new hook secret for a project (vendors sign their callbacks to the hook with it). "
        "The secret is printed once, as the last line; the previous one stops working."
    )

    def add_arguments(self, parser):
        parser.add_argument("project", help="Project slug.")

    def handle(self, *args, project, **options):
        target = Project.objects.filter(slug=project).first()
        if target is None:
            raise CommandError(f"No project with slug '{project}'.")
        secret = project_hook_secret_rotate(project=target)
        self.stdout.write(
            f"New hook secret for project '{target.slug}' (X-HMAC-Signature of callbacks to the hook). "
            "Store it now: it is not shown again, and the previous one no longer works."
        )
        self.stdout.write(secret)
