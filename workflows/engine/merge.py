"""DEEP_MERGE_CONTEXT's merge, as Ballerine's workflow-core does it (deepMergeWithOptions).

The rules, on JSON values (see js.py for the value mapping):

* Two arrays: merged per the option (below). Two objects: a copy of `base` with each key of
  `new` applied -- two arrays under the key are merged per the option, an object over an
  object is merged recursively (an object over anything else replaces it), any other value
  replaces. Anything else: `new`.
* concat: base's items then new's. replace: new's array.
* by_index: item by item. Two non-objects (strings, numbers, booleans): new's item. If either
  is an object, an array or null, the two are combined by the *plain merge* below. Past the end
  of `new`, base's item is kept when truthy and becomes null when falsy (0, "", false, null:
  JavaScript's `base[i] || new[i]` is undefined there, which JSON writes as null). Past the end
  of `base`, new's items are appended.
* by_id: only if every item of both arrays is an object with a truthy `id`; otherwise the
  arrays are merged by_index. Items are grouped by id (strict equality: 1 and "1" and true
  differ; an object id equals only itself) in order of first appearance over base then new, and
  each group -- repeated ids within one array included -- becomes one item: the plain merge of
  its items in order, starting from {}.
* The plain merge of a and b (Ballerine's mergeObjects) starts from `{...a}` -- an object's own
  keys, an array's or a string's indices, nothing for other values -- and applies each key of b
  (an array's or a string's indices, nothing for numbers, booleans or null): an object over an
  existing key is plain-merged into it, anything else (arrays included) replaces. The option is
  not applied inside items.
* Key order is JavaScript's: array-index keys ("0", "7", ...) ascending first, then the others
  in the order they were added.

Not modelled: a `__proto__` key, which JavaScript treats as the object's prototype.
"""

from __future__ import annotations

import copy
import re

from .js import is_number, to_float, truthy

__all__ = ["ARRAY_MERGE_OPTIONS", "deep_merge"]

ARRAY_MERGE_OPTIONS = ("concat", "replace", "by_index", "by_id")

_ARRAY_INDEX = re.compile(r"(?:0|[1-9][0-9]*)\Z")
_MAX_ARRAY_INDEX = 2**32 - 2


def deep_merge(base, new, array_merge_option: str = "concat"):
    """`new` merged over `base` as Ballerine's deepMergeWithOptions does (rules in the module
    docstring). A fresh value: neither input is mutated nor shared with the result."""
    if array_merge_option not in ARRAY_MERGE_OPTIONS:
        raise ValueError(f"arrayMergeOption must be one of {', '.join(ARRAY_MERGE_OPTIONS)}")
    return _fresh(_merge(base, new, array_merge_option))


# The merge builds new containers only and never writes into its inputs; the result may share
# unchanged parts with them until _fresh() copies it.


def _merge(base, new, option):
    if isinstance(base, list) and isinstance(new, list):
        return _merge_arrays(base, new, option)
    if isinstance(base, dict) and isinstance(new, dict):
        merged = dict(base)
        for key, value in new.items():
            old = base.get(key)
            if isinstance(old, list) and isinstance(value, list):
                merged[key] = _merge_arrays(old, value, option)
            elif isinstance(value, dict) and key in merged:
                merged[key] = _merge(merged[key], value, option)
            else:
                merged[key] = value
        return merged
    return new


def _merge_arrays(base: list, new: list, option: str) -> list:
    if option == "replace":
        return new
    if option == "by_id":
        if all(map(_has_truthy_id, base)) and all(map(_has_truthy_id, new)):
            return _merge_by_id(base, new)
        return _merge_by_index(base, new)
    if option == "by_index":
        return _merge_by_index(base, new)
    return base + new


def _has_truthy_id(item) -> bool:
    return isinstance(item, dict) and truthy(item.get("id"))


def _id_key(value):
    """A hashable key equal for two ids exactly when JavaScript's `===` holds (ids are truthy,
    so NaN and -0 never occur)."""
    if value is True or value is False:
        return ("boolean", value)
    if is_number(value):
        return ("number", to_float(value))
    if isinstance(value, str):
        return ("string", value)
    return ("object", id(value))


def _merge_by_id(base: list, new: list) -> list:
    groups: dict = {}
    for item in base + new:
        key = _id_key(item["id"])
        groups[key] = _plain_merge(groups[key], item) if key in groups else _plain_merge({}, item)
    return list(groups.values())


def _merge_by_index(base: list, new: list) -> list:
    merged = []
    for index in range(max(len(base), len(new))):
        if index < len(base) and index < len(new):
            old, item = base[index], new[index]
            if _is_typeof_object(old) or _is_typeof_object(item):
                merged.append(_plain_merge(old, item))
            else:
                merged.append(item)
        elif index < len(base):
            merged.append(base[index] if truthy(base[index]) else None)
        else:
            merged.append(new[index])
    return merged


def _is_typeof_object(value) -> bool:
    """JavaScript `typeof value === 'object'`: objects, arrays and null."""
    return value is None or isinstance(value, (dict, list))


def _plain_merge(base, new) -> dict:
    merged = dict(_own_entries(base))
    for key, value in _own_entries(new):
        if isinstance(value, dict) and key in merged:
            merged[key] = _plain_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _own_entries(value):
    """The (key, value) pairs `{...value}` copies and `for (key in value)` visits."""
    if isinstance(value, dict):
        return value.items()
    if isinstance(value, list):
        return ((str(index), item) for index, item in enumerate(value))
    if isinstance(value, str):
        units = value.encode("utf-16-be", "surrogatepass")
        return (
            (str(index // 2), units[index : index + 2].decode("utf-16-be", "surrogatepass"))
            for index in range(0, len(units), 2)
        )
    return ()


def _is_array_index(key) -> bool:
    return isinstance(key, str) and bool(_ARRAY_INDEX.match(key)) and int(key) <= _MAX_ARRAY_INDEX


def _fresh(value):
    """A deep copy with every object's keys in JavaScript's order."""
    if isinstance(value, dict):
        index_keys = sorted((key for key in value if _is_array_index(key)), key=int)
        other_keys = [key for key in value if not _is_array_index(key)]
        return {key: _fresh(value[key]) for key in index_keys + other_keys}
    if isinstance(value, list):
        return [_fresh(item) for item in value]
    return copy.deepcopy(value)
