"""What a JSON value must be to be stored and worked on: PostgreSQL's jsonb and text refuse NUL
characters and unpaired surrogates, JSON has no NaN or infinity, and our recursive code (schema
validation, merging, rendering) needs a bounded depth. Checked once where input arrives, so
every edge (API, pages, admin, loader) refuses the same things with a located message."""

import json
import math

from .errors import FieldError

MAX_DEPTH = 64
MAX_REPORTED = 20


def text_problem(text: str) -> str | None:
    """Why `text` cannot be stored, or None."""
    if "\x00" in text:
        return "Contains a NUL character (\\u0000), which cannot be stored."
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "Contains an unpaired surrogate (\\ud800-\\udfff), which is not valid Unicode."
    return None


def _child_path(path: str, key) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def _escaped(key) -> str:
    # The path is shown back to the caller and must itself be storable and printable.
    return str(key).encode("utf-8", "backslashreplace").decode().replace("\x00", "\\u0000")


def _value_problem(value, depth: int) -> str | None:
    if isinstance(value, str):
        return text_problem(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "Numbers must be finite (this one is too large for JSON)."
    if isinstance(value, (dict, list)) and depth > MAX_DEPTH:
        return f"Nested more than {MAX_DEPTH} levels deep."
    if value is not None and not isinstance(value, (bool, int, float, str, dict, list)):
        return "Not a JSON value."
    return None


def json_value_errors(value, root: str) -> list[FieldError]:
    """Every part of `value` that cannot be stored, with its path (at most MAX_REPORTED).
    Iterative, so a value nested deeper than the recursion limit is reported, not fatal."""
    errors: list[FieldError] = []
    stack = [(value, root, 0)]
    while stack and len(errors) < MAX_REPORTED:
        current, path, depth = stack.pop()
        problem = _value_problem(current, depth)
        if problem:
            errors.append(FieldError(path, problem))
            continue
        if isinstance(current, dict):
            for key, child in reversed(list(current.items())):
                child_path = _child_path(path, key)
                key_problem = text_problem(key) if isinstance(key, str) else "Keys must be strings."
                if key_problem:
                    errors.append(FieldError(_child_path(path, _escaped(key)), f"Key: {key_problem}"))
                else:
                    stack.append((child, child_path, depth + 1))
        elif isinstance(current, list):
            for index in reversed(range(len(current))):
                stack.append((current[index], _child_path(path, index), depth + 1))
    return errors


def _refuse_constant(name):
    raise ValueError(f"{name} is not valid JSON")


MAX_INT_DIGITS = 4300  # Python's own limit for turning text into an int


def _parse_int(text: str) -> int:
    if len(text) > MAX_INT_DIGITS:
        raise ValueError(f"a whole number has more than {MAX_INT_DIGITS} digits")
    return int(text)


def _refuse_duplicate_keys(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            # JSON parsers disagree on which one wins; the sender meant one of them.
            raise ValueError(f"the key {json.dumps(key, ensure_ascii=False)} appears more than once in one object")
        seen[key] = value
    return seen


def json_parse(text: str):
    """`json.loads` that refuses NaN/Infinity and duplicate keys, and reports too-deep nesting
    as a ValueError like any other malformed input, instead of a RecursionError."""
    try:
        return json.loads(
            text, parse_constant=_refuse_constant, parse_int=_parse_int, object_pairs_hook=_refuse_duplicate_keys
        )
    except RecursionError as error:
        raise ValueError(f"nested more than {MAX_DEPTH} levels deep") from error
