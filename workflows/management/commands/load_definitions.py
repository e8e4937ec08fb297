from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from projects.models import Project
from workflows.definition_files import definition_file_load
from workflows.errors import ServiceError
from workflows.validation import definition_warnings


class Command(BaseCommand):
    help = (
        "Load workflow definitions (statechart, context schema, config, queues) from JSON files. "
        "A changed definition gets a new version; an unchanged one changes nothing. A definition "
        "whose newest version was written or edited in the admin (not by a file load) is not "
        "replaced: the file is skipped, nothing of it is written, and the command exits with an "
        "error naming it. Pass --replace-edits to load such files anyway (as a new version; the "
        "admin's version stays, but new cases start on the file's)."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path, metavar="PATH")
        parser.add_argument("--project", default="default", help="Project slug (default: default).")
        parser.add_argument(
            "--replace-edits",
            action="store_true",
            help="Load a file even when its definition's newest version was changed in the admin.",
        )

    def handle(self, *args, paths, project, replace_edits, **options):
        target = Project.objects.filter(slug=project).first()
        if target is None:
            raise CommandError(f"No project with slug '{project}'.")
        failures = skipped = 0
        for path in paths:
            try:
                result = definition_file_load(project=target, path=path, replace_edits=replace_edits)
            except ServiceError as error:
                failures += 1
                self.stderr.write(f"{path}: {error.message}")
                for problem in error.errors:
                    where = problem.path or "(file)"
                    self.stderr.write(f"  {where}: {problem.message}")
                continue
            if result.skipped is not None:
                skipped += 1
                version = result.skipped
                self.stderr.write(
                    f"{path}: skipped {version.definition.key}: version {version.version} was changed "
                    "in the admin; the file was not loaded (--replace-edits loads it as a new version)."
                )
                continue
            saved = result.saved
            status = "new version" if saved.version_created else "unchanged"
            self.stdout.write(
                f"{path}: {saved.definition.key} version {saved.version.version} ({status})"
            )
            for warning in definition_warnings(saved.version.config):
                self.stdout.write(f"  warning: {warning}")
        problems = []
        if failures:
            problems.append(f"{failures} file(s) not loaded; nothing was written for them.")
        if skipped:
            problems.append(
                f"{skipped} file(s) skipped: their definition was changed in the admin "
                "(pass --replace-edits to load them anyway)."
            )
        if problems:
            raise CommandError(" ".join(problems))
