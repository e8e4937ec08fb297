"""Reads of workflows, always scoped to one project."""

from django.db.models import Max, Prefetch, QuerySet

from projects.models import Project

from .errors import NotFound
from .models import HistoryEvent, WorkflowDefinition, WorkflowDefinitionVersion, WorkflowRuntime

_HEAVY_VERSION_FIELDS = (
    "definition_version__statechart",
    "definition_version__context_schema",
    "definition_version__config",
    "definition_version__extensions",
)


def runtime_list(*, project: Project) -> QuerySet[WorkflowRuntime]:
    """A project's runtimes with everything a list row shows, in a constant number of queries."""
    return (
        WorkflowRuntime.objects.filter(project=project)
        .select_related("definition", "definition_version", "entity", "assignee")
        .defer(*_HEAVY_VERSION_FIELDS)
        .order_by("-created_at", "-pk")
    )


def runtime_get(*, project: Project, runtime_id) -> WorkflowRuntime:
    runtime = (
        WorkflowRuntime.objects.filter(project=project, pk=runtime_id)
        .select_related("definition", "definition_version", "entity", "assignee")
        .first()
    )
    if runtime is None:
        raise NotFound("Workflow runtime not found.")
    return runtime


def runtime_history(*, project: Project, runtime_id) -> QuerySet[HistoryEvent]:
    if not WorkflowRuntime.objects.filter(project=project, pk=runtime_id).exists():
        raise NotFound("Workflow runtime not found.")
    return HistoryEvent.objects.filter(project=project, runtime_id=runtime_id).order_by("created_at", "id")


def definition_list(*, project: Project) -> QuerySet[WorkflowDefinition]:
    return (
        WorkflowDefinition.objects.filter(project=project)
        .annotate(latest_version=Max("versions__version"))
        .order_by("key")
    )


def definition_get(*, project: Project, key: str) -> WorkflowDefinition:
    definition = (
        definition_list(project=project)
        .filter(key=key)
        .prefetch_related(
            Prefetch(
                "versions",
                queryset=WorkflowDefinitionVersion.objects.order_by("-version"),
                to_attr="version_list",
            )
        )
        .first()
    )
    if definition is None:
        raise NotFound(f"Workflow definition '{key}' not found.")
    return definition


def definition_versions_newer(*, runtime: WorkflowRuntime) -> list[WorkflowDefinitionVersion]:
    """The versions of the case's definition newer than the one it is on, newest first."""
    return list(
        WorkflowDefinitionVersion.objects.filter(
            definition_id=runtime.definition_id, version__gt=runtime.definition_version.version
        ).order_by("-version")
    )
