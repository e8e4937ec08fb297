from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from projects.models import Project, Role
from projects.services import api_key_create, membership_set
from workflows.definition_files import definition_file_load, demo_definition_paths

DEMO_USERS = (
    # username, password, superuser, role in the default project
    ("admin", "admin", True, Role.ADMIN),
    ("operator", "operator", False, Role.OPERATOR),
)


class Command(BaseCommand):
    help = (
        "Load the demo: project 'default', the demo definitions and queues, the demo users "
        "(only with DEBUG on) and a new API key, printed once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-users", action="store_true", help="Do not create demo users.")
        parser.add_argument("--no-api-key", action="store_true", help="Do not create an API key.")

    @transaction.atomic
    def handle(self, *args, no_users, no_api_key, **options):
        if not no_users and not settings.DEBUG:
            raise CommandError(
                "Refusing to create the demo users (admin/admin, operator/operator) with DEBUG "
                "off. Run with DEBUG=true, or pass --no-users."
            )
        project, _ = Project.objects.get_or_create(slug="default", defaults={"name": "Default"})
        for path in demo_definition_paths():
            result = definition_file_load(project=project, path=path)
            state = "new version" if result.saved.version_created else "unchanged"
            self.stdout.write(
                f"Definition {result.saved.definition.key} v{result.saved.version.version} ({state})"
            )
        if not no_users:
            self._create_users(project)
        if settings.DEBUG:
            self.stdout.write(f"Webhook signing secret of project 'default' (X-HMAC-Signature): {project.webhook_secret}")
        if not no_api_key:  # the raw key stays the last line, for scripts
            _, raw_key = api_key_create(project=project, name="demo")
            self.stdout.write("API key for project 'default' (shown once):")
            self.stdout.write(f"    {raw_key}")

    def _create_users(self, project):
        User = get_user_model()
        for username, password, superuser, role in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"is_staff": superuser, "is_superuser": superuser}
            )
            if created:
                user.set_password(password)
                user.save()
            membership_set(project=project, user=user, role=role)
            self.stdout.write(
                f"Login: {username} / {password}" if created else f"Login: {username} (exists)"
            )
