"""One test per class of mismatch found by tools/xstate_diff (the real XState v4 + JS guards)."""

from workflows.engine import validate_definition

from .helpers import jmespath, json_logic, passes


def definition_with(cond):
    return {"initial": "a", "states": {"a": {"on": {"go": {"target": "b", "cond": cond}}}, "b": {}}}


def test_single_key_object_literal_in_json_logic_is_refused_because_json_logic_js_reads_it_as_an_operator():
    # json-logic-js throws "Unrecognized operation n" when it reaches {"n": 1}; we refuse it up front.
    problems = validate_definition(definition_with(json_logic({"==": [{"var": "x"}, {"n": 1}]})))
    assert [p.message for p in problems] == ["unknown json-logic operator 'n'"]


def test_jmespath_at_sign_opening_a_parenthesised_comparison_is_refused_because_jmespath_js_cannot_parse_it():
    # jmespath.js throws `Invalid token (EQ)` on `(@ == a)`; Python's parser accepts it.
    problems = validate_definition(definition_with(jmespath("(@ == a) || b")))
    assert [p.path for p in problems] == ["statechart.states.a.on.go.cond.options.rule"]


def test_jmespath_max_of_strings_follows_locale_compare_so_uppercase_wins_over_lowercase():
    # jmespath.js picks the max string with localeCompare: "B" > "b" > "a" (code units say "b").
    assert passes(jmespath("max(names) == 'B'"), {"names": ["b", "B", "a"]}) is True
