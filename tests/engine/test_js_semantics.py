"""JavaScript value semantics the guards depend on (workflows/engine/js.py)."""

import math

import pytest

from workflows.engine import js


@pytest.mark.parametrize(
    "value, expected",
    [
        (1.0, "1"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1e21, "1e+21"),
        (1e-7, "1e-7"),
        (1.5e-6, "0.0000015"),
        (123456789012345680000.0, "123456789012345680000"),
        (-0.0, "0"),
        (float("nan"), "NaN"),
        (float("-inf"), "-Infinity"),
        (2**60, "1152921504606847000"),
    ],
)
def test_numbers_print_like_javascript(value, expected):
    assert js.number_to_string(value) == expected


@pytest.mark.parametrize(
    "value, expected",
    [("", 0), ("  12 ", 12), ("0x10", 16), ("1e3", 1000), ("Infinity", math.inf), (None, 0), (True, 1), ([], 0), ([5], 5)],
)
def test_to_number_follows_javascript(value, expected):
    assert js.to_number(value) == expected


@pytest.mark.parametrize("value", ["abc", "1_000", "inf", "nan", "1,2", [1, 2], {}, js.UNDEFINED])
def test_to_number_gives_nan_where_javascript_does(value):
    assert math.isnan(js.to_number(value))


@pytest.mark.parametrize("value", [[], {}, "0", " ", -1, [0]])
def test_javascript_truthy_values(value):
    assert js.truthy(value) is True


@pytest.mark.parametrize("value", ["", 0, -0.0, float("nan"), None, False, js.UNDEFINED])
def test_javascript_falsy_values(value):
    assert js.truthy(value) is False


def test_strings_compare_by_utf16_code_units_not_code_points():
    # U+FFFF is one code unit 0xFFFF; U+1F600 starts with the surrogate 0xD83D, which is smaller.
    assert js.less_than("\U0001F600", "\uffff")


def test_object_keys_put_array_indexes_first():
    assert js.object_keys({"b": 1, "10": 2, "a": 3, "2": 4, "01": 5}) == ["2", "10", "b", "a", "01"]


def test_json_stringify_is_compact_and_keeps_javascript_number_forms():
    assert js.json_stringify({"b": [1.0, None, "é"], "1": 1e21}) == '{"1":1e+21,"b":[1,null,"é"]}'
