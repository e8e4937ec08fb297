"""Definition files (JSON) as read by `load_definitions` and the demo: one definition with its
context schema, config and queues."""

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from jsonschema import Draft202012Validator

from projects.models import Project

from .errors import FieldError, ValidationFailed
from .json_values import json_parse
from .models import WorkflowDefinition, WorkflowDefinitionVersion
from .definitions import DefinitionSaveResult, definition_save
from .validation import definition_errors, schema_errors

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
    saved: DefinitionSaveResult | None  # None when the file was skipped
    queues: list
    # The newest version, changed in the admin since a file load wrote it: the file was not
    # loaded (nothing of it was written).
    skipped: WorkflowDefinitionVersion | None = None
    queues_kept: list = field(default_factory=list)  # demo queues that existed already
    definition_created: bool = False


def read_definition_file(path: Path) -> dict:
    try:
        document = json_parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ValidationFailed([FieldError("", f"Cannot read the file: {error}")]) from error
    except json.JSONDecodeError as error:
        raise ValidationFailed(
            [FieldError("", f"Not valid JSON (line {error.lineno}, column {error.colno}): {error.msg}")]
        ) from error
    except ValueError as error:  # read as the API reads JSON: no NaN, no key given twice
        raise ValidationFailed([FieldError("", f"Not valid JSON: {error}")]) from error
    errors = schema_errors(_file_validator, document, "")
    if errors:
        raise ValidationFailed(errors, message="Not a definition file")
    return document


DEMO_DIR = Path(__file__).resolve().parent / "demo"
DEMO_SOURCE_PREFIX = "demo/"


def demo_definition_paths() -> list[Path]:
    return sorted(DEMO_DIR.glob("*.json"))


def file_source(path: Path) -> str:
    """How a version records the file it was loaded from: `demo/<name>` for the demo's own
    files (wherever the checkout is), the absolute path for any other file."""
    resolved = Path(path).resolve()
    if resolved.parent == DEMO_DIR.resolve():
        return DEMO_SOURCE_PREFIX + resolved.name
    return str(resolved)


def content_sha256(version: WorkflowDefinitionVersion) -> str:
    canonical = json.dumps(version.content(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _mark_loaded(version: WorkflowDefinitionVersion, source: str) -> None:
    """Record that a file load wrote this content. The checksum is taken of the content as
    read back from the database, so a later comparison sees exactly what was stored."""
    version.refresh_from_db(fields=["statechart", "context_schema", "config", "extensions"])
    checksum = content_sha256(version)
    if (version.loaded_from, version.loaded_sha256) != (source, checksum):
        version.loaded_from, version.loaded_sha256 = source, checksum
        version.save(update_fields=["loaded_from", "loaded_sha256"])


def version_is_file_loaded(version: WorkflowDefinitionVersion, *, demo: bool = False) -> bool:
    """Whether the version still holds what a file load (with `demo`, a load of a demo file)
    wrote: not written by the admin, and not edited there since."""
    if not version.loaded_sha256 or content_sha256(version) != version.loaded_sha256:
        return False
    return version.loaded_from.startswith(DEMO_SOURCE_PREFIX) if demo else True


@transaction.atomic
def definition_file_load(
    *, project: Project, path: Path, replace_edits: bool = False, demo: bool = False
) -> LoadResult:
    """Load one file: a changed definition adds a version, an unchanged one changes nothing.
    Nothing is written when any part of the file is invalid.

    Admin edits are not replaced: when the definition's newest version is not what a file
    load wrote (with `demo`, a load of a demo file), the file is skipped and nothing of it is
    written, unless `replace_edits`. With `demo` the demo data is loaded once: an existing
    definition keeps its name and existing queues are left as they are."""
    from cases.models import Queue
    from cases.services import queue_save

    document = read_definition_file(path)
    key = document["key"]
    content = {
        "statechart": document["statechart"],
        "context_schema": document.get("contextSchema") or {},
        "config": document.get("config") or {},
        "extensions": document.get("extensions") or {},
    }
    errors = definition_errors(**content)
    if errors:  # reported even for a file that would be skipped
        raise ValidationFailed(errors, message="Invalid workflow definition")
    definition = (
        WorkflowDefinition.objects.select_for_update().filter(project=project, key=key).first()
    )
    newest = definition.versions.order_by("-version").first() if definition else None
    if newest is not None and newest.content() != content and not replace_edits:
        if not version_is_file_loaded(newest, demo=demo):
            return LoadResult(path=Path(path), saved=None, queues=[], skipped=newest)

    saved = definition_save(
        project=project,
        key=key,
        name="" if demo and definition is not None else document.get("name", ""),
        statechart=content["statechart"],
        context_schema=content["context_schema"],
        config=content["config"],
        extensions=content["extensions"],
    )
    _mark_loaded(saved.version, file_source(path))

    queues, kept = [], []
    for spec in document.get("queues", []):
        if demo:
            existing = Queue.objects.filter(project=project, slug=spec["slug"]).first()
            if existing is not None:
                if definition is None:  # a definition new here cannot have been taken off it
                    existing.definitions.add(saved.definition)
                kept.append(existing)
                continue
        queues.append(
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
        )
    return LoadResult(
        path=Path(path), saved=saved, queues=queues, queues_kept=kept, definition_created=definition is None
    )
