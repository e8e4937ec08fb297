"""DEEP_MERGE_CONTEXT's merge."""

from __future__ import annotations

import copy

from .js import deep_equals

__all__ = ["ARRAY_MERGE_OPTIONS", "deep_merge"]

ARRAY_MERGE_OPTIONS = ("concat", "replace", "by_index", "by_id")


def deep_merge(base, new, array_merge_option: str = "concat"):
    """A new value: objects merged key by key, arrays per `array_merge_option`, anything else
    replaced by `new`. Neither input is mutated (nor shared with the result)."""
    if array_merge_option not in ARRAY_MERGE_OPTIONS:
        raise ValueError(f"arrayMergeOption must be one of {', '.join(ARRAY_MERGE_OPTIONS)}")
    return _merge(base, new, array_merge_option)


def _merge(base, new, option):
    if isinstance(base, dict) and isinstance(new, dict):
        merged = {key: copy.deepcopy(value) for key, value in base.items()}
        for key, value in new.items():
            merged[key] = _merge(base[key], value, option) if key in base else copy.deepcopy(value)
        return merged
    if isinstance(base, list) and isinstance(new, list):
        return _merge_arrays(base, new, option)
    return copy.deepcopy(new)


def _has_id(item) -> bool:
    return isinstance(item, dict) and "id" in item


def _merge_arrays(base: list, new: list, option: str) -> list:
    if option == "concat":
        return copy.deepcopy(base) + copy.deepcopy(new)
    if option == "replace":
        return copy.deepcopy(new)
    if option == "by_index":
        merged = [_merge(old, item, option) for old, item in zip(base, new)]
        merged += copy.deepcopy(base[len(new):]) + copy.deepcopy(new[len(base):])
        return merged
    merged = copy.deepcopy(base)
    for item in new:
        if _has_id(item):
            for index, old in enumerate(merged):
                if _has_id(old) and deep_equals(old["id"], item["id"]):
                    merged[index] = _merge(old, item, option)
                    break
            else:
                merged.append(copy.deepcopy(item))
        else:
            merged.append(copy.deepcopy(item))
    return merged
