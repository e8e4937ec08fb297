"""json-logic evaluated the way json-logic-js 2.0.5 evaluates it.

Ballerine runs json-logic-js, so a rule must give the result that library gives. Python
ports (panzi-json-logic included) differ on loose equality, `var` with an explicit null, `in`
(strict vs Python equality), `+`/`*` (parseFloat), `cat` (null -> ""), division by zero,
`%` signs, `reduce`'s initial value and missing arguments (undefined), so the whole
evaluator lives here, operator for operator.
"""

from __future__ import annotations

import math

from . import js
from .js import UNDEFINED

__all__ = ["apply", "compile_rule", "truthy", "CONTROL_OPERATORS", "OPERATORS", "KNOWN_OPERATORS", "unknown_operators"]


class JsonLogicError(Exception):
    """The rule throws in json-logic-js (unknown operator, TypeError, ...)."""


def truthy(value) -> bool:
    """json-logic-js's own truthiness: like JavaScript, except an empty array is false."""
    if isinstance(value, list) and not value:
        return False
    return js.truthy(value)


def _arg(args: list, index: int):
    return args[index] if index < len(args) else UNDEFINED


def _is_logic(logic) -> bool:
    return isinstance(logic, dict) and len(logic) == 1


def _op_var(data, args):
    key, default = _arg(args, 0), _arg(args, 1)
    not_found = None if default is UNDEFINED else default
    if key is UNDEFINED or key is None or key == "":
        return data
    current = data
    for prop in js.to_string(key).split("."):
        if current is None or current is UNDEFINED:
            return not_found
        current = js.get_property(current, prop)
        if current is UNDEFINED:
            return not_found
    return current


def _op_missing(data, args):
    keys = args[0] if args and isinstance(args[0], list) else args
    missing = []
    for key in keys:
        # json-logic-js re-applies {"var": key}, so an array or a rule as key behaves like one.
        value = apply({"var": key}, data)
        if value is None or (isinstance(value, str) and value == ""):
            missing.append(key)
    return missing


def _op_missing_some(data, args):
    need_count, options = _arg(args, 0), _arg(args, 1)
    are_missing = apply({"missing": options}, data)
    if options is None or options is UNDEFINED:
        raise JsonLogicError("Cannot read properties of %s (reading 'length')" % js.to_string(options))
    present = js.subtract(js.get_property(options, "length"), len(are_missing))
    if js.greater_equal(present, need_count):
        return []
    return are_missing


def _op_in(data, args):
    needle, haystack = _arg(args, 0), _arg(args, 1)
    if not js.truthy(haystack):
        return False
    if isinstance(haystack, list):
        return any(js.strict_equals(item, needle) for item in haystack)
    if isinstance(haystack, str):
        return js.to_string(needle) in haystack
    return False  # no indexOf on numbers, booleans or plain objects


def _op_cat(data, args):
    # Array.prototype.join renders null and undefined as "".
    return "".join("" if item is None or item is UNDEFINED else js.to_string(item) for item in args)


def _substr(text: str, start, length):
    """String.prototype.substr on UTF-16 code units."""
    size = js.utf16_length(text)
    int_start = js.to_integer_or_infinity(start)
    if int_start == -math.inf:
        int_start = 0
    elif int_start < 0:
        int_start = max(size + int_start, 0)
    else:
        int_start = min(int_start, size)
    int_length = size if length is UNDEFINED else js.to_integer_or_infinity(length)
    int_length = min(max(int_length, 0), size)
    int_end = min(int_start + int_length, size)
    if int_start >= int_end:
        return ""
    return js.utf16_slice(text, int(int_start), int(int_end))


def _op_substr(data, args):
    source, start, end = _arg(args, 0), _arg(args, 1), _arg(args, 2)
    if js.less_than(end, 0):
        temp = _substr(js.to_string(source), start, UNDEFINED)
        return _substr(temp, 0, js.add(js.utf16_length(temp), end))
    return _substr(js.to_string(source), start, end)


def _op_add(data, args):
    total = 0.0
    for item in args:
        total = js.parse_float(total) + js.parse_float(item)
    return total


def _op_multiply(data, args):
    if not args:
        raise JsonLogicError("Reduce of empty array with no initial value")
    result = args[0]  # a single argument comes back untouched, as Array.reduce does
    for item in args[1:]:
        result = js.parse_float(result) * js.parse_float(item)
    return result


def _op_minus(data, args):
    a, b = _arg(args, 0), _arg(args, 1)
    if b is UNDEFINED:
        return -js.to_number(a)
    return js.subtract(a, b)


def _op_min(data, args):
    numbers = [js.to_number(item) for item in args]
    if any(number != number for number in numbers):
        return js.NAN
    return min(numbers, default=js.INF)


def _op_max(data, args):
    numbers = [js.to_number(item) for item in args]
    if any(number != number for number in numbers):
        return js.NAN
    return max(numbers, default=-js.INF)


def _op_merge(data, args):
    merged = []
    for item in args:
        if isinstance(item, list):
            merged.extend(item)
        else:
            merged.append(item)
    return merged


def _op_less(data, args):
    a, b, c = _arg(args, 0), _arg(args, 1), _arg(args, 2)
    if c is UNDEFINED:
        return js.less_than(a, b)
    return js.less_than(a, b) and js.less_than(b, c)


def _op_less_equal(data, args):
    a, b, c = _arg(args, 0), _arg(args, 1), _arg(args, 2)
    if c is UNDEFINED:
        return js.less_equal(a, b)
    return js.less_equal(a, b) and js.less_equal(b, c)


# Operators of exactly two values (a missing one is undefined, more are ignored).
_TWO_VALUES = {
    "==": js.loose_equals,
    "===": js.strict_equals,
    "!=": lambda a, b: not js.loose_equals(a, b),
    "!==": lambda a, b: not js.strict_equals(a, b),
    ">": js.greater_than,
    ">=": js.greater_equal,
}


def _of_two_values(function):
    return lambda data, args: function(_arg(args, 0), _arg(args, 1))


OPERATORS = {
    **{op: _of_two_values(function) for op, function in _TWO_VALUES.items()},
    "<": _op_less,
    "<=": _op_less_equal,
    "!!": lambda data, args: truthy(_arg(args, 0)),
    "!": lambda data, args: not truthy(_arg(args, 0)),
    "%": lambda data, args: js.remainder(_arg(args, 0), _arg(args, 1)),
    # json-logic-js prints to the console; the engine does no I/O, so log only passes through.
    "log": lambda data, args: _arg(args, 0),
    "in": _op_in,
    "cat": _op_cat,
    "substr": _op_substr,
    "+": _op_add,
    "*": _op_multiply,
    "-": _op_minus,
    "/": lambda data, args: js.divide(_arg(args, 0), _arg(args, 1)),
    "min": _op_min,
    "max": _op_max,
    "merge": _op_merge,
    "var": _op_var,
    "missing": _op_missing,
    "missing_some": _op_missing_some,
}

CONTROL_OPERATORS = frozenset({"if", "?:", "and", "or", "filter", "map", "reduce", "all", "none", "some"})
KNOWN_OPERATORS = frozenset(OPERATORS) | CONTROL_OPERATORS


def _apply_control(op: str, values: list, data):
    if op in ("if", "?:"):
        index = 0
        while index < len(values) - 1:
            if truthy(apply(values[index], data)):
                return apply(values[index + 1], data)
            index += 2
        if len(values) == index + 1:
            return apply(values[index], data)
        return None
    if op in ("and", "or"):
        current = UNDEFINED
        for value in values:
            current = apply(value, data)
            if truthy(current) == (op == "or"):
                return current
        return current

    scoped_data = apply(_arg(values, 0), data)
    scoped_logic = _arg(values, 1)
    if op == "reduce":
        initial = apply(values[2], data) if len(values) > 2 else None
        if not isinstance(scoped_data, list):
            return initial
        accumulator = initial
        for current in scoped_data:
            accumulator = apply(scoped_logic, {"current": current, "accumulator": accumulator})
        return accumulator
    if not isinstance(scoped_data, list):
        return {"filter": [], "map": [], "all": False, "none": True, "some": False}[op]
    if op == "filter":
        return [item for item in scoped_data if truthy(apply(scoped_logic, item))]
    if op == "map":
        return [apply(scoped_logic, item) for item in scoped_data]
    if not scoped_data:
        return op == "none"
    if op == "all":
        return all(truthy(apply(scoped_logic, item)) for item in scoped_data)
    if op == "none":
        return not any(truthy(apply(scoped_logic, item)) for item in scoped_data)
    return any(truthy(apply(scoped_logic, item)) for item in scoped_data)  # some


def apply(logic, data=None):
    """jsonLogic.apply(logic, data). Raises JsonLogicError where json-logic-js throws."""
    if isinstance(logic, list):
        return [apply(item, data) for item in logic]
    if not _is_logic(logic):
        return logic
    op, values = next(iter(logic.items()))
    if not isinstance(values, list):
        values = [values]
    if op in CONTROL_OPERATORS:
        return _apply_control(op, values, data)
    args = [apply(value, data) for value in values]
    operator = OPERATORS.get(op)
    if operator is None:
        raise JsonLogicError("Unrecognized operation %s" % op)
    return operator(data, args)


# -- compiled rules -----------------------------------------------------------------------------
# A guard runs its rule on every event. `compile_rule` walks the rule once and returns a function
# of the data that gives what `apply(rule, data)` gives, step for step: the same operators, the
# same order of evaluation, literal arrays rebuilt on every call (so `===` on two of them stays
# false) and errors raised when the rule runs, not when it is compiled. Only the walk of the
# rule's structure (is this a rule? which operator?) is done once instead of every time.


def compile_rule(logic):
    """A function `f(data)` equal to `apply(logic, data)` for every data."""
    if isinstance(logic, list):
        items = [compile_rule(item) for item in logic]
        return lambda data: [item(data) for item in items]
    if not _is_logic(logic):
        return lambda data: logic
    op, values = next(iter(logic.items()))
    if not isinstance(values, list):
        values = [values]
    if op in CONTROL_OPERATORS:
        return _compile_control(op, [compile_rule(value) for value in values])
    if op == "var" and values and type(values[0]) is str and values[0] != "" and not any(_is_dynamic(v) for v in values):
        return _compile_var(values[0], _arg(values, 1))
    args = [compile_rule(value) for value in values]
    binary = _BINARY.get(op)
    if binary is not None and len(args) == 2:
        # The comparisons guards are made of, without building the argument list.
        left, right = args
        if not _is_dynamic(values[1]):
            constant = values[1]
            return lambda data: binary(left(data), constant)
        return lambda data: binary(left(data), right(data))
    operator = OPERATORS.get(op)
    if operator is None:

        def unrecognized(data):
            for arg in args:  # apply() evaluates the arguments before it looks the operator up
                arg(data)
            raise JsonLogicError("Unrecognized operation %s" % op)

        return unrecognized
    return lambda data: operator(data, [arg(data) for arg in args])


# What OPERATORS do when given exactly two arguments, as plain functions of the two values.
_BINARY = {
    **_TWO_VALUES,
    "<": js.less_than,
    "<=": js.less_equal,
    "in": lambda a, b: _op_in(None, [a, b]),
}


def _is_dynamic(value) -> bool:
    """Whether `apply` would build `value` anew (an array) or run it (a rule)."""
    return isinstance(value, list) or _is_logic(value)


def _compile_var(key: str, default):
    # _op_var with a constant key: the path is split once.
    not_found = None if default is UNDEFINED else default
    parts = key.split(".")
    get_property = js.get_property

    def var(data):
        current = data
        for prop in parts:
            if current is None or current is UNDEFINED:
                return not_found
            current = get_property(current, prop)
            if current is UNDEFINED:
                return not_found
        return current

    return var


def _undefined(data):
    return UNDEFINED  # apply(UNDEFINED, data): a missing argument is not a rule


def _compile_control(op: str, values: list):
    # _apply_control with each argument compiled; see there for json-logic-js's behaviour.
    count = len(values)
    if op in ("if", "?:"):

        def if_(data):
            index = 0
            while index < count - 1:
                if truthy(values[index](data)):
                    return values[index + 1](data)
                index += 2
            if count == index + 1:
                return values[index](data)
            return None

        return if_
    if op in ("and", "or"):
        stop_when = op == "or"

        def and_or(data):
            current = UNDEFINED
            for value in values:
                current = value(data)
                if truthy(current) == stop_when:
                    return current
            return current

        return and_or

    scoped_data = values[0] if count > 0 else _undefined
    scoped_logic = values[1] if count > 1 else _undefined
    if op == "reduce":
        initial_of = values[2] if count > 2 else None

        def reduce_(data):
            items = scoped_data(data)
            initial = initial_of(data) if initial_of is not None else None
            if not isinstance(items, list):
                return initial
            accumulator = initial
            for current in items:
                accumulator = scoped_logic({"current": current, "accumulator": accumulator})
            return accumulator

        return reduce_

    def over_items(data):
        items = scoped_data(data)
        if not isinstance(items, list):
            return [] if op in ("filter", "map") else op == "none"
        if op == "filter":
            return [item for item in items if truthy(scoped_logic(item))]
        if op == "map":
            return [scoped_logic(item) for item in items]
        if not items:
            return op == "none"
        if op == "all":
            return all(truthy(scoped_logic(item)) for item in items)
        if op == "none":
            return not any(truthy(scoped_logic(item)) for item in items)
        return any(truthy(scoped_logic(item)) for item in items)  # some

    return over_items


def unknown_operators(rule) -> list[str]:
    """Operators in `rule` that json-logic-js would reject, in order of appearance."""
    found: list[str] = []

    def walk(node):
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif _is_logic(node):
            op, values = next(iter(node.items()))
            if op not in KNOWN_OPERATORS and op not in found:
                found.append(op)
            walk(values if isinstance(values, list) else [values])

    walk(rule)
    return found
