"""jmespath rules give jmespath.js's results (workflows/engine/jmespath_js.py)."""

import math

import pytest

from workflows.engine.js import UNDEFINED
from workflows.engine.jmespath_js import JmespathError, compile_expression, js_parser_problems, search

from .helpers import jmespath, passes


def run(expression, data=None):
    return search(compile_expression(expression), data if data is not None else {})


def test_strings_compare_with_javascript_less_than():
    assert run("'abc' < 'abd'") is True
    assert run("'10' < '9'") is True


def test_null_is_less_than_a_number():
    assert run("null_field < `5`", {}) is True


def test_string_is_not_less_than_null():
    assert run("'a' < missing") is False
    assert run("'a' > missing") is False


def test_numeric_string_against_number_compares_numerically():
    assert run("'10' > `9`") is True


def test_array_and_number_compare_through_the_joined_string():
    assert run("`[2]` < `10`") is True


def test_ordering_with_nan_is_false():
    assert run("'abc' < `1`") is False
    assert run("'abc' >= `1`") is False


def test_equality_keeps_true_apart_from_one_at_any_depth():
    assert run("`[1]` == `[true]`") is False
    assert run("`0` == `false`") is False
    assert run("`1` == `1.0`") is True


def test_object_equality_ignores_key_order():
    assert run("""`{"a":1,"b":2}` == `{"b":2,"a":1}`""") is True


def test_not_of_zero_is_false_because_zero_is_truthy_in_jmespath():
    assert run("!`0`") is False


def test_contains_uses_strict_equality_in_arrays():
    assert run("contains(`[1]`, `true`)") is False
    assert run("contains(`[[1]]`, `[1]`)") is False


def test_contains_in_a_string_converts_the_needle():
    assert run("contains('a1', `1`)") is True


def test_starts_with_an_empty_prefix_is_false_except_for_the_empty_string():
    assert run("starts_with('abc', '')") is False
    assert run("starts_with('', '')") is True


def test_sort_of_numbers_sorts_by_their_string_form():
    assert run("sort(`[10, 9, 1, 2.5]`)") == [1, 10, 2.5, 9]


def test_max_of_strings_uses_locale_order_not_code_units():
    assert run("""max(`["b", "B", "a"]`)""") == "B"
    assert run("""min(`["b", "B", "a"]`)""") == "a"


def test_to_number_follows_javascript_number_conversion():
    assert run("to_number('')") == 0
    assert run("to_number(' 0x10 ')") == 16
    assert run("to_number('1_000')") is None


def test_to_string_renders_numbers_like_json_stringify():
    assert run("to_string(`[1.0, 1e21, 0.1]`)") == "[1,1e+21,0.1]"


def test_length_counts_utf16_code_units():
    assert run("length(s)", {"s": "\U0001F600"}) == 2


def test_avg_of_empty_array_is_nan():
    assert math.isnan(run("avg(`[]`)"))


def test_max_by_with_string_keys_is_undefined():
    assert run("""max_by(`[{"a": "x"}]`, &a)""") is UNDEFINED


def test_keys_and_values_follow_javascript_key_order():
    data = {"o": {"b": 1, "1": 2, "0": 3}}
    assert run("keys(o)", data) == ["0", "1", "b"]
    assert run("values(o)", data) == [3, 2, 1]
    assert run("o.*", data) == [3, 2, 1]


def test_function_with_wrong_argument_type_throws():
    with pytest.raises(JmespathError):
        run("length(`5`)")


def test_jmespath_guard_passing_empty_array_passes_by_javascript_truthiness():
    assert passes(jmespath("items"), {"items": []}) is True


def test_jmespath_guard_returning_zero_fails():
    assert passes(jmespath("n"), {"n": 0}) is False


@pytest.mark.parametrize("expression", ["(@ == a)", "length(@.a)", "to_array(@[0])", "not_null(a, @.b)", "(@[0])"])
def test_at_sign_followed_by_more_inside_parentheses_is_refused_like_jmespath_js(expression):
    assert js_parser_problems(expression)


@pytest.mark.parametrize("expression", ["@ == a", "(@)", "length(@)", "contains(@, a)", "[@, a]", "{a: @}"])
def test_at_sign_alone_inside_parentheses_is_accepted(expression):
    assert js_parser_problems(expression) == []
