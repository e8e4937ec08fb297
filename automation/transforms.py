"""Transformers as Ballerine declares them in plugin JSON, applied in order, each on the
previous one's output. Pure: no Django, no I/O.

    [{"transformer": "jmespath", "mapping": "<expression>"},
     {"transformer": "helper", "mapping": [{"source", "target", "method", "value"?, "options"?}]}]

Followed (ballerine-io/ballerine, packages/workflow-core/src/lib/):
- utils/context-transformers/jmespath-transformer.ts: `search(record, mapping)`, with every run
  of whitespace in the mapping collapsed to one space first (workflow-runner-utils.ts,
  getTransformer). The engine is workflows/engine/jmespath_js.py, the guards' one.
- utils/context-transformers/helpers-transformer.ts: each helper reads `source` with
  `prev ? prev[key] : null` down the dot path, calls the method, and writes the result at
  `target`, creating `{}` for every missing or falsy step on the way (a truthy scalar on the
  way throws there, and does here). The record is changed in place, so a later helper sees
  what an earlier one wrote.
    - regex: `source.match(new RegExp(value))[0]`, or null without a match; a non-string source
      throws. Python's `re` runs the pattern, with re.ASCII so that \\d and \\w are ASCII as in
      JavaScript (\\s is ASCII-only here, wider in JavaScript).
    - remove: writes undefined, which JSON drops: the target key is deleted.
    - omit: a copy of the source object without the keys listed in `value`.
    - setTimeToRecordUTC: `Date.now()`, milliseconds since the epoch.
    - mergeArrayEachItemWithValue: `options.mapJmespath` over the record must give an array;
      each of its items is lodash-merged with `options.mergeWithJmespath` over the record. Either
      one falsy, or an empty array, leaves the source value as it is.
- plugins/external-plugin/api-plugin/api-plugin.ts (transformData): in an api plugin's request
  and response chains the top-level null/undefined values are dropped after every transformer
  (`drop_top_level_nulls`); an iterative, transformer or child plugin keeps them.

Not copied: Ballerine runs the first transformer on a shallow copy of the case context, so a
helper writing a nested path changes the case itself, and mergeArrayEachItemWithValue merges
into the context's own array items. Here the input is copied first and never changed. In an api
chain Ballerine turns an array into an object keyed "0", "1", ... (Object.entries); an array
stays an array here, and a null or scalar fails the step, as null fails there.
"""

from __future__ import annotations

import copy
import functools
import re
import time
from collections.abc import Callable

from workflows.engine import jmespath_js
from workflows.engine.js import UNDEFINED, get_property, js_type, truthy

__all__ = ["PluginRequestError", "TransformError", "apply_transformers", "apply_jmespath"]

# What JavaScript's /\s+/ matches (Ballerine collapses these in a jmespath mapping).
_JS_SPACE_RUN = re.compile(
    "[\t\n\v\f\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+"
)
_ARRAY_INDEX = re.compile(r"(?:0|[1-9][0-9]*)\Z")


class PluginRequestError(ValueError):
    """What a plugin run's pure steps (transforms, placeholders, schemas, the response,
    persistence) fail with: the run fails with its message, no traceback needed."""


class TransformError(PluginRequestError):
    """A transformer that failed while running; `path` names the transformer (and helper)."""

    def __init__(self, path: str, message: str):
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}")


def now_milliseconds() -> int:
    return int(time.time() * 1000)


def apply_transformers(
    transformers,
    data,
    *,
    path: str = "transform",
    drop_top_level_nulls: bool = False,
    now_ms: Callable[[], int] = now_milliseconds,
):
    """`data` run through `transformers` in order; a new value, `data` is not changed.

    `drop_top_level_nulls`: an api plugin's chain (see the module docstring). `now_ms` gives
    the time setTimeToRecordUTC records. Raises TransformError."""
    record = copy.deepcopy(data)
    for index, entry in enumerate(transformers or []):
        entry_path = f"{path}[{index}]"
        kind = entry.get("transformer")
        if kind == "jmespath":
            record = apply_jmespath(_JS_SPACE_RUN.sub(" ", entry["mapping"]), record, f"{entry_path}.mapping")
        elif kind in ("helper", "helpers"):  # "helpers" is the transformer plugin's spelling
            record = _apply_helpers(entry["mapping"], record, f"{entry_path}.mapping", now_ms)
        else:
            raise TransformError(entry_path, f"unknown transformer {kind!r}")
        if drop_top_level_nulls:
            if isinstance(record, dict):
                record = {key: value for key, value in record.items() if value is not None}
            elif not isinstance(record, list):
                raise TransformError(
                    entry_path,
                    f"produced {js_type(record)}, not an object: an api plugin's transform must give an object",
                )
    return record


@functools.lru_cache(maxsize=512)
def _compiled(expression: str):
    return jmespath_js.compile_expression(expression)


def apply_jmespath(expression: str, data, path: str = "jmespath"):
    """jmespath.js's `search(data, expression)`, as JSON (undefined dropped as JSON.stringify would)."""
    try:
        result = jmespath_js.search(_compiled(expression), data)
    except jmespath_js.JmespathError as exc:
        raise TransformError(path, f"jmespath failed: {exc}") from exc
    except RecursionError as exc:
        raise TransformError(path, "jmespath failed: the data is nested too deeply") from exc
    except Exception as exc:  # the parser raises several exception types
        detail = " ".join(line.strip() for line in str(exc).splitlines() if line.strip() not in ("", "^"))
        raise TransformError(path, f"jmespath expression does not compile: {detail}") from exc
    return copy.deepcopy(_as_json(result))  # results share parts with `data`, which helpers change


def _as_json(value):
    if value is UNDEFINED:
        return None
    if isinstance(value, dict):
        return {key: _as_json(item) for key, item in value.items() if item is not UNDEFINED}
    if isinstance(value, (list, tuple)):
        return [_as_json(item) for item in value]
    return value


# --- helpers ----------------------------------------------------------------------------------


def _apply_helpers(mapping, record, path: str, now_ms):
    for index, helper in enumerate(mapping):
        helper_path = f"{path}[{index}]"
        source, target, method = helper["source"], helper["target"], helper["method"]
        run = _HELPERS.get(method)
        if run is None:
            raise TransformError(f"{helper_path}.method", f"unknown helper method {method!r}")
        value = _get_nested(record, source.split("."))
        result = run(record, value, helper, helper_path, now_ms)
        record = _set_nested(record, target.split("."), result, helper_path, target)
    return record


def _get_nested(record, keys: list[str]):
    current = record
    for key in keys:
        current = get_property(current, key) if truthy(current) else None
    return current


def _set_nested(record, keys: list[str], value, path: str, target: str):
    """Ballerine's setNestedProperty; UNDEFINED deletes the key, as JSON drops it."""
    current = record
    for depth, key in enumerate(keys):
        last = depth == len(keys) - 1
        if isinstance(current, dict):
            if last:
                if value is UNDEFINED:
                    current.pop(key, None)
                else:
                    current[key] = value
                break
            if not truthy(current.get(key)):
                current[key] = {}
            current = current[key]
        elif isinstance(current, list):
            if not _ARRAY_INDEX.match(key):
                break  # a named property on an array: JavaScript keeps it, JSON loses it
            position = int(key)
            if position >= len(current):
                current.extend([None] * (position + 1 - len(current)))
            if last:
                current[position] = None if value is UNDEFINED else value
                break
            if not truthy(current[position]):
                current[position] = {}
            current = current[position]
        else:
            where = ".".join(keys[:depth]) or "the record"
            raise TransformError(
                path, f"cannot write '{target}': {where} is {js_type(current)}, not an object"
            )
    return record


def _regex(record, value, helper, path, now_ms):
    if not isinstance(value, str):
        raise TransformError(
            path, f"regex needs a string at '{helper['source']}', found {_kind(value)}"
        )
    try:
        pattern = re.compile(helper.get("value") or "", re.ASCII)
    except re.error as exc:
        raise TransformError(f"{path}.value", f"the regular expression does not compile: {exc}") from exc
    match = pattern.search(value)
    return match.group(0) if match else None


def _remove(record, value, helper, path, now_ms):
    return UNDEFINED


def _omit(record, value, helper, path, now_ms):
    keys = helper.get("value") or []
    if value is None or value is UNDEFINED:
        raise TransformError(path, f"omit needs an object at '{helper['source']}', found {_kind(value)}")
    if isinstance(value, dict):
        return {key: item for key, item in value.items() if key not in keys}
    if isinstance(value, list):
        # `delete array[i]` leaves a hole, which JSON writes as null
        return [None if str(index) in keys else item for index, item in enumerate(value)]
    return value


def _set_time(record, value, helper, path, now_ms):
    return now_ms()


def _merge_each_item(record, value, helper, path, now_ms):
    options = helper.get("options") or {}
    items = apply_jmespath(options.get("mapJmespath", ""), record, f"{path}.options.mapJmespath")
    merge_with = apply_jmespath(options.get("mergeWithJmespath", ""), record, f"{path}.options.mergeWithJmespath")
    if not truthy(items) or not truthy(merge_with):
        return value
    if not isinstance(items, list):
        raise TransformError(f"{path}.options.mapJmespath", f"must give an array, gave {js_type(items)}")
    if not items:
        return value
    return [_lodash_merge_item(item, merge_with) for item in items]


_HELPERS = {
    "regex": _regex,
    "remove": _remove,
    "omit": _omit,
    "setTimeToRecordUTC": _set_time,
    "mergeArrayEachItemWithValue": _merge_each_item,
}


def _kind(value) -> str:
    return "nothing" if value is UNDEFINED else js_type(value)


# --- lodash.merge ------------------------------------------------------------------------------


def _lodash_merge_item(item, source):
    """`_.merge(item, source)` for JSON values. `item` is already a copy the caller owns."""
    if item is None:
        item = {}  # _.merge wraps its target in Object(): null becomes {}
    if not isinstance(item, (dict, list)):
        return item  # a wrapped string or number serialises back to itself
    return _lodash_merge(item, source)


def _lodash_merge(target, source):
    for key, value in _enumerable(source):
        current = _own(target, key)
        if isinstance(value, list):
            merged = _lodash_merge(current if isinstance(current, list) else [], value)
        elif isinstance(value, dict):
            merged = _lodash_merge(current if isinstance(current, (dict, list)) else {}, value)
        else:
            merged = value
        _assign(target, key, merged)
    return target


def _enumerable(value):
    if isinstance(value, dict):
        return list(value.items())
    if isinstance(value, list):
        return [(str(index), item) for index, item in enumerate(value)]
    return []


def _own(target, key: str):
    if isinstance(target, dict):
        return target.get(key, UNDEFINED)
    if _ARRAY_INDEX.match(key) and int(key) < len(target):
        return target[int(key)]
    return UNDEFINED


def _assign(target, key: str, value) -> None:
    if isinstance(target, dict):
        target[key] = value
    elif _ARRAY_INDEX.match(key):
        position = int(key)
        if position >= len(target):
            target.extend([None] * (position + 1 - len(target)))
        target[position] = value
    # a named key on an array is a property JSON does not keep
