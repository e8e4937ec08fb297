"""validate_definition(): every problem, with its path, never an exception."""

import pytest

from workflows.engine import STATECHART_SCHEMA, Problem, validate_definition

from .helpers import jmespath, json_logic

VALID = {
    "id": "kyb",
    "predictableActionArguments": True,
    "context": {},
    "description": "harmless extra keys",
    "initial": "review",
    "states": {
        "review": {
            "tags": ["manual_review"],
            "meta": {"inputSchema": {"dataSchema": {"type": "object"}, "uiSchema": {}}},
            "on": {
                "approve": "approved",
                "again": "review",
                "revision": [{"target": "review", "cond": json_logic({"==": [{"var": "a"}, 1]})}, {"target": "approved"}],
            },
        },
        "approved": {"type": "final", "tags": ["approved"]},
    },
}


def paths(statechart, context_schema=None):
    return [problem.path for problem in validate_definition(statechart, context_schema)]


def with_state(name, state):
    definition = {"initial": "a", "states": {"a": {"on": {"go": "b"}}, "b": {}}}
    definition["states"][name] = state
    return definition


def test_valid_definition_with_self_transition_and_extra_keys_has_no_problems():
    assert validate_definition(VALID) == []


def test_schema_is_exposed_as_a_module_constant():
    assert STATECHART_SCHEMA["required"] == ["initial", "states"]


@pytest.mark.parametrize("garbage", [None, [], "text", 5, True])
def test_non_object_statechart_is_a_problem_not_an_exception(garbage):
    assert validate_definition(garbage) == [Problem("statechart", "must be a JSON object with `initial` and `states`")]


def test_missing_initial_and_states_are_reported():
    assert [p.message for p in validate_definition({})] == [
        "'initial' is a required property",
        "'states' is a required property",
    ]


def test_unknown_initial_state_is_reported():
    assert paths({"initial": "nope", "states": {"a": {}}}) == ["statechart.initial"]


def test_unknown_target_is_reported_at_its_path():
    definition = with_state("a", {"on": {"go": [{"target": "b"}, {"target": "ghost"}], "x": "ghost2"}})
    assert paths(definition) == ["statechart.states.a.on.go[1].target", "statechart.states.a.on.x"]


def test_unknown_always_target_is_reported():
    assert paths(with_state("a", {"always": [{"target": "ghost", "cond": json_logic(True)}]})) == [
        "statechart.states.a.always[0].target"
    ]


def test_uncompilable_json_logic_guard_is_reported():
    problems = validate_definition(with_state("a", {"on": {"go": {"target": "b", "cond": json_logic({"and": [{"nope": 1}]})}}}))
    assert problems == [Problem("statechart.states.a.on.go.cond.options.rule", "unknown json-logic operator 'nope'")]


def test_uncompilable_jmespath_guard_is_reported():
    problems = validate_definition(with_state("a", {"on": {"go": {"target": "b", "cond": jmespath("a[?")}}}))
    assert [p.path for p in problems] == ["statechart.states.a.on.go.cond.options.rule"]
    assert problems[0].message.startswith("jmespath expression does not compile")


def test_unknown_jmespath_function_is_reported():
    problems = validate_definition(with_state("a", {"on": {"go": {"target": "b", "cond": jmespath("nope(a)")}}}))
    assert [p.message for p in problems] == ["unknown jmespath function nope()"]


def test_non_string_jmespath_rule_is_reported():
    assert paths(with_state("a", {"on": {"go": {"target": "b", "cond": jmespath(5)}}})) == [
        "statechart.states.a.on.go.cond.options.rule"
    ]


def test_unknown_guard_type_is_reported():
    cond = {"type": "python", "options": {"rule": "True"}}
    assert paths(with_state("a", {"on": {"go": {"target": "b", "cond": cond}}})) == ["statechart.states.a.on.go.cond.type"]


def test_guard_without_options_is_reported():
    assert paths(with_state("a", {"on": {"go": {"target": "b", "cond": {"type": "jmespath"}}}})) == [
        "statechart.states.a.on.go.cond"
    ]


def test_invalid_context_schema_is_reported_with_its_path():
    problems = validate_definition(VALID, {"type": "object", "properties": {"x": {"type": "nope"}}})
    assert [p.path for p in problems] == ["contextSchema.properties.x.type"]


def test_non_object_context_schema_is_reported():
    assert paths(VALID, ["no"]) == ["contextSchema"]


def test_empty_context_schema_is_accepted():
    assert validate_definition(VALID, {}) == []


def test_invalid_input_schema_of_the_initial_state_is_reported():
    definition = {
        "initial": "a",
        "states": {"a": {"meta": {"inputSchema": {"dataSchema": {"type": 7}, "uiSchema": []}}}},
    }
    assert paths(definition) == [
        "statechart.states.a.meta.inputSchema.dataSchema.type",
        "statechart.states.a.meta.inputSchema.uiSchema",
    ]


def test_input_schema_without_data_schema_is_reported():
    assert paths({"initial": "a", "states": {"a": {"meta": {"inputSchema": {}}}}}) == [
        "statechart.states.a.meta.inputSchema.dataSchema"
    ]


def test_unguarded_always_cycle_is_reported_once():
    definition = {"initial": "a", "states": {"a": {"always": "b"}, "b": {"always": [{"target": "c", "cond": json_logic(False)}, "a"]}, "c": {}}}
    assert validate_definition(definition) == [
        Problem("statechart.states.a.always", "always transitions without a guard loop forever: a -> b -> a")
    ]


def test_unguarded_targetless_always_is_a_cycle():
    assert paths({"initial": "a", "states": {"a": {"always": {}}}}) == ["statechart.states.a.always"]


def test_guarded_always_loop_is_not_a_validation_problem():
    definition = {"initial": "a", "states": {"a": {"always": {"target": "b", "cond": json_logic(True)}}, "b": {"always": "a"}}}
    assert validate_definition(definition) == []


def test_unsupported_keys_are_reported():
    definition = {"initial": "a", "on": {}, "states": {"a": {"entry": ["x"], "states": {}}}}
    assert paths(definition) == ["statechart.on", "statechart.states.a.entry", "statechart.states.a.states"]


def test_bad_transition_shapes_are_reported():
    definition = with_state("a", {"on": {"go": [5, {"target": "b", "actions": ["x"]}], "": "b"}})
    assert paths(definition) == ["statechart.states.a.on", "statechart.states.a.on.go[0]", "statechart.states.a.on.go[1].actions"]


def test_state_names_with_dots_are_reported():
    assert paths({"initial": "a", "states": {"a": {}, "b.c": {}}}) == ["statechart.states"]


def test_every_problem_is_reported_together():
    definition = {
        "initial": "ghost",
        "states": {
            "a": {"on": {"go": "nowhere", "check": {"target": "a", "cond": jmespath("[")}}, "type": "weird"},
        },
    }
    assert sorted(paths(definition, {"type": 1})) == sorted(
        [
            "statechart.states.a.type",
            "statechart.initial",
            "statechart.states.a.on.go",
            "statechart.states.a.on.check.cond.options.rule",
            "contextSchema.type",
        ]
    )


def test_deeply_nested_garbage_does_not_raise():
    rule = current = {}
    for _ in range(5000):
        current["!"] = {}
        current = current["!"]
    problems = validate_definition(with_state("a", {"on": {"go": {"target": "b", "cond": json_logic(rule)}}}))
    assert problems and all(isinstance(problem, Problem) for problem in problems)
