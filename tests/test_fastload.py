"""config.fastload builds the rows the ORM would build, in one SELECT built once."""

import pytest

from config.fastload import get_with_related
from projects.models import ApiKey
from tests.factories import ProjectFactory, UserFactory, demo_case_start
from workflows.models import WorkflowRuntime

RELATED = ("definition_version", "definition", "entity", "assignee")


def field_values(obj):
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


@pytest.mark.parametrize("assigned", [False, True])
def test_a_runtime_and_its_relations_are_loaded_as_select_related_loads_them(demo_project, assigned, django_assert_num_queries):
    runtime = demo_case_start(demo_project, tags=["x"])
    if assigned:
        runtime.assignee = UserFactory()
        runtime.save()
    expected = WorkflowRuntime.objects.select_related(*RELATED).get(pk=runtime.pk)
    with django_assert_num_queries(1):
        loaded = get_with_related(WorkflowRuntime, related=RELATED, filters={"project": demo_project.pk, "pk": str(runtime.pk)}, lock=True)
        related = [getattr(loaded, name) for name in RELATED]  # all cached: no further query
    assert field_values(loaded) == field_values(expected)
    for name, value in zip(RELATED, related):
        other = getattr(expected, name)
        assert (value is None and other is None) or field_values(value) == field_values(other)
    assert loaded._state.adding is False and loaded._state.db == "default"
    assert isinstance(loaded.context, dict) and loaded.context == expected.context


def test_no_row_is_none_and_other_projects_rows_are_not_found(demo_project):
    runtime = demo_case_start(demo_project)
    other = ProjectFactory()
    assert get_with_related(WorkflowRuntime, related=RELATED, filters={"project": other.pk, "pk": runtime.pk}) is None
    assert get_with_related(ApiKey, related=("project",), filters={"lookup": "000000000000"}) is None


def test_the_version_a_run_resolves_is_the_orms_row(demo_project):
    from workflows.models import WorkflowDefinitionVersion
    from workflows.definitions import definition_version_resolve

    found = definition_version_resolve(project=demo_project, key="till_basic_kyb_demo")
    expected = WorkflowDefinitionVersion.objects.filter(definition__project=demo_project, definition__key="till_basic_kyb_demo").latest("version")
    assert field_values(found) == field_values(expected) and isinstance(found.statechart, dict)
