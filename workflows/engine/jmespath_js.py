"""JMESPath evaluated the way jmespath.js 0.16 evaluates it.

The parser is Python's `jmespath` (the grammar is the same); the interpreter and the function
table are replaced because jmespath.py and jmespath.js disagree on results Ballerine relies on:
jmespath.js compares with plain JavaScript `<`/`>` (strings, null, mixed types), `==` keeps
`true` apart from `1` at every depth, `contains` uses `===`, `sort` sorts by string form,
`to_number`/`to_string` follow JavaScript, lengths count UTF-16 code units and object
iteration follows JavaScript key order.
"""

from __future__ import annotations

import functools
import math

import jmespath
from jmespath import exceptions as jmespath_exceptions
from jmespath.visitor import TreeInterpreter, _Expression

from . import js
from .js import UNDEFINED

__all__ = ["compile_expression", "search", "unknown_functions", "JmespathError", "FUNCTIONS"]


class JmespathError(Exception):
    """The expression throws in jmespath.js (bad argument type or count, unknown function...)."""


def _type_name(value):
    """jmespath.js _getTypeName; None for undefined, which matches only `any`."""
    if isinstance(value, _Expression):
        return "expref"
    if value is UNDEFINED:
        return None
    return {
        "string": "string",
        "number": "number",
        "boolean": "boolean",
        "null": "null",
    }.get(js.js_type(value)) or ("array" if isinstance(value, list) else "object")


def _type_matches(value, expected: str) -> bool:
    if expected == "any":
        return True
    actual = _type_name(value)
    if expected in ("array-number", "array-string"):
        if actual != "array":
            return False
        subtype = expected.split("-", 1)[1]
        return all(_type_name(item) == subtype for item in value)
    return actual == expected


def _is_false(value) -> bool:
    """jmespath.js isFalse: "", false, null, [] and {} (undefined is not false)."""
    if value is None or value is False:
        return True
    if isinstance(value, (str, list, dict)):
        return len(value) == 0
    return False


class _Functions:
    def __init__(self, interpreter: "JSInterpreter"):
        self._interpreter = interpreter

    def _visit(self, expref: _Expression, value):
        return self._interpreter.visit(expref.expression, value)

    def abs(self, x):
        return abs(js.to_float(x))

    def avg(self, items):
        total = 0.0
        for item in items:
            total += js.to_float(item)
        return js.divide(total, len(items))

    def ceil(self, x):
        x = js.to_float(x)
        return float(math.ceil(x)) if math.isfinite(x) else x

    def floor(self, x):
        x = js.to_float(x)
        return float(math.floor(x)) if math.isfinite(x) else x

    def contains(self, subject, search):
        if isinstance(subject, str):
            return js.to_string(search) in subject
        return any(js.strict_equals(item, search) for item in subject)

    def ends_with(self, subject, suffix):
        return subject.endswith(suffix)

    def starts_with(self, subject, prefix):
        # jmespath.js tests lastIndexOf(prefix) === 0, so an empty prefix matches only "".
        return subject.rfind(prefix) == 0

    def length(self, value):
        if isinstance(value, str):
            return js.utf16_length(value)
        return len(value)

    def map(self, expref, items):
        return [self._visit(expref, item) for item in items]

    def merge(self, *objects):
        merged = {}
        for obj in objects:
            for key in js.object_keys(obj):
                merged[key] = obj[key]
        return merged

    def _extreme(self, items, pick_max: bool):
        if not items:
            return None
        if _type_name(items[0]) == "number":
            numbers = [js.to_float(item) for item in items]
            if any(number != number for number in numbers):
                return js.NAN
            return max(numbers) if pick_max else min(numbers)
        # jmespath.js compares strings with localeCompare here (not `<`).
        best = items[0]
        for item in items[1:]:
            best_key, item_key = js.locale_compare_key(best), js.locale_compare_key(item)
            if (best_key < item_key) if pick_max else (item_key < best_key):
                best = item
        return best

    def max(self, items):
        return self._extreme(items, True)

    def min(self, items):
        return self._extreme(items, False)

    def _extreme_by(self, items, expref, pick_max: bool):
        best_key = -js.INF if pick_max else js.INF
        best = UNDEFINED  # nothing beats ±Infinity (e.g. string keys): the result is undefined
        for item in items:
            key = self._visit(expref, item)
            if _type_name(key) not in ("number", "string"):
                raise JmespathError("TypeError: expected one of number,string, received %s" % _type_name(key))
            if js.greater_than(key, best_key) if pick_max else js.less_than(key, best_key):
                best_key, best = key, item
        return best

    def max_by(self, items, expref):
        return self._extreme_by(items, expref, True)

    def min_by(self, items, expref):
        return self._extreme_by(items, expref, False)

    def sum(self, items):
        total = 0.0
        for item in items:
            total += js.to_float(item)
        return total

    def type(self, value):
        name = _type_name(value)
        return UNDEFINED if name is None else name

    def keys(self, obj):
        return js.object_keys(obj)

    def values(self, obj):
        return [obj[key] for key in js.object_keys(obj)]

    def sort(self, items):
        # Array.prototype.sort() without a comparator compares String(x): [10, 9, 1] -> [1, 10, 9].
        return sorted(items, key=lambda item: js.utf16_key(js.to_string(item)))

    def sort_by(self, items, expref):
        if not items:
            return []
        keys = [self._visit(expref, item) for item in items]
        required = _type_name(keys[0])
        if required not in ("number", "string"):
            raise JmespathError("TypeError")
        if len(items) > 1 and any(_type_name(key) != required for key in keys):
            raise JmespathError("TypeError: expected %s" % required)
        def compare(i, j):
            if js.greater_than(keys[i], keys[j]):
                return 1
            if js.less_than(keys[i], keys[j]):
                return -1
            return i - j  # jmespath.js decorates with the index to keep the sort stable

        return [items[i] for i in sorted(range(len(items)), key=functools.cmp_to_key(compare))]

    def join(self, separator, items):
        return separator.join(items)

    def reverse(self, value):
        if isinstance(value, str):
            units = js.utf16_key(value)
            pairs = [units[i : i + 2] for i in range(0, len(units), 2)]
            return b"".join(reversed(pairs)).decode("utf-16-be", "surrogatepass")
        return list(reversed(value))

    def to_array(self, value):
        return value if isinstance(value, list) else [value]

    def to_string(self, value):
        return value if isinstance(value, str) else js.json_stringify(value)

    def to_number(self, value):
        if _type_name(value) == "number":
            return value
        if isinstance(value, str):
            number = js.to_number(value)
            if number == number:
                return number
        return None

    def not_null(self, *values):
        for value in values:
            if value is not None:
                return value
        return None


# name -> (argument types, variadic); mirrors jmespath.js's function table.
FUNCTIONS = {
    "abs": ([["number"]], False),
    "avg": ([["array-number"]], False),
    "ceil": ([["number"]], False),
    "contains": ([["string", "array"], ["any"]], False),
    "ends_with": ([["string"], ["string"]], False),
    "floor": ([["number"]], False),
    "length": ([["string", "array", "object"]], False),
    "map": ([["expref"], ["array"]], False),
    "max": ([["array-number", "array-string"]], False),
    "merge": ([["object"]], True),
    "max_by": ([["array"], ["expref"]], False),
    "sum": ([["array-number"]], False),
    "starts_with": ([["string"], ["string"]], False),
    "min": ([["array-number", "array-string"]], False),
    "min_by": ([["array"], ["expref"]], False),
    "type": ([["any"]], False),
    "keys": ([["object"]], False),
    "values": ([["object"]], False),
    "sort": ([["array-string", "array-number"]], False),
    "sort_by": ([["array"], ["expref"]], False),
    "join": ([["string"], ["array-string"]], False),
    "reverse": ([["string", "array"]], False),
    "to_array": ([["any"]], False),
    "to_string": ([["any"]], False),
    "to_number": ([["any"]], False),
    "not_null": ([["any"]], True),
}


class JSInterpreter(TreeInterpreter):
    def __init__(self):
        super().__init__()
        self._js_functions = _Functions(self)

    def visit_comparator(self, node, value):
        left = self.visit(node["children"][0], value)
        right = self.visit(node["children"][1], value)
        name = node["value"]
        if name == "eq":
            return js.deep_equals(left, right)
        if name == "ne":
            return not js.deep_equals(left, right)
        return {
            "lt": js.less_than,
            "lte": js.less_equal,
            "gt": js.greater_than,
            "gte": js.greater_equal,
        }[name](left, right)

    def visit_not_expression(self, node, value):
        return _is_false(self.visit(node["children"][0], value))

    def visit_or_expression(self, node, value):
        matched = self.visit(node["children"][0], value)
        if _is_false(matched):
            matched = self.visit(node["children"][1], value)
        return matched

    def visit_and_expression(self, node, value):
        matched = self.visit(node["children"][0], value)
        if _is_false(matched):
            return matched
        return self.visit(node["children"][1], value)

    def visit_filter_projection(self, node, value):
        base = self.visit(node["children"][0], value)
        if not isinstance(base, list):
            return None
        collected = []
        for element in base:
            if not _is_false(self.visit(node["children"][2], element)):
                current = self.visit(node["children"][1], element)
                if current is not None:
                    collected.append(current)
        return collected

    def visit_value_projection(self, node, value):
        base = self.visit(node["children"][0], value)
        if not isinstance(base, dict):
            return None
        collected = []
        for key in js.object_keys(base):
            current = self.visit(node["children"][1], base[key])
            if current is not None:
                collected.append(current)
        return collected

    def visit_field(self, node, value):
        if isinstance(value, dict):
            return value.get(node["value"])
        return None

    def visit_slice(self, node, value):
        if not isinstance(value, list):
            return None
        if node["children"][2] == 0:
            raise JmespathError("Invalid slice, step cannot be 0")
        return value[slice(*node["children"])]

    def visit_function_expression(self, node, value):
        name = node["value"]
        args = [self.visit(child, value) for child in node["children"]]
        if name not in FUNCTIONS:
            raise JmespathError("Unknown function: %s()" % name)
        signature, variadic = FUNCTIONS[name]
        if variadic and len(args) < len(signature) or not variadic and len(args) != len(signature):
            raise JmespathError("ArgumentError: %s() takes %d argument(s)" % (name, len(signature)))
        for index, allowed in enumerate(signature):
            if not any(_type_matches(args[index], expected) for expected in allowed):
                raise JmespathError(
                    "TypeError: %s() expected argument %d to be type %s" % (name, index + 1, ",".join(allowed))
                )
        return getattr(self._js_functions, name)(*args)


def js_parser_problems(expression: str) -> list[str]:
    """Where jmespath.js 0.16 parses `expression` differently from the JMESPath grammar.

    Its parser takes a `@` that opens a parenthesised group or a function argument as a whole
    argument: `(@ == a)` and `length(@.a)` throw, `to_array(@[0])` gets two arguments and
    `(@[0])` means `@`. Ballerine would fail or misread such a guard, so it is refused up front;
    `(@)` and `f(@, x)` are fine.
    """
    from jmespath.lexer import Lexer

    tokens = [token["type"] for token in Lexer().tokenize(expression)]
    openers: list[str] = []
    problems = []
    for index, kind in enumerate(tokens):
        if kind in ("lparen", "lbracket", "filter", "lbrace"):
            openers.append(kind)
        elif kind in ("rparen", "rbracket", "rbrace") and openers:
            openers.pop()
        elif kind == "current" and index > 0:
            previous = tokens[index - 1]
            opens_group = previous == "lparen" or (previous == "comma" and openers[-1:] == ["lparen"])
            if opens_group and tokens[index + 1] not in ("rparen", "comma"):
                problems.append(
                    "jmespath.js cannot parse '@' followed by more inside parentheses or function "
                    "arguments; drop the '@' (e.g. `a` for `@.a`) or wrap it: `(@)`"
                )
                break
    return problems


def compile_expression(expression: str):
    """Parse once; raises jmespath's ParseError/LexerError for a bad expression."""
    return jmespath.compile(expression)


# The interpreter keeps no state of a search (only its cache of visit methods), so one serves
# every search, in every thread, with its cache warm.
_INTERPRETER = JSInterpreter()


def search(compiled, data):
    """jmespath.search(data, expression) as jmespath.js computes it."""
    try:
        return _INTERPRETER.visit(compiled.parsed, data)
    except JmespathError:
        raise
    except (jmespath_exceptions.JMESPathError, TypeError, ValueError, AttributeError, KeyError) as exc:
        raise JmespathError(str(exc)) from exc


def unknown_functions(compiled) -> list[str]:
    found: list[str] = []

    def walk(node):
        if not isinstance(node, dict):
            return
        if node.get("type") == "function_expression" and node["value"] not in FUNCTIONS:
            if node["value"] not in found:
                found.append(node["value"])
        for child in node.get("children", []):
            walk(child)

    walk(compiled.parsed)
    return found
