"""DEEP_MERGE_CONTEXT's deep_merge(): Ballerine's deepMergeWithOptions
(packages/workflow-core/src/lib/utils/deep-merge-with-options.ts in ballerine-io/ballerine).

Ballerine has no unit tests of its own for the function; the expected values below were checked
against its code run under Node."""

import copy

import pytest

from workflows.engine import deep_merge


def test_objects_merge_recursively_and_scalars_are_replaced():
    assert deep_merge({"a": {"x": 1, "y": 2}, "b": 1}, {"a": {"y": 3}, "b": "new"}) == {"a": {"x": 1, "y": 3}, "b": "new"}


def test_null_and_objects_replace_each_other_instead_of_merging():
    base = {"a": {"x": 1}, "b": None, "c": 1}
    new = {"a": None, "b": {"y": 1}, "c": {"z": 1}}
    assert deep_merge(base, new) == {"a": None, "b": {"y": 1}, "c": {"z": 1}}


@pytest.mark.parametrize("option", ["concat", "replace", "by_index", "by_id"])
def test_an_array_and_a_non_array_replace_each_other(option):
    assert deep_merge({"l": [1], "m": "x", "o": [1]}, {"l": "x", "m": [1], "o": {"k": 1}}, option) == {
        "l": "x",
        "m": [1],
        "o": {"k": 1},
    }


@pytest.mark.parametrize(
    "base, new, option, expected",
    [
        ([1], [2], "by_index", [2]),
        ([{"id": 1, "a": 1}], [{"id": 1, "b": 2}], "by_id", [{"id": 1, "a": 1, "b": 2}]),
        ({"a": 1}, [1], "concat", [1]),
        ([1], {"a": 1}, "concat", {"a": 1}),
        (None, {"a": 1}, "concat", {"a": 1}),
        ({"a": 1}, None, "concat", None),
    ],
)
def test_top_level_values_merge_like_nested_ones(base, new, option, expected):
    assert deep_merge(base, new, option) == expected


def test_concat_appends_new_items():
    assert deep_merge({"l": [1, 2]}, {"l": [2, 3]}) == {"l": [1, 2, 2, 3]}


def test_replace_takes_the_new_array():
    assert deep_merge({"l": [1, 2]}, {"l": [3]}, "replace") == {"l": [3]}


def test_by_index_merges_element_wise_and_appends_extra_items():
    base = {"l": [{"a": 1, "b": 1}, {"a": 2}]}
    new = {"l": [{"b": 9}, {"c": 3}, {"d": 4}]}
    assert deep_merge(base, new, "by_index") == {"l": [{"a": 1, "b": 9}, {"a": 2, "c": 3}, {"d": 4}]}


def test_by_index_keeps_old_items_beyond_the_new_array():
    assert deep_merge({"l": [1, 2, 3]}, {"l": [9]}, "by_index") == {"l": [9, 2, 3]}


def test_by_index_turns_falsy_old_items_beyond_the_new_array_into_null():
    # JavaScript's `old[i] || new[i]` is undefined there, written as null.
    assert deep_merge([1, 0, "", False, None, "x"], [9], "by_index") == [9, None, None, None, None, "x"]


def test_by_index_replaces_arrays_inside_elements_and_merges_objects_inside_them():
    base = [{"l": [1, 2], "o": {"x": 1, "l": [1]}}]
    new = [{"l": [3], "o": {"y": 2, "l": [2]}}]
    assert deep_merge(base, new, "by_index") == [{"l": [3], "o": {"x": 1, "l": [2], "y": 2}}]


def test_by_index_merges_null_with_anything_into_an_object():
    base = [None, {"a": 1}, 5, None]
    new = [5, None, {"a": 1}, "ab"]
    assert deep_merge(base, new, "by_index") == [{}, {"a": 1}, {"a": 1}, {"0": "a", "1": "b"}]


def test_by_index_spreads_arrays_and_strings_in_elements_into_index_keyed_objects():
    base = [[1, 2], "ab", "\U0001F600"]
    new = [[3], {"x": 1}, {}]
    # A string spreads into UTF-16 code units, so an astral character gives two lone surrogates.
    assert deep_merge(base, new, "by_index") == [
        {"0": 3, "1": 2},
        {"0": "a", "1": "b", "x": 1},
        {"0": "\ud83d", "1": "\ude00"},
    ]


def test_by_index_merges_an_object_over_an_array_inside_an_element_but_replaces_it_outside():
    assert deep_merge([{"l": [1, 2]}], [{"l": {"x": 1}}], "by_index") == [{"l": {"0": 1, "1": 2, "x": 1}}]
    assert deep_merge({"l": [1, 2]}, {"l": {"x": 1}}, "by_index") == {"l": {"x": 1}}


def test_by_id_merges_the_whole_array_by_index_when_an_item_is_not_an_object():
    base = {"docs": [{"id": 1, "s": "new"}, {"id": 2, "s": "new"}, "plain"]}
    new = {"docs": [{"id": 2, "s": "ok"}, {"id": 3}, "other"]}
    assert deep_merge(base, new, "by_id") == {"docs": [{"id": 2, "s": "ok"}, {"id": 3, "s": "new"}, "other"]}


def test_by_id_merges_the_whole_array_by_index_when_an_item_has_no_id():
    base = [{"id": 1, "a": 1}, {"a": 2}]
    assert deep_merge(base, [{"id": 1, "b": 2}], "by_id") == [{"id": 1, "a": 1, "b": 2}, {"a": 2}]


@pytest.mark.parametrize("falsy_id", [0, "", None, False])
def test_by_id_merges_by_index_when_an_id_is_falsy(falsy_id):
    assert deep_merge([{"id": 2, "a": 1}], [{"id": falsy_id, "b": 2}], "by_id") == [{"id": falsy_id, "a": 1, "b": 2}]


def test_by_id_merges_arrays_of_primitives_by_index():
    assert deep_merge({"l": [1, 2]}, {"l": [3]}, "by_id") == {"l": [3, 2]}


def test_by_id_merges_objects_inside_matched_items_and_replaces_arrays_inside_them():
    base = [{"id": "a", "tags": [1, 2], "meta": {"x": 1, "l": [{"id": 1, "v": 1}]}}]
    new = [{"id": "a", "tags": [3], "meta": {"y": 2, "l": [{"id": 1, "w": 2}]}}]
    assert deep_merge(base, new, "by_id") == [{"id": "a", "tags": [3], "meta": {"x": 1, "l": [{"id": 1, "w": 2}], "y": 2}}]


def test_by_id_merges_repeated_ids_into_one_item_in_order_of_first_appearance():
    base = [{"id": 1, "a": 1}, {"id": 2}, {"id": 1, "b": 2}]
    new = [{"id": 3}, {"id": 1, "c": 3}]
    assert deep_merge(base, new, "by_id") == [{"id": 1, "a": 1, "b": 2, "c": 3}, {"id": 2}, {"id": 3}]


def test_by_id_with_an_empty_old_array_still_merges_repeated_new_ids():
    assert deep_merge([], [{"id": 1, "a": 1}, {"id": 1, "b": 2}], "by_id") == [{"id": 1, "a": 1, "b": 2}]


def test_by_id_matches_ids_by_strict_equality():
    merged = deep_merge([{"id": 1, "a": 1}], [{"id": "1"}, {"id": 1.0, "b": 2}], "by_id")
    assert merged == [{"id": 1, "a": 1, "b": 2}, {"id": "1"}]


def test_by_id_does_not_match_true_with_one():
    assert deep_merge([{"id": 1}], [{"id": True}], "by_id") == [{"id": 1}, {"id": True}]


def test_by_id_never_matches_two_object_ids():
    assert deep_merge([{"id": {"k": 1}, "a": 1}], [{"id": {"k": 1}, "b": 2}], "by_id") == [
        {"id": {"k": 1}, "a": 1},
        {"id": {"k": 1}, "b": 2},
    ]


def test_nested_arrays_of_objects_merge_by_id_under_objects():
    base = {"a": {"l": [{"id": 1, "x": [1], "y": 1}]}}
    new = {"a": {"l": [{"id": 1, "x": [2]}, {"id": 2}]}}
    assert deep_merge(base, new, "by_id") == {"a": {"l": [{"id": 1, "x": [2], "y": 1}, {"id": 2}]}}


def test_keys_come_in_javascript_order_array_indices_first():
    base = {"b": 1, "a": {"y": 1}, "k": {"z": 1, "5": 2}}
    new = {"2": 1, "c": 1, "0": 1, "01": 1, "4294967295": 1, "a": {"1": 2, "x": 3}}
    merged = deep_merge(base, new)
    assert list(merged) == ["0", "2", "b", "a", "k", "c", "01", "4294967295"]
    assert list(merged["a"]) == ["1", "y", "x"]
    assert list(merged["k"]) == ["5", "z"]


def test_by_id_items_keep_the_first_items_key_order_then_new_keys():
    merged = deep_merge([{"s": 1, "id": 1}], [{"id": 1, "t": 2, "s": 3}], "by_id")
    assert [list(item) for item in merged] == [["s", "id", "t"]]


@pytest.mark.parametrize("option", ["concat", "replace", "by_index", "by_id"])
def test_inputs_are_not_mutated_nor_shared(option):
    base = {"a": {"l": [{"id": 1, "o": {"x": 1}}]}, "k": {"z": [1]}}
    new = {"a": {"l": [{"id": 1, "o": {"y": 2}}, {"id": 2, "p": [1]}]}, "b": {"c": 1}}
    before = copy.deepcopy((base, new))
    merged = deep_merge(base, new, option)
    merged["b"]["c"] = 2
    merged["k"]["z"].append(2)
    for item in merged["a"]["l"]:
        item.clear()
    assert (base, new) == before


def test_unknown_array_merge_option_is_rejected():
    with pytest.raises(ValueError):
        deep_merge({}, {}, "zip")
