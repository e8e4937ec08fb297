"""Workflow definitions and their versions: saving them (a changed content is a new version,
a version in use is never edited), compiling their statecharts, and the version a run uses."""

import json
from dataclasses import dataclass
from functools import lru_cache

from django.db import connection, transaction

from config.fastload import columns as fastload_columns, first_of
from projects.models import Project

from . import engine
from .errors import NotFound, ValidationFailed
from .json_values import text_problem
from .models import WorkflowDefinition, WorkflowDefinitionVersion
from .validation import definition_errors


@dataclass
class DefinitionSaveResult:
    definition: WorkflowDefinition
    version: WorkflowDefinitionVersion
    version_created: bool


def _validate_definition_content(content: dict) -> None:
    errors = definition_errors(**content)
    if errors:
        raise ValidationFailed(errors, message="Invalid workflow definition")


def _normalised_content(statechart, context_schema, config, extensions) -> dict:
    return {
        "statechart": statechart,
        "context_schema": context_schema or {},
        "config": config or {},
        "extensions": extensions or {},
    }


@transaction.atomic
def definition_save(
    *,
    project: Project,
    key: str,
    name: str = "",
    statechart,
    context_schema=None,
    config=None,
    extensions=None,
    created_by=None,
) -> DefinitionSaveResult:
    """Create the definition or add a version when the content changed; unchanged content
    changes nothing. Invalid content raises ValidationFailed and writes nothing."""
    content = _normalised_content(statechart, context_schema, config, extensions)
    _validate_definition_content(content)
    WorkflowDefinition.objects.get_or_create(
        project=project, key=key, defaults={"name": name or key}
    )
    # The lock serialises version numbering between concurrent loaders.
    definition = WorkflowDefinition.objects.select_for_update().get(project=project, key=key)
    if name and definition.name != name:
        definition.name = name
        definition.save(update_fields=["name"])
    latest = definition.versions.order_by("-version").first()
    if latest is not None and latest.content() == content:
        return DefinitionSaveResult(definition, latest, version_created=False)
    version = WorkflowDefinitionVersion.objects.create(
        definition=definition,
        version=(latest.version + 1) if latest else 1,
        created_by=created_by,
        **content,
    )
    return DefinitionSaveResult(definition, version, version_created=True)


@transaction.atomic
def definition_version_update(
    *, version: WorkflowDefinitionVersion, statechart, context_schema, config, extensions, created_by=None
) -> DefinitionSaveResult:
    """Edit a version. A version that any runtime uses is never changed: the edit becomes a
    new version instead."""
    content = _normalised_content(statechart, context_schema, config, extensions)
    _validate_definition_content(content)
    definition = WorkflowDefinition.objects.select_for_update().get(pk=version.definition_id)
    current = WorkflowDefinitionVersion.objects.get(pk=version.pk)
    if current.content() == content:
        return DefinitionSaveResult(definition, current, version_created=False)
    if not current.runtimes.exists():
        for name, value in content.items():
            setattr(current, name, value)
        current.save(update_fields=list(content))
        return DefinitionSaveResult(definition, current, version_created=False)
    latest = definition.versions.order_by("-version").first()
    new_version = WorkflowDefinitionVersion.objects.create(
        definition=definition, version=latest.version + 1, created_by=created_by, **content
    )
    return DefinitionSaveResult(definition, new_version, version_created=True)


@lru_cache(maxsize=256)
def _machine_for_json(statechart_json: str) -> engine.Machine:
    return engine.Machine(json.loads(statechart_json))


def machine_for(version: WorkflowDefinitionVersion) -> engine.Machine:
    """The compiled machine of a version (cached: compiling guards is not free)."""
    return _machine_for_json(json.dumps(version.statechart, sort_keys=True))


def definition_version_resolve(*, project: Project, key: str, version: int | None = None):
    """The version a run uses: the newest, or the pinned one. 404 outside the project.

    Raw SQL because this sits on the hot path of every run and the ORM spends longer
    compiling this join than PostgreSQL spends answering it (measured with bench/run.py)."""
    if text_problem(key):
        raise NotFound(f"Workflow definition not found: {text_problem(key)}")
    qn = connection.ops.quote_name
    versions, definitions = WorkflowDefinitionVersion._meta.db_table, WorkflowDefinition._meta.db_table
    sql = (
        f"SELECT {fastload_columns(WorkflowDefinitionVersion, 'v')} FROM {qn(versions)} v JOIN {qn(definitions)} d ON d.{qn('id')} = v.{qn('definition_id')} "
        f"WHERE d.{qn('project_id')} = %s AND d.{qn('key')} = %s"
        + (f" AND v.{qn('version')} = %s" if version is not None else "")
        + f" ORDER BY v.{qn('version')} DESC LIMIT 1"
    )
    params = [project.pk, key] + ([version] if version is not None else [])
    found = first_of(WorkflowDefinitionVersion, sql, params)
    if found is None:
        if version is not None:
            raise NotFound(f"Workflow definition '{key}' has no version {version}.")
        raise NotFound(f"Workflow definition '{key}' not found.")
    return found
