"""Machine: transitions, always, final states, tags, nextEvents and built-in events."""

import copy

import pytest

from workflows.engine import (
    CycleError,
    DefinitionError,
    EngineError,
    GuardError,
    InvalidEventPayload,
    Machine,
    Transition,
)

from .helpers import json_logic, machine

TRUE = json_logic(True)
FALSE = json_logic(False)


def flag(name):
    return json_logic({"var": name})


# -- transition forms -----------------------------------------------------------------------------


def test_string_transition_moves_to_its_target():
    m = machine({"a": {"on": {"go": "b"}}, "b": {}})
    result = m.send("a", {}, "go")
    assert (result.state, result.handled, result.refusal) == ("b", True, None)
    assert result.transitions == [Transition("go", "a", "b")]


def test_object_transition_moves_to_its_target():
    m = machine({"a": {"on": {"go": {"target": "b"}}}, "b": {}})
    assert m.send("a", {}, "go").state == "b"


def test_object_transition_with_failing_guard_is_refused():
    m = machine({"a": {"on": {"go": {"target": "b", "cond": FALSE}}}, "b": {}})
    result = m.send("a", {}, "go")
    assert (result.state, result.handled, result.refusal) == ("a", False, "guards_failed")


def test_list_transition_takes_the_first_passing_candidate():
    m = machine(
        {
            "a": {"on": {"go": [{"target": "b", "cond": FALSE}, {"target": "c", "cond": TRUE}, "d"]}},
            "b": {},
            "c": {},
            "d": {},
        }
    )
    assert m.send("a", {}, "go").state == "c"


def test_list_entry_without_guard_always_passes():
    m = machine({"a": {"on": {"go": [{"target": "b", "cond": FALSE}, {"target": "c"}]}}, "b": {}, "c": {}})
    assert m.send("a", {}, "go").state == "c"


def test_string_entries_in_a_list_are_unguarded_candidates():
    m = machine({"a": {"on": {"go": ["b", "c"]}}, "b": {}, "c": {}})
    assert m.send("a", {}, "go").state == "b"


def test_targetless_transition_is_handled_without_moving():
    m = machine({"a": {"on": {"poke": {"cond": TRUE}}}})
    result = m.send("a", {}, "poke")
    assert (result.state, result.handled, result.refusal, result.transitions) == ("a", True, None, [])


def test_self_transition_is_allowed_and_recorded():
    m = machine({"a": {"on": {"again": "a"}}})
    result = m.send("a", {}, "again")
    assert result.state == "a"
    assert result.transitions == [Transition("again", "a", "a")]


def test_empty_transition_list_does_not_handle_the_event():
    m = machine({"a": {"on": {"go": []}}})
    assert m.send("a", {}, "go").refusal == "not_handled"


def test_unknown_event_is_not_handled_and_changes_nothing():
    m = machine({"a": {"on": {"go": "a"}}})
    result = m.send("a", {"x": 1}, "other")
    assert (result.state, result.handled, result.refusal, result.context) == ("a", False, "not_handled", {"x": 1})


# -- guard data -----------------------------------------------------------------------------------


def test_event_guard_sees_payload_over_context():
    m = machine({"a": {"on": {"go": {"target": "b", "cond": json_logic({"==": [{"var": "who"}, "payload"]})}}}, "b": {}})
    assert m.send("a", {"who": "context"}, "go", {"who": "payload"}).state == "b"
    assert m.send("a", {"who": "context"}, "go").state == "a"


def test_event_guard_sees_context_keys_missing_from_payload():
    m = machine({"a": {"on": {"go": {"target": "b", "cond": flag("ok")}}}, "b": {}})
    assert m.send("a", {"ok": True}, "go", {"other": 1}).state == "b"


def test_payload_merge_is_shallow():
    # The payload's {"nested": {}} replaces the context's whole "nested" object.
    cond = json_logic({"==": [{"var": ["nested.keep", "gone"]}, "gone"]})
    m = machine({"a": {"on": {"go": {"target": "b", "cond": cond}}}, "b": {}})
    assert m.send("a", {"nested": {"keep": 1}}, "go", {"nested": {}}).state == "b"


def test_always_guards_do_not_see_the_event_payload():
    m = machine(
        {
            "a": {"on": {"go": "b"}},
            "b": {"always": {"target": "c", "cond": flag("from_payload")}},
            "c": {},
        }
    )
    assert m.send("a", {}, "go", {"from_payload": True}).state == "b"
    assert m.send("a", {"from_payload": True}, "go").state == "c"


def test_guard_that_throws_raises_guard_error():
    m = machine({"a": {"on": {"go": {"target": "a", "cond": json_logic({"*": []})}}}})
    with pytest.raises(GuardError):
        m.send("a", {}, "go")


# -- always ---------------------------------------------------------------------------------------


def test_always_is_followed_after_start():
    m = machine({"a": {"always": "b"}, "b": {"always": {"target": "c", "cond": TRUE}}, "c": {}})
    result = m.start({})
    assert result.state == "c"
    assert result.transitions == [Transition(None, "a", "b"), Transition(None, "b", "c")]


def test_always_is_followed_after_an_event():
    m = machine({"a": {"on": {"go": "b"}}, "b": {"always": "c"}, "c": {}})
    result = m.send("a", {}, "go")
    assert result.state == "c"
    assert result.transitions == [Transition("go", "a", "b"), Transition(None, "b", "c")]


def test_always_is_rechecked_after_update_context():
    m = machine({"a": {"always": {"target": "b", "cond": flag("ready")}}, "b": {}})
    assert m.start({}).state == "a"
    assert m.send("a", {}, "UPDATE_CONTEXT", {"context": {"ready": True}}).state == "b"


def test_always_stops_when_no_guard_passes():
    m = machine({"a": {"always": [{"target": "b", "cond": FALSE}]}, "b": {}})
    assert m.start({}).state == "a"


def test_always_is_not_followed_from_a_final_state():
    m = machine({"a": {"type": "final", "always": {"target": "b", "cond": TRUE}}, "b": {}})
    assert m.start({}).state == "a"


def test_guarded_always_loop_raises_cycle_error_at_run_time():
    m = machine(
        {
            "a": {"on": {"go": "b"}},
            "b": {"always": {"target": "c", "cond": TRUE}},
            "c": {"always": {"target": "b", "cond": TRUE}},
        }
    )
    with pytest.raises(CycleError):
        m.send("a", {}, "go")


def test_targetless_always_that_passes_is_a_cycle():
    m = machine({"a": {"always": {"cond": TRUE}}})
    with pytest.raises(CycleError):
        m.start({})


def test_always_may_return_to_the_state_the_event_left():
    m = machine({"a": {"on": {"go": "b"}}, "b": {"always": "a"}})
    assert m.send("a", {}, "go").state == "a"


# -- final states ---------------------------------------------------------------------------------


def test_reaching_a_final_state_completes():
    m = machine({"a": {"on": {"done": "z"}}, "z": {"type": "final", "on": {"back": "a"}}})
    result = m.send("a", {}, "done")
    assert (result.state, result.status, result.next_events) == ("z", "completed", [])


def test_final_state_refuses_every_event():
    m = machine({"z": {"type": "final", "on": {"back": "a"}}, "a": {}})
    assert m.start({}).status == "completed"
    result = m.send("z", {}, "back")
    assert (result.state, result.handled, result.refusal) == ("z", False, "final")


def test_final_state_refuses_built_in_events():
    m = machine({"z": {"type": "final"}})
    result = m.send("z", {"a": 1}, "UPDATE_CONTEXT", {"context": {}})
    assert (result.refusal, result.context, result.context_changed) == ("final", {"a": 1}, False)


# -- tags and nextEvents --------------------------------------------------------------------------


def test_tags_are_deduplicated_and_sorted():
    m = machine({"a": {"tags": ["z", "b", "z", "a"]}})
    assert m.start({}).tags == ["a", "b", "z"]


def test_a_single_string_tag_is_accepted():
    assert machine({"a": {"tags": "solo"}}).tags("a") == ["solo"]


def test_next_events_are_the_sorted_own_events_including_guarded_ones():
    m = machine({"a": {"on": {"zeta": "a", "alpha": {"target": "a", "cond": FALSE}}}})
    assert m.next_events("a") == ["alpha", "zeta"]


def test_next_events_leave_out_events_without_any_target():
    m = machine({"a": {"on": {"poke": {"cond": TRUE}, "go": [{"cond": TRUE}, "a"], "empty": []}}})
    assert m.next_events("a") == ["go"]


def test_next_events_never_list_built_ins():
    m = machine({"a": {"on": {"UPDATE_CONTEXT": "a", "go": "a"}}})
    assert m.next_events("a") == ["go"]


# -- built-in events ------------------------------------------------------------------------------


def test_update_context_adds_the_keys_it_names_and_keeps_the_others():
    m = machine({"a": {}})
    result = m.send("a", {"old": 1}, "UPDATE_CONTEXT", {"context": {"new": 2}})
    assert (result.context, result.handled, result.context_changed) == ({"old": 1, "new": 2}, True, True)


def test_update_context_replaces_a_named_key_whole_without_merging_inside_it():
    m = machine({"a": {}})
    before = {"entity": {"id": "e1", "data": {"a": 1, "b": 2}}, "pluginsOutput": {"kyc": {"ok": True}}}
    result = m.send("a", before, "UPDATE_CONTEXT", {"context": {"entity": {"id": "e1", "data": {"a": 3}}}})
    assert result.context == {"entity": {"id": "e1", "data": {"a": 3}}, "pluginsOutput": {"kyc": {"ok": True}}}


def test_an_always_guard_still_reads_a_key_that_update_context_left_out():
    m = machine(
        {
            "a": {"always": [{"target": "b", "cond": {"type": "json-logic", "options": {"rule": {"var": "maybe"}}}}]},
            "b": {},
        },
        initial="a",
    )
    assert m.send("a", {"maybe": True, "x": 1}, "UPDATE_CONTEXT", {"context": {"x": 2}}).state == "b"


def test_update_context_with_the_same_context_reports_no_change():
    assert machine({"a": {}}).send("a", {"x": 1}, "UPDATE_CONTEXT", {"context": {"x": 1}}).context_changed is False


@pytest.mark.parametrize(
    "option, expected",
    [(None, [1, 2, 3]), ("concat", [1, 2, 3]), ("replace", [3]), ("by_index", [3, 2]), ("by_id", [3, 2])],
)
def test_deep_merge_context_merges_arrays_per_option(option, expected):
    payload = {"newContext": {"l": [3]}}
    if option:
        payload["arrayMergeOption"] = option
    assert machine({"a": {}}).send("a", {"l": [1, 2]}, "DEEP_MERGE_CONTEXT", payload).context == {"l": expected}


def test_built_in_beats_the_state_own_transition_of_the_same_name():
    m = machine({"a": {"on": {"UPDATE_CONTEXT": "b"}}, "b": {}})
    result = m.send("a", {}, "UPDATE_CONTEXT", {"context": {"x": 1}})
    assert (result.state, result.context) == ("a", {"x": 1})


@pytest.mark.parametrize(
    "event, payload",
    [
        ("UPDATE_CONTEXT", None),
        ("UPDATE_CONTEXT", {"context": [1]}),
        ("DEEP_MERGE_CONTEXT", {"newContext": "x"}),
        ("DEEP_MERGE_CONTEXT", {"newContext": {}, "arrayMergeOption": "zip"}),
        ("go", ["not", "an", "object"]),
    ],
)
def test_bad_event_payload_raises_invalid_event_payload(event, payload):
    with pytest.raises(InvalidEventPayload):
        machine({"a": {"on": {"go": "a"}}}).send("a", {}, event, payload)


def test_caller_context_and_payload_are_never_mutated():
    m = machine({"a": {}})
    context, payload = {"l": [1], "o": {"k": 1}}, {"newContext": {"l": [2], "o": {"j": 2}}}
    before = copy.deepcopy((context, payload))
    result = m.send("a", context, "DEEP_MERGE_CONTEXT", payload)
    result.context["o"]["k"] = 99
    assert (context, payload) == before


def test_returned_context_is_a_new_dict_even_when_nothing_changes():
    context = {"a": {"b": 1}}
    result = machine({"a": {}}).send("a", context, "nothing")
    assert result.context == context and result.context is not context


# -- construction and introspection ---------------------------------------------------------------


def test_invalid_definition_raises_definition_error_with_problems():
    with pytest.raises(DefinitionError) as info:
        Machine({"initial": "nope", "states": {"a": {}}})
    assert [p.path for p in info.value.problems] == ["statechart.initial"]


def test_unknown_state_raises_engine_error():
    with pytest.raises(EngineError):
        machine({"a": {}}).send("b", {}, "go")


def test_non_object_context_raises_engine_error():
    with pytest.raises(EngineError):
        machine({"a": {}}).start([])


def test_introspection_reports_names_initial_finality_and_edges():
    m = machine({"a": {"on": {"go": ["b", "b"], "poke": {"cond": TRUE}}, "always": {"target": "z", "cond": TRUE}}, "b": {}, "z": {"type": "final"}})
    assert (m.initial_state, m.state_names) == ("a", ["a", "b", "z"])
    assert (m.is_final("z"), m.is_final("a")) == (True, False)
    assert m.edges() == [("a", "go", "b"), ("a", None, "z")]


@pytest.mark.parametrize(
    "event, payload",
    [("nothing", None), ("UPDATE_CONTEXT", {"context": {"p": {"q": [1]}}}), ("DEEP_MERGE_CONTEXT", {"newContext": {"p": {"q": [1]}}})],
)
def test_returned_context_shares_nothing_with_the_callers_context_or_payload(event, payload):
    """The engine copies what it returns (a fast JSON copy, not copy.deepcopy): changing any
    nested part of the result changes neither the caller's context nor its payload."""
    context = {"l": [{"x": 1}], "o": {"k": (1, 2)}, "s": "text", "n": None, "f": 1.5, "b": True}
    before = copy.deepcopy((context, payload))
    result = machine({"a": {}}).send("a", context, event, payload)
    result.context["l"][0]["x"] = 99
    result.context["l"].append(2)
    result.context["o"]["k"] = "changed"
    if "p" in result.context:
        result.context["p"]["q"].append(2)
    assert (context, payload) == before
