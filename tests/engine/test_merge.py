"""DEEP_MERGE_CONTEXT's deep_merge()."""

import copy

import pytest

from workflows.engine import deep_merge


def test_objects_merge_recursively_and_scalars_are_replaced():
    assert deep_merge({"a": {"x": 1, "y": 2}, "b": 1}, {"a": {"y": 3}, "b": "new"}) == {"a": {"x": 1, "y": 3}, "b": "new"}


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


def test_by_id_merges_items_with_the_same_id_and_appends_the_rest():
    base = {"docs": [{"id": 1, "s": "new"}, {"id": 2, "s": "new"}, "plain"]}
    new = {"docs": [{"id": 2, "s": "ok"}, {"id": 3}, "other"]}
    assert deep_merge(base, new, "by_id") == {
        "docs": [{"id": 1, "s": "new"}, {"id": 2, "s": "ok"}, "plain", {"id": 3}, "other"]
    }


def test_by_id_does_not_match_true_with_one():
    assert deep_merge([{"id": 1}], [{"id": True}], "by_id") == [{"id": 1}, {"id": True}]


def test_inputs_are_not_mutated():
    base, new = {"a": {"l": [1]}}, {"a": {"l": [2]}, "b": {"c": 1}}
    before = copy.deepcopy((base, new))
    merged = deep_merge(base, new)
    merged["b"]["c"] = 2
    assert (base, new) == before


def test_unknown_array_merge_option_is_rejected():
    with pytest.raises(ValueError):
        deep_merge({}, {}, "zip")
