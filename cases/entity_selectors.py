"""Reads for the readable entity on the case page and for the entity profile (issue 16, items
1 and 11), always scoped to the current project, each a fixed number of queries."""

from automation.entities import ROLES
from automation.models import EntityLink
from projects.models import Project
from workflows import decisions
from workflows.models import Entity, WorkflowDefinitionVersion, WorkflowRuntime

from .entity_view import entity_view, input_labels


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


def state_labels_set(cases: list) -> None:
    """Gives each case its `state_label` as its own definition version names the state
    (`meta.label`, else the readable name), as the queue shows it: one query for all the
    versions of the page's cases."""
    version_ids = {case.definition_version_id for case in cases}
    charts = WorkflowDefinitionVersion.objects.filter(pk__in=version_ids).values_list("pk", "statechart") if version_ids else []
    labels = {pk: decisions.state_labels(chart) for pk, chart in charts}
    for case in cases:
        case.state_label = labels.get(case.definition_version_id, {}).get(case.state) or decisions.readable(case.state)


def entity_labels(*, entity: Entity) -> dict[str, str]:
    """Labels from the input schema of the entity's newest case's definition version (one query)."""
    statechart = (
        WorkflowRuntime.objects.filter(project_id=entity.project_id, entity=entity)
        .order_by("-created_at", "-id")
        .values_list("definition_version__statechart", flat=True)
        .first()
    )
    return input_labels(statechart)


def entity_profile_view(*, entity: Entity) -> dict:
    """The entity's record (the latest data received for it) as the readable entity, its
    people linked to their entity records."""
    return entity_view(
        entity.kind,
        entity.data,
        labels=entity_labels(entity=entity),
        business_id=entity.correlation_id,
        entities=people_entities(entity=entity, data=entity.data),
    )
