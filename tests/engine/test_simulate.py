"""simulate(): the snapshot format of `manage.py simulate_workflow`."""

import pytest

from workflows.engine import CycleError, DefinitionError, ScenarioError, simulate

from .helpers import json_logic

DEFINITION = {
    "initial": "review",
    "states": {
        "review": {
            "tags": ["manual_review", "manual_review"],
            "on": {"approve": "approved", "revision": {"target": "revision", "cond": json_logic({"var": "allowed"})}},
            "always": {"target": "approved", "cond": json_logic({"var": "auto"})},
        },
        "revision": {"tags": ["revision"], "on": {"RESUBMITTED": "review"}},
        "approved": {"type": "final", "tags": ["approved"]},
    },
}


def snap(event, state, status="active", tags=(), next_events=()):
    return {"event": event, "state": state, "status": status, "tags": list(tags), "nextEvents": list(next_events)}


REVIEW = dict(state="review", tags=["manual_review"], next_events=["approve", "revision"])


def test_first_snapshot_is_after_start_with_null_event():
    assert simulate({"definition": DEFINITION}) == [snap(None, **REVIEW)]


def test_one_snapshot_per_event_in_order():
    result = simulate(
        {"definition": DEFINITION, "context": {"allowed": True}, "events": [{"name": "revision"}, {"name": "RESUBMITTED"}]}
    )
    assert result == [
        snap(None, **REVIEW),
        snap("revision", "revision", tags=["revision"], next_events=["RESUBMITTED"]),
        snap("RESUBMITTED", **REVIEW),
    ]


def test_unhandled_event_repeats_the_snapshot_under_its_name():
    result = simulate({"definition": DEFINITION, "events": [{"name": "nope"}, {"name": "revision"}]})
    assert result == [snap(None, **REVIEW), snap("nope", **REVIEW), snap("revision", **REVIEW)]


def test_payload_reaches_event_guards():
    result = simulate({"definition": DEFINITION, "events": [{"name": "revision", "payload": {"allowed": True}}]})
    assert result[-1]["state"] == "revision"


def test_built_ins_change_the_context_later_guards_see():
    events = [
        {"name": "UPDATE_CONTEXT", "payload": {"context": {"allowed": True}}},
        {"name": "revision"},
        {"name": "RESUBMITTED"},
        {"name": "DEEP_MERGE_CONTEXT", "payload": {"newContext": {"auto": 1}}},
        {"name": "approve"},
    ]
    result = simulate({"definition": DEFINITION, "events": events})
    assert [s["state"] for s in result] == ["review", "review", "revision", "review", "approved", "approved"]
    assert result[-1] == snap("approve", "approved", "completed", ["approved"])


def test_context_defaults_to_empty_and_payload_may_be_null():
    assert simulate({"definition": DEFINITION, "context": None, "events": [{"name": "approve", "payload": None}]})[-1][
        "state"
    ] == "approved"


def test_bad_definition_raises_definition_error():
    with pytest.raises(DefinitionError):
        simulate({"definition": {"initial": "x", "states": {}}})


@pytest.mark.parametrize(
    "scenario, path",
    [
        ([], "scenario"),
        ({}, "scenario.definition"),
        ({"definition": DEFINITION, "events": {}}, "scenario.events"),
        ({"definition": DEFINITION, "events": [{"payload": {}}]}, "scenario.events[0].name"),
        ({"definition": DEFINITION, "events": [{"name": "x", "payload": 3}]}, "scenario.events[0].payload"),
        ({"definition": DEFINITION, "context": [1]}, "scenario.context"),
    ],
)
def test_malformed_scenario_raises_scenario_error_with_path(scenario, path):
    with pytest.raises(ScenarioError) as info:
        simulate(scenario)
    assert [p.path for p in info.value.problems] == [path]


def test_runtime_always_loop_raises_cycle_error():
    definition = {
        "initial": "a",
        "states": {"a": {"always": {"target": "b", "cond": json_logic(True)}}, "b": {"always": {"target": "a", "cond": json_logic(True)}}},
    }
    with pytest.raises(CycleError):
        simulate({"definition": definition})
