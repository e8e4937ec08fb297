from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from projects.models import Project, Role
from projects.services import api_key_create, membership_set
from workflows.definition_files import definition_file_load, demo_definition_paths, version_is_file_loaded
from workflows.demo.cases import DEMO_OPERATORS
from workflows.demo.play import demo_cases_play
from workflows.models import WorkflowRuntime

DEMO_USERS = (
    # username, password, superuser, role in the default project
    ("admin", "admin", True, Role.ADMIN),
    ("operator", "operator", False, Role.OPERATOR),
    *((username, password, False, Role.OPERATOR) for username, password in DEMO_OPERATORS),
)


class Command(BaseCommand):
    help = (
        "Load the demo: project 'default', the demo definitions and queues, a few dozen demo "
        "cases worked over the last days (into a project without cases), the demo users "
        "(only with DEBUG on) and a new API key, printed once. Safe to run any number of times: "
        "the demo data is loaded once and never replaces what an admin changed. A demo "
        "definition is loaded when it does not exist, or when its newest version is still what "
        "a demo file load wrote (a changed demo file then adds a version); one changed in the "
        "admin is skipped, and the output says so. Existing queues and users (their passwords "
        "and roles) are kept as they are. Only the API key is new each run (the last line)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-users", action="store_true", help="Do not create demo users.")
        parser.add_argument("--no-api-key", action="store_true", help="Do not create an API key.")
        parser.add_argument("--no-cases", action="store_true", help="Do not start the demo cases.")

    @transaction.atomic
    def handle(self, *args, no_users, no_api_key, no_cases, **options):
        if not no_users and not settings.DEBUG:
            raise CommandError(
                "Refusing to create the demo users (admin/admin, operator/operator, alice/alice, bob/bob) with DEBUG "
                "off. Run with DEBUG=true, or pass --no-users."
            )
        project, _ = Project.objects.get_or_create(slug="default", defaults={"name": "Default"})
        for path in demo_definition_paths():
            self._load_definition(project, path)
        # The users come before the cases, who are worked by them; their logins are printed last.
        logins = [] if no_users else self._create_users(project)
        if not no_cases:
            self._start_cases(project)
        # The secrets come last, so they are easy to find: logins, webhook secret, API key.
        for line in logins:
            self.stdout.write(line)
        if settings.DEBUG:
            self.stdout.write(f"Webhook signing secret of project 'default' (X-HMAC-Signature): {project.webhook_secret}")
        if not no_api_key:  # the raw key stays the last line, for scripts
            _, raw_key = api_key_create(project=project, name="demo")
            self.stdout.write("API key for project 'default' (shown once):")
            self.stdout.write(f"    {raw_key}")

    def _load_definition(self, project, path):
        result = definition_file_load(project=project, path=path, demo=True)
        skipped = result.skipped
        if skipped is not None:
            how = (
                f"loaded from {skipped.loaded_from}"
                if version_is_file_loaded(skipped)
                else "changed in the admin"
            )
            self.stdout.write(
                f"Skipped {skipped.definition.key}: version {skipped.version} was {how}; "
                "the demo file was not loaded."
            )
            return
        saved = result.saved
        if result.definition_created:
            state = "loaded"
        elif saved.version_created:
            state = "new version: the demo file changed"
        else:
            state = "unchanged"
        self.stdout.write(f"Definition {saved.definition.key} v{saved.version.version} ({state})")
        for queue in result.queues:
            self.stdout.write(f"Queue {queue.name} (created)")
        for queue in result.queues_kept:
            self.stdout.write(f"Queue {queue.name} (kept)")

    def _start_cases(self, project):
        """The demo cases, once: only into a project that has no case yet."""
        if WorkflowRuntime.objects.filter(project=project).exists():
            self.stdout.write("Demo cases: kept (the project already has cases)")
            return
        result = demo_cases_play(project)
        children = WorkflowRuntime.objects.filter(project=project, parent_runtime__isnull=False).count()
        self.stdout.write(f"Demo cases: {result.started} started ({children} more for their UBOs)")
        if result.skipped:
            self.stdout.write(f"Demo cases left out: {len(result.skipped)} (their operators are not members who may act, or their workflow is missing)")

    def _create_users(self, project) -> list[str]:
        """Each demo user is created once, with its membership; an existing one is kept as it
        is (password, flags, role): an admin may have changed them. Returns the login lines."""
        User = get_user_model()
        lines = []
        for username, password, superuser, role in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"is_staff": superuser, "is_superuser": superuser}
            )
            if created:
                user.set_password(password)
                user.save()
                membership_set(project=project, user=user, role=role)
                lines.append(f"Login: {username} / {password}")
            else:
                lines.append(f"Login: {username} (kept; the password is '{password}' unless it was changed)")
        return lines
