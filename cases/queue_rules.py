"""What a queue may hold, so that it can show cases: known statuses, at least one definition of
its own project, states those definitions have, and an entity kind they can start cases for.

A definition is judged by all its versions, since old cases stay on the version they started on.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from projects.models import Project
from workflows.errors import FieldError
from workflows.models import EntityKind, RuntimeStatus, WorkflowDefinition, WorkflowDefinitionVersion
from workflows.validation import schema_entity_kinds

NO_DEFINITIONS = "Choose at least one workflow definition: a queue without one never shows a case."


@dataclass(frozen=True)
class DefinitionReach:
    """The states and entity kinds a definition's cases can have, over all its versions."""

    definition: WorkflowDefinition
    states: frozenset[str]
    entity_kinds: frozenset[str]


def statechart_states(statechart) -> frozenset[str]:
    states = statechart.get("states") if isinstance(statechart, dict) else None
    return frozenset(states) if isinstance(states, dict) else frozenset()


def definition_reaches(definitions: Iterable[WorkflowDefinition]) -> dict:
    """Each definition's reach by primary key, read in one query. A definition without a version
    has no states yet and is not limited to a kind."""
    definitions = list(definitions)
    states: dict = {d.pk: set() for d in definitions}
    kinds: dict = {d.pk: set() for d in definitions}
    versions = (
        WorkflowDefinitionVersion.objects.filter(definition__in=[d.pk for d in definitions])
        .order_by()
        .values_list("definition_id", "statechart", "context_schema")
    )
    for definition_id, statechart, context_schema in versions:
        states[definition_id] |= statechart_states(statechart)
        kinds[definition_id] |= schema_entity_kinds(context_schema) or frozenset(EntityKind.values)
    return {
        d.pk: DefinitionReach(
            definition=d,
            states=frozenset(states[d.pk]),
            entity_kinds=frozenset(kinds[d.pk]) if kinds[d.pk] else frozenset(EntityKind.values),
        )
        for d in definitions
    }


def definition_label(definition: WorkflowDefinition) -> str:
    return f"{definition.name} ({definition.key})" if definition.name and definition.name != definition.key else definition.key


def queue_errors(
    *,
    project: Project | None,
    entity_kind: str | None,
    definitions: list[WorkflowDefinition] | None,
    statuses: list,
    states: list,
) -> list[FieldError]:
    """Why a queue with these settings could not show the cases it means to, as errors on the
    fields `entity_kind`, `definitions`, `statuses` and `states` (empty when it can).

    None for `project`, `entity_kind` or `definitions` means the caller has already refused that
    value: the rules that need it are skipped."""
    errors = []
    unknown = [s for s in statuses if s not in RuntimeStatus.values]
    if unknown:
        known = ", ".join(RuntimeStatus.values)
        errors.append(FieldError("statuses", f"Unknown statuses: {_quoted(unknown)}. A case is one of: {known}."))
    if definitions is None:
        return errors
    if not definitions:
        errors.append(FieldError("definitions", NO_DEFINITIONS))
        return errors
    if project is not None:
        foreign = [d for d in definitions if d.project_id != project.pk]
        if foreign:
            errors.append(
                FieldError(
                    "definitions",
                    f"Not definitions of project {project.name}: {', '.join(map(definition_label, foreign))}. "
                    "Choose definitions of the queue's project only.",
                )
            )
    reaches = definition_reaches(definitions).values()
    if entity_kind in EntityKind.values:
        unable = [r.definition for r in reaches if entity_kind not in r.entity_kinds]
        if unable:
            kind_label = EntityKind(entity_kind).label.lower()
            errors.append(
                FieldError(
                    "entity_kind",
                    f"{'An' if kind_label[:1].lower() in 'aeiou' else 'A'} {kind_label} queue cannot show cases of {', '.join(map(definition_label, unable))}: "
                    f"{'its' if len(unable) == 1 else 'their'} context schema (entity.type) does not allow "
                    f"{entity_kind} entities.",
                )
            )
    known_states = set().union(*(r.states for r in reaches))
    unknown = [s for s in states if s not in known_states]
    if unknown:
        listed = ", ".join(sorted(known_states)) or "none"
        errors.append(
            FieldError(
                "states",
                f"Not a state of the chosen definitions: {_quoted(unknown)}. Their states: {listed}.",
            )
        )
    return errors


def _quoted(values) -> str:
    return ", ".join(f"“{v}”" for v in values)
