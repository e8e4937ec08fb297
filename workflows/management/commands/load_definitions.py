from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from projects.models import Project
from workflows.definition_files import definition_file_load
from workflows.errors import ServiceError


class Command(BaseCommand):
    help = (
        "Load workflow definitions (statechart, context schema, config, queues) from JSON files. "
        "A changed definition gets a new version; an unchanged one changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path, metavar="PATH")
        parser.add_argument("--project", default="default", help="Project slug (default: default).")

    def handle(self, *args, paths, project, **options):
        target = Project.objects.filter(slug=project).first()
        if target is None:
            raise CommandError(f"No project with slug '{project}'.")
        failures = 0
        for path in paths:
            try:
                result = definition_file_load(project=target, path=path)
            except ServiceError as error:
                failures += 1
                self.stderr.write(f"{path}: {error.message}")
                for problem in error.errors:
                    where = problem.path or "(file)"
                    self.stderr.write(f"  {where}: {problem.message}")
                continue
            saved = result.saved
            status = "new version" if saved.version_created else "unchanged"
            self.stdout.write(
                f"{path}: {saved.definition.key} version {saved.version.version} ({status})"
            )
        if failures:
            raise CommandError(f"{failures} file(s) not loaded; nothing was written for them.")
