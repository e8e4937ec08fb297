"""Definition keys stay definition-level (SPEC section 4): a run's config carries run-level keys
only, and a definition's console rules name events its statechart handles."""

import pytest

from workflows.actors import Actor
from workflows.errors import ValidationFailed
from workflows.models import WorkflowRuntime
from workflows.definitions import definition_save
from workflows.services import workflow_start
from workflows.validation import config_errors

from ..factories import SIMPLE_STATECHART, business_context

DEFINITION_KEYS = {
    "decisionReasons": {"reject": ["Fraud"]},
    "operatorEvents": ["approve"],
    "systemEvents": ["RESUBMITTED"],
    "slaHours": 24,
    "fourEyes": {"events": ["approve"]},
    "childCallbackResults": [{"definitionId": "kyc"}],
}


def save(project, config, statechart=SIMPLE_STATECHART):
    return definition_save(project=project, key="kyb", statechart=statechart, config=config)


@pytest.mark.parametrize("key", list(DEFINITION_KEYS))
def test_a_run_carrying_a_definition_key_is_refused_naming_the_key(definition_version, key):
    with pytest.raises(ValidationFailed) as raised:
        workflow_start(
            project=definition_version.definition.project,
            workflow_id="kyb",
            context=business_context(),
            config={key: DEFINITION_KEYS[key]},
            actor=Actor(),
        )
    [error] = raised.value.errors
    assert error.path == f"config.{key}"
    assert f"'{key}' sets the rules of the workflow definition" in error.message
    assert WorkflowRuntime.objects.count() == 0


def test_a_run_may_carry_the_run_level_keys():
    config = {
        "subscriptions": [],
        "initialEvent": "approve",
        "allowMultipleActiveWorkflows": True,
        "language": "en",
        "uiOptions": {"theme": "dark"},
    }
    assert config_errors(config) == []


def test_a_definition_may_carry_every_definition_key(project):
    assert save(project, DEFINITION_KEYS).version.config == DEFINITION_KEYS


@pytest.mark.parametrize(
    ("config", "path"),
    [
        ({"decisionReasons": {"reject": "Fraud"}}, "config.decisionReasons.reject"),
        ({"fourEyes": {"role": "admin"}}, "config.fourEyes.events"),
        ({"fourEyes": {"events": ["approve"], "role": "owner"}}, "config.fourEyes.role"),
        ({"slaHours": 0}, "config.slaHours"),
        ({"operatorEvents": "approve"}, "config.operatorEvents"),
    ],
)
def test_a_malformed_definition_key_is_refused_with_its_path(project, config, path):
    with pytest.raises(ValidationFailed) as raised:
        save(project, config)
    assert path in [e.path for e in raised.value.errors]


@pytest.mark.parametrize(
    ("config", "path"),
    [
        ({"operatorEvents": ["approve", "aprove"]}, "config.operatorEvents[1]"),
        ({"systemEvents": ["RESUBMIT"]}, "config.systemEvents[0]"),
        ({"fourEyes": {"events": ["sign_off"]}}, "config.fourEyes.events[0]"),
        ({"decisionReasons": {"decline": ["Fraud"]}}, "config.decisionReasons.decline"),
    ],
)
def test_console_rules_naming_an_event_no_state_handles_are_refused_with_the_path(project, config, path):
    with pytest.raises(ValidationFailed) as raised:
        save(project, config)
    [error] = raised.value.errors
    assert (error.path, error.message.startswith("No state handles the event")) == (path, True)
