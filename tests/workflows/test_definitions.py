import pytest

from workflows.actors import Actor
from workflows.errors import ValidationFailed
from workflows.models import WorkflowDefinition, WorkflowDefinitionVersion
from workflows.definitions import definition_save, definition_version_update
from workflows.services import workflow_start

from ..factories import SIMPLE_STATECHART, business_context


def save(project, statechart=SIMPLE_STATECHART, **kwargs):
    return definition_save(project=project, key="kyb", name="KYB", statechart=statechart, **kwargs)


def test_first_save_creates_version_one(project):
    result = save(project)
    assert (result.version.version, result.version_created) == (1, True)
    assert result.definition.name == "KYB"


def test_saving_unchanged_content_adds_no_version(project):
    save(project)
    result = save(project)
    assert result.version_created is False
    assert WorkflowDefinitionVersion.objects.count() == 1


def test_saving_changed_content_adds_the_next_version(project):
    save(project)
    result = save(project, config={"enableManualCreation": False})
    assert (result.version.version, result.version_created) == (2, True)
    assert WorkflowDefinitionVersion.objects.filter(version=1).get().config == {}


def test_invalid_definition_reports_every_problem_with_its_path_and_writes_nothing(project):
    statechart = {
        "initial": "nowhere",
        "states": {"review": {"on": {"approve": "approved_typo"}}},
    }
    with pytest.raises(ValidationFailed) as raised:
        save(project, statechart=statechart, context_schema={"type": "banana"}, config={"colour": 1})
    paths = [e.path for e in raised.value.errors]
    assert "statechart.initial" in paths
    assert any(p.startswith("statechart.states.review.on.approve") for p in paths)
    assert any(p.startswith("contextSchema") for p in paths)
    assert "config.colour" in paths
    assert WorkflowDefinition.objects.count() == 0


def test_initial_event_must_be_handled_by_the_initial_state(project):
    with pytest.raises(ValidationFailed) as raised:
        save(project, config={"initialEvent": "start"})
    assert [e.path for e in raised.value.errors] == ["config.initialEvent"]


def test_editing_an_unused_version_changes_it_in_place(project):
    version = save(project).version
    result = definition_version_update(
        version=version, statechart=SIMPLE_STATECHART, context_schema={}, config={"language": "en"}, extensions={}
    )
    assert (result.version.pk, result.version_created) == (version.pk, False)
    version.refresh_from_db()
    assert version.config == {"language": "en"}


def test_editing_a_version_in_use_creates_a_new_version(project):
    version = save(project).version
    workflow_start(project=project, workflow_id="kyb", context=business_context(), actor=Actor())
    result = definition_version_update(
        version=version, statechart=SIMPLE_STATECHART, context_schema={}, config={"language": "en"}, extensions={}
    )
    assert (result.version.version, result.version_created) == (2, True)
    version.refresh_from_db()
    assert version.config == {}


def test_definition_with_text_the_database_cannot_store_is_refused_with_its_path(project):
    statechart = {**SIMPLE_STATECHART, "states": {**SIMPLE_STATECHART["states"], "bad\x00state": {"type": "final"}}}
    with pytest.raises(ValidationFailed) as raised:
        definition_save(project=project, key="nul", statechart=statechart, context_schema={"title": "\ud800"})
    assert [(e.path, e.message.split(" (")[0]) for e in raised.value.errors] == [
        ("statechart.states.bad\\u0000state", "Key: Contains a NUL character"),
        ("contextSchema.title", "Contains an unpaired surrogate"),
    ]
    assert not WorkflowDefinition.objects.filter(key="nul").exists()
