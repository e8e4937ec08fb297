"""Reads for the readable entity on the case page and for the entity profile (issue 16, items
1 and 11), always scoped to the current project, each a fixed number of queries."""

from automation.entities import ROLES
from automation.models import EntityLink
from projects.models import Project
from workflows.models import Entity, WorkflowRuntime

from .entity_view import entity_view, input_labels
from .selectors import state_labels_set


def _lists_people(data) -> bool:
    if not isinstance(data, dict):
        return False
    info = data.get("additionalInfo") if isinstance(data.get("additionalInfo"), dict) else {}
    return any(isinstance(source.get(key), list) and source.get(key) for source in (data, info) for key in ROLES)


def people_entities(*, entity: Entity, data) -> dict[str, str]:
    """The business's linked people (ENTITIES_UPDATE): their entity id -> their record's primary
    key, in one query, and none when the data lists nobody."""
    if entity.kind != "business" or not _lists_people(data):
        return {}
    links = EntityLink.objects.filter(project_id=entity.project_id, business=entity).values_list("person__correlation_id", "person_id")
    return {correlation_id: str(pk) for correlation_id, pk in links}


def case_entity_view(*, runtime: WorkflowRuntime, data: dict, children: list) -> dict:
    """The readable entity of a case: its own context's data, labelled by its definition
    version's input schema, each UBO or director linked to their child case among `children`
    (the page's, already read) or else to their entity record."""
    entity = runtime.entity
    by_entity_id = {item["case"].entity.correlation_id: item["case"] for item in children}
    return entity_view(
        entity.kind,
        data,
        labels=input_labels(runtime.definition_version.statechart),
        business_id=entity.correlation_id,
        children=by_entity_id,
        entities=people_entities(entity=entity, data=data),
    )


def entity_get(*, project: Project, entity_id) -> Entity | None:
    return Entity.objects.filter(project=project, pk=entity_id).first()


def entity_cases(*, project: Project, entity: Entity):
    """Every case of the entity across workflows, newest first, with what a row shows (the
    case's copy of its assignee's user name: no join with the users)."""
    return (
        WorkflowRuntime.objects.filter(project=project, entity=entity)
        .select_related("definition")
        .only(
            "id", "state", "status", "created_at", "updated_at", "assignee_username", "parent_runtime_id",
            "definition__key", "definition__name", "definition_version_id",
        )
        .order_by("-created_at", "-id")
    )


def entity_labels(*, entity: Entity) -> dict[str, str]:
    """Labels from the input schema of the entity's newest case's definition version (one query)."""
    statechart = (
        WorkflowRuntime.objects.filter(project_id=entity.project_id, entity=entity)
        .order_by("-created_at", "-id")
        .values_list("definition_version__statechart", flat=True)
        .first()
    )
    return input_labels(statechart)


def people_child_cases(*, entity: Entity) -> dict:
    """The business's people's child cases (started by any case of the business), the newest of
    each person, by their entity id: one query, none when the data lists nobody."""
    if entity.kind != "business" or not _lists_people(entity.data):
        return {}
    children = list(
        WorkflowRuntime.objects.filter(project_id=entity.project_id, parent_runtime__entity=entity)
        .select_related("entity")
        .only("id", "state", "status", "definition_version_id", "entity_id", "entity__correlation_id")  # not each context
        .order_by("created_at", "id")
    )
    state_labels_set(children)
    return {child.entity.correlation_id: child for child in children}  # the newest wins


def entity_profile_view(*, entity: Entity) -> dict:
    """The entity's record (the latest data received for it) as the readable entity, its
    people linked to their child cases, else to their entity records."""
    return entity_view(
        entity.kind,
        entity.data,
        labels=entity_labels(entity=entity),
        business_id=entity.correlation_id,
        children=people_child_cases(entity=entity),
        entities=people_entities(entity=entity, data=entity.data),
    )
