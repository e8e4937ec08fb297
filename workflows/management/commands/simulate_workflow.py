"""`manage.py simulate_workflow FILE`: run workflow scenarios through the engine, no database.

FILE (or `-` for stdin) holds one JSON scenario, possibly pretty-printed, or JSON Lines of them:
{"definition": <statechart>, "context": {...}, "events": [{"name": ..., "payload": {...}}]}.
A scenario with "extensions" (the version's) or "plugins" (a stand-in answer per plugin:
{"<name>": {"response": {...}} | {"error": "..."}}) also runs the plugins of each state the case
comes to rest in, without network (automation.simulate); its snapshots then carry the context
and the plugin runs of each step.
Each scenario prints exactly one line: the JSON array of snapshots, or
{"error": ..., "problems": [{"path", "message"}]} if it cannot run (the exit status is then 1).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from automation import simulate as automation
from workflows.engine import DefinitionError, EngineError, simulate


class _Unparsable:
    def __init__(self, message: str):
        self.message = message


def _scenarios(text: str) -> list:
    """The whole input as one JSON value if it parses, else one value per non-blank line."""
    if not text.strip():
        return []
    try:
        return [json.loads(text)]
    except ValueError:
        pass
    scenarios = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            scenarios.append(json.loads(line))
        except ValueError as exc:
            scenarios.append(_Unparsable(f"line {number}: invalid JSON: {exc}"))
    return scenarios


def _run(scenario) -> tuple[str, bool]:
    """(output line, ok)."""
    if isinstance(scenario, _Unparsable):
        return json.dumps({"error": scenario.message, "problems": []}), False
    try:
        run = automation.simulate if automation.automation_scenario(scenario) else simulate
        return json.dumps(run(scenario)), True
    except DefinitionError as exc:
        error = {"error": str(exc), "problems": [problem.as_dict() for problem in exc.problems]}
    except EngineError as exc:
        error = {"error": f"{type(exc).__name__}: {exc}", "problems": []}
    except Exception as exc:  # one bad scenario must not hide the others' results
        error = {"error": f"internal error: {type(exc).__name__}: {exc}", "problems": []}
    return json.dumps(error), False


class Command(BaseCommand):
    help = (
        "Run workflow scenarios (JSON or JSON Lines) through the engine and print one snapshot line each. "
        'A scenario with "extensions" and "plugins" ({"<name>": {"response": {...}} or {"error": "..."}}) '
        "also runs the plugins with those stand-in answers, without network."
    )
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("file", help="scenario file, or - for stdin")

    def handle(self, *args, **options):
        source = options["file"]
        try:
            text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {source}: {exc}") from exc

        failed = 0
        scenarios = _scenarios(text)
        for scenario in scenarios:
            line, ok = _run(scenario)
            failed += not ok
            self.stdout.write(line)
        self.stdout.flush()
        if failed:
            raise CommandError(f"{failed} of {len(scenarios)} scenarios failed", returncode=1)
