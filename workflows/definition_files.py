"""Definition files (JSON) as read by `load_definitions` and the demo: one definition with its
context schema, config and queues."""

import json
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from jsonschema import Draft202012Validator

from projects.models import Project

from .errors import FieldError, ValidationFailed
from .services import DefinitionSaveResult, definition_save
from .validation import schema_errors

DEFINITION_FILE_SCHEMA = {
    "type": "object",
    "required": ["key", "statechart"],
    "additionalProperties": False,
    "properties": {
        "key": {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", "maxLength": 100},
        "name": {"type": "string", "maxLength": 200},
        "statechart": {},
        "contextSchema": {"type": "object"},
        "config": {},
        "extensions": {"type": "object"},
        "queues": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "slug", "entityKind"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": 200},
                    "slug": {"type": "string", "pattern": r"^[-a-zA-Z0-9_]+$", "maxLength": 100},
                    "entityKind": {"enum": ["business", "individual"]},
                    "position": {"type": "integer", "minimum": 0},
                    "statuses": {"type": "array", "items": {"type": "string"}},
                    "states": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}
_file_validator = Draft202012Validator(DEFINITION_FILE_SCHEMA)


@dataclass
class LoadResult:
    path: Path
    saved: DefinitionSaveResult
    queues: list


def read_definition_file(path: Path) -> dict:
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ValidationFailed([FieldError("", f"Cannot read the file: {error}")]) from error
    except json.JSONDecodeError as error:
        raise ValidationFailed(
            [FieldError("", f"Not valid JSON (line {error.lineno}, column {error.colno}): {error.msg}")]
        ) from error
    errors = schema_errors(_file_validator, document, "")
    if errors:
        raise ValidationFailed(errors, message="Not a definition file")
    return document


@transaction.atomic
def definition_file_load(*, project: Project, path: Path) -> LoadResult:
    """Load one file: a changed definition adds a version, an unchanged one changes nothing.
    Nothing is written when any part of the file is invalid."""
    from cases.services import queue_save

    document = read_definition_file(path)
    saved = definition_save(
        project=project,
        key=document["key"],
        name=document.get("name", ""),
        statechart=document["statechart"],
        context_schema=document.get("contextSchema"),
        config=document.get("config"),
        extensions=document.get("extensions"),
    )
    queues = [
        queue_save(
            project=project,
            slug=spec["slug"],
            name=spec["name"],
            entity_kind=spec["entityKind"],
            definitions=[saved.definition],
            statuses=spec.get("statuses"),
            states=spec.get("states"),
            position=spec.get("position", 0),
        )
        for spec in document.get("queues", [])
    ]
    return LoadResult(path=Path(path), saved=saved, queues=queues)


DEMO_DIR = Path(__file__).resolve().parent / "demo"


def demo_definition_paths() -> list[Path]:
    return sorted(DEMO_DIR.glob("*.json"))
