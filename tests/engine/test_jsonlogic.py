"""json-logic rules give json-logic-js's results (workflows/engine/jsonlogic.py)."""

import math
import sys

import pytest

from workflows.engine import jsonlogic
from workflows.engine.js import UNDEFINED
from workflows.engine.jsonlogic import JsonLogicError, apply, unknown_operators

from .helpers import json_logic, passes


def _compiled_apply(logic, data=None):
    return jsonlogic.compile_rule(logic)(data)


@pytest.fixture(autouse=True, params=["interpreted", "compiled"])
def evaluator(request, monkeypatch):
    """Every rule below is checked twice: by `apply` and by the function `compile_rule` makes
    of it (what guards run), which must give the same results and raise the same errors."""
    if request.param == "compiled":
        monkeypatch.setattr(sys.modules[__name__], "apply", _compiled_apply)
    return request.param


# -- loose equality (`==` is JavaScript's ==) ---------------------------------------------------


@pytest.mark.parametrize(
    "a, b",
    [
        ([1], 1),
        ("", 0),
        ("1", 1),
        (True, 1),
        (True, "1"),
        (False, "0"),
        (False, []),
        (None, None),
        ([1, 2], "1,2"),
        ({"a": 1, "b": 2}, "[object Object]"),
        (" 12 ", 12),
    ],
)
def test_loose_equality_rows_that_are_equal(a, b):
    assert apply({"==": [a, b]}) is True
    assert apply({"!=": [a, b]}) is False


@pytest.mark.parametrize(
    "a, b",
    [(None, 0), (None, False), (None, ""), ("abc", 0), ([1], [1]), ({"a": 1, "b": 2}, {"a": 1, "b": 2}), ("true", True)],
)
def test_loose_equality_rows_that_are_not_equal(a, b):
    assert apply({"==": [a, b]}) is False


def test_loose_equality_of_a_missing_argument_and_null_is_true():
    # {"==": [null]} compares null with undefined.
    assert apply({"==": [None]}) is True


def test_array_equals_itself_by_identity():
    data = {"list": [1, 2]}
    assert apply({"==": [{"var": "list"}, {"var": "list"}]}, data) is True


# -- strict equality ----------------------------------------------------------------------------


def test_strict_equality_keeps_true_apart_from_one():
    assert apply({"===": [1, True]}) is False
    assert apply({"!==": [1, True]}) is True


def test_strict_equality_of_equal_arrays_is_false():
    assert apply({"===": [[1], [1]]}) is False


def test_strict_equality_of_int_and_float_is_true():
    assert apply({"===": [1, 1.0]}) is True


# -- var ------------------------------------------------------------------------------------------


def test_var_returns_explicit_null_not_the_default():
    assert apply({"var": ["a", "dflt"]}, {"a": None}) is None


def test_var_uses_default_for_a_missing_key():
    assert apply({"var": ["a", "dflt"]}, {}) == "dflt"


def test_var_uses_default_when_the_path_meets_null_midway():
    assert apply({"var": ["a.b", "dflt"]}, {"a": None}) == "dflt"


def test_var_without_default_returns_null_for_missing_key():
    assert apply({"var": "nope"}, {}) is None


def test_var_reads_array_index_and_length():
    data = {"list": ["x", "y"], "s": "héllo"}
    assert apply({"var": "list.1"}, data) == "y"
    assert apply({"var": "list.length"}, data) == 2
    assert apply({"var": "s.length"}, data) == 5


def test_var_with_empty_key_returns_the_whole_data():
    assert apply({"var": ""}, {"a": 1}) == {"a": 1}


def test_var_with_a_number_key_uses_its_javascript_string():
    assert apply({"var": 1.5}, {"1": {"5": "deep"}}) == "deep"


# -- in -------------------------------------------------------------------------------------------


def test_in_with_empty_string_haystack_is_false():
    assert apply({"in": ["", ""]}) is False


def test_in_with_missing_haystack_is_false():
    assert apply({"in": ["a", {"var": "nope"}]}, {}) is False
    assert apply({"in": ["a"]}) is False


def test_in_with_empty_array_haystack_is_false():
    assert apply({"in": [1, []]}) is False


def test_in_array_uses_strict_equality():
    assert apply({"in": [1, [True]]}) is False
    assert apply({"in": [[1], [[1]]]}) is False
    assert apply({"in": [1, [1.0]]}) is True


def test_in_string_converts_the_needle_like_javascript():
    assert apply({"in": [1, "a1"]}) is True
    assert apply({"in": [None, "is null"]}) is True


def test_in_with_a_number_haystack_is_false():
    assert apply({"in": [1, 1]}) is False


# -- ordering -------------------------------------------------------------------------------------


def test_null_is_less_than_five():
    assert apply({"<": [None, 5]}) is True


def test_string_is_not_less_than_null():
    assert apply({"<": ["a", None]}) is False
    assert apply({">": ["a", None]}) is False


def test_numeric_string_compares_as_number_against_a_number():
    assert apply({"<": ["10", 9]}) is False
    assert apply({"<": ["9", 10]}) is True


def test_two_strings_compare_as_strings():
    assert apply({"<": ["10", "9"]}) is True


def test_arrays_compare_by_their_joined_string():
    assert apply({"<": [[2], [10]]}) is False  # "2" < "10" is false
    assert apply({"<": [[2], 10]}) is True


def test_comparison_with_nan_is_false_both_ways():
    assert apply({"<": ["abc", 1]}) is False
    assert apply({">=": ["abc", 1]}) is False


def test_null_is_less_or_equal_to_null():
    assert apply({"<=": [None, None]}) is True
    assert apply({">=": [None, None]}) is True


def test_three_argument_less_than_is_a_between():
    assert apply({"<": [1, 2, 3]}) is True
    assert apply({"<": [1, 3, 3]}) is False
    assert apply({"<=": [1, 3, 3]}) is True


def test_three_argument_less_than_with_null_third_argument_compares_with_null():
    assert apply({"<": [1, 2, None]}) is False  # 2 < null is false


def test_greater_than_ignores_a_third_argument():
    assert apply({">": [3, 2, 5]}) is True


# -- arithmetic and strings -----------------------------------------------------------------------


def test_plus_uses_parse_float():
    assert apply({"+": ["1e3", " 2x"]}) == 1002


def test_multiply_of_one_argument_returns_it_untouched():
    assert apply({"*": ["5"]}) == "5"


def test_multiply_of_nothing_throws():
    with pytest.raises(JsonLogicError):
        apply({"*": []})


def test_division_by_zero_is_infinity():
    assert apply({"/": [1, 0]}) == math.inf
    assert math.isnan(apply({"/": [0, 0]}))


def test_remainder_keeps_the_sign_of_the_dividend():
    assert apply({"%": [-5, 3]}) == -2


def test_min_and_max_of_nothing_are_infinities():
    assert apply({"min": []}) == math.inf
    assert apply({"max": []}) == -math.inf


def test_cat_renders_null_as_empty_and_numbers_like_javascript():
    assert apply({"cat": [None, 1.0, [1, [2, None]], 0.5]}) == "11,2,0.5"


def test_substr_counts_utf16_code_units_and_supports_negative_length():
    assert apply({"substr": ["abcdef", -2]}) == "ef"
    assert apply({"substr": ["abcdef", 1, -1]}) == "bcde"
    assert apply({"substr": ["a\U0001F600b", 1, 2]}) == "\U0001F600"


def test_substr_of_nothing_is_the_string_undefined():
    assert apply({"substr": []}) == "undefined"


# -- control operators ----------------------------------------------------------------------------


def test_not_treats_empty_array_as_falsy_inside_json_logic():
    assert apply({"!": [[]]}) is True
    assert apply({"!!": [[]]}) is False


def test_and_returns_the_first_falsy_value():
    assert apply({"and": [1, [], 2]}) == []


def test_and_of_nothing_is_undefined():
    assert apply({"and": []}) is UNDEFINED


def test_if_without_else_is_null():
    assert apply({"if": [False, "x"]}) is None


def test_reduce_evaluates_its_initial_value():
    rule = {"reduce": [{"var": "xs"}, {"+": [{"var": "current"}, {"var": "accumulator"}]}, {"var": "start"}]}
    assert apply(rule, {"xs": [1, 2], "start": 10}) == 13


def test_all_of_an_empty_list_is_false_and_none_is_true():
    assert apply({"all": [[], {"var": ""}]}) is False
    assert apply({"none": [[], {"var": ""}]}) is True


def test_missing_counts_explicit_null_and_empty_string_as_missing():
    assert apply({"missing": ["a", "b", "c"]}, {"a": None, "b": "", "c": 0}) == ["a", "b"]


def test_log_passes_its_argument_through_without_printing(capsys):
    assert apply({"log": "x"}) == "x"
    assert capsys.readouterr().out == ""


def test_unknown_operator_throws_when_reached():
    with pytest.raises(JsonLogicError):
        apply({"nope": [1]})


def test_unknown_operators_lists_every_unknown_operator_in_a_rule():
    rule = {"and": [{"foo": [1]}, {"if": [{"var": "a"}, {"bar.baz": []}, {"a": 1, "b": 2}]}]}
    assert unknown_operators(rule) == ["foo", "bar.baz"]


# -- guard truthiness -----------------------------------------------------------------------------


def test_guard_returning_empty_array_passes_by_javascript_truthiness():
    assert passes(json_logic({"merge": []})) is True


def test_guard_returning_empty_object_passes():
    assert passes(json_logic({"var": "obj"}), {"obj": {}}) is True


@pytest.mark.parametrize("value", ["", 0, None, False])
def test_guard_returning_a_falsy_value_fails(value):
    assert passes(json_logic({"var": "v"}), {"v": value}) is False


def test_guard_returning_nan_fails():
    assert passes(json_logic({"/": [0, 0]})) is False
