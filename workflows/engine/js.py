"""JavaScript value semantics, on JSON-like Python values.

Guards are evaluated the way Ballerine evaluates them: with json-logic-js and jmespath.js
inside a JavaScript runtime. Both libraries lean on plain JavaScript operators (`==`, `<`,
`+`, String(x), ...), so their results depend on JavaScript's coercion rules. Python's
operators differ on exactly the cases that matter (`True == 1`, `None < 5` raising,
`str(1.0) == "1.0"`), so every guard helper goes through this module instead.

Value mapping: None is null, UNDEFINED is undefined, bool is boolean, int/float are Number
(a bool is never a number here), str is String, list is Array and dict is a plain Object.
"""

from __future__ import annotations

import math
import re
import unicodedata
from decimal import Decimal

__all__ = [
    "UNDEFINED",
    "js_type",
    "is_number",
    "truthy",
    "to_number",
    "to_float",
    "to_string",
    "to_primitive",
    "number_to_string",
    "parse_float",
    "to_integer_or_infinity",
    "loose_equals",
    "strict_equals",
    "deep_equals",
    "less_than",
    "less_equal",
    "greater_than",
    "greater_equal",
    "add",
    "subtract",
    "divide",
    "remainder",
    "object_keys",
    "utf16_length",
    "utf16_slice",
    "utf16_key",
    "locale_compare_key",
    "get_property",
    "json_stringify",
]


class _Undefined:
    """JavaScript's `undefined`: a missing argument, or `and`/`or` over nothing."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __bool__(self) -> bool:
        return False


UNDEFINED = _Undefined()

NAN = float("nan")
INF = float("inf")

# ECMAScript WhiteSpace and LineTerminator; Python's str.strip() also strips \x1c-\x1f
# and \x85, which JavaScript keeps.
_JS_WHITESPACE = (
    "\t\n\v\f\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_DECIMAL = r"[+-]?(?:Infinity|(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
_DECIMAL_FULL = re.compile(_DECIMAL + r"\Z")
_DECIMAL_PREFIX = re.compile(_DECIMAL)
_NON_DECIMAL = re.compile(r"0(?:[xX]([0-9a-fA-F]+)|[oO]([0-7]+)|[bB]([01]+))\Z")
_ARRAY_INDEX = re.compile(r"(?:0|[1-9][0-9]*)\Z")
_MAX_ARRAY_INDEX = 2**32 - 2


_JS_TYPE_OF_EXACT_TYPE = {
    str: "string", int: "number", float: "number", bool: "boolean", type(None): "null", dict: "object", list: "object"
}


def js_type(value) -> str:
    """The JavaScript `typeof`-like category, with null kept apart from objects."""
    # Guards compare values on every event: JSON's own types are looked up, anything else
    # (UNDEFINED, a subclass) is worked out below.
    found = _JS_TYPE_OF_EXACT_TYPE.get(type(value))
    if found is not None:
        return found
    if value is UNDEFINED:
        return "undefined"
    if value is None:
        return "null"
    if value is True or value is False:
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object"


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def truthy(value) -> bool:
    """JavaScript ToBoolean: `[]` and `{}` are true; "", 0, -0, NaN, null are false."""
    if value is None or value is UNDEFINED:
        return False
    if value is True or value is False:
        return value
    if isinstance(value, (int, float)):
        return not (value == 0 or value != value)
    if isinstance(value, str):
        return value != ""
    return True


def to_float(value) -> float:
    """A Python number as the IEEE double JavaScript would hold (huge ints overflow to ±Infinity)."""
    if isinstance(value, float):
        return value
    try:
        return float(value)
    except OverflowError:
        return INF if value > 0 else -INF


def _string_to_number(text: str) -> float:
    text = text.strip(_JS_WHITESPACE)
    if text == "":
        return 0.0
    if _DECIMAL_FULL.match(text):
        if text.endswith("Infinity"):
            return -INF if text.startswith("-") else INF
        return float(text)
    match = _NON_DECIMAL.match(text)
    if match:
        hex_digits, oct_digits, bin_digits = match.groups()
        if hex_digits is not None:
            return to_float(int(hex_digits, 16))
        if oct_digits is not None:
            return to_float(int(oct_digits, 8))
        return to_float(int(bin_digits, 2))
    return NAN


def to_primitive(value):
    """ToPrimitive for plain JSON objects: arrays join with ",", objects become "[object Object]"."""
    if isinstance(value, list):
        return ",".join("" if item is None or item is UNDEFINED else to_string(item) for item in value)
    if isinstance(value, dict):
        return "[object Object]"
    return value


def to_number(value) -> float:
    """JavaScript ToNumber (the unary `+`)."""
    if value is UNDEFINED:
        return NAN
    if value is None or value is False:
        return 0.0
    if value is True:
        return 1.0
    if isinstance(value, (int, float)):
        return to_float(value)
    if isinstance(value, str):
        return _string_to_number(value)
    return to_number(to_primitive(value))


def number_to_string(value) -> str:
    """Number.prototype.toString(): shortest round-trip digits, JavaScript's exponent rules."""
    number = to_float(value)
    if number != number:
        return "NaN"
    if number == 0:
        return "0"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number < 0:
        return "-" + number_to_string(-number)
    # repr() gives the shortest digit string that round-trips, which is what ECMAScript asks for.
    _, digit_tuple, exponent = Decimal(repr(number)).as_tuple()
    raw = "".join(map(str, digit_tuple))  # a Decimal coefficient has no leading zeros
    digits = raw.rstrip("0")
    k, n = len(digits), len(raw) + exponent
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + digits
    exp = n - 1
    exp_text = ("+" if exp >= 0 else "-") + str(abs(exp))
    if k == 1:
        return digits + "e" + exp_text
    return digits[0] + "." + digits[1:] + "e" + exp_text


def to_string(value) -> str:
    """JavaScript String(value)."""
    if isinstance(value, str):
        return value
    if value is UNDEFINED:
        return "undefined"
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return number_to_string(value)
    return to_primitive(value)


def parse_float(value) -> float:
    """JavaScript parseFloat(): the longest decimal prefix after leading whitespace."""
    text = to_string(value).lstrip(_JS_WHITESPACE)
    match = _DECIMAL_PREFIX.match(text)
    if not match:
        return NAN
    literal = match.group(0)
    if literal.endswith("Infinity"):
        return -INF if literal.startswith("-") else INF
    return float(literal)


def to_integer_or_infinity(value) -> float:
    number = to_number(value)
    if number != number:
        return 0
    if math.isinf(number):
        return number
    return math.trunc(number)


def utf16_key(text: str) -> bytes:
    """Sort key ordering strings by UTF-16 code units, as JavaScript compares them."""
    return text.encode("utf-16-be", "surrogatepass")


def utf16_length(text: str) -> int:
    return len(utf16_key(text)) // 2


def utf16_slice(text: str, start: int, end: int) -> str:
    units = utf16_key(text)
    return units[2 * start : 2 * end].decode("utf-16-be", "surrogatepass")


# Printable ASCII in the order ICU's root / en-US collation (Node's localeCompare) puts them,
# read off Node 20: punctuation and symbols are not ignorable and come before digits, then
# letters with lowercase first.
_COLLATION_ORDER = "\t\n\v\f\r _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789abcdefghijklmnopqrstuvwxyz"
_PRIMARY = {char: index for index, char in enumerate(_COLLATION_ORDER)}


def locale_compare_key(text: str):
    """Sort key approximating String.prototype.localeCompare under ICU root collation:
    exact for ASCII (primary: case-blind order above; tertiary: lowercase first), accents from
    Unicode decomposition as a secondary difference, other characters after ASCII by code point."""
    primary, secondary, tertiary = [], [], []
    for char in text:
        decomposed = unicodedata.normalize("NFD", char)
        base, marks = decomposed[0], tuple(ord(mark) for mark in decomposed[1:])
        folded = base.lower()
        if folded in _PRIMARY:
            primary.append(_PRIMARY[folded])
        elif unicodedata.category(base) == "Cc":
            continue  # other control characters are ignorable
        else:
            primary.append(1000 + ord(folded))
        secondary.append(marks)
        tertiary.append(1 if base != folded else 0)
    return (tuple(primary), tuple(secondary), tuple(tertiary))


def loose_equals(a, b) -> bool:
    """JavaScript `a == b` (IsLooselyEqual)."""
    if type(a) is str and type(b) is str:
        return a == b
    type_a, type_b = js_type(a), js_type(b)
    if type_a == type_b:
        return strict_equals(a, b)
    if {type_a, type_b} == {"null", "undefined"}:
        return True
    if type_a in ("null", "undefined") or type_b in ("null", "undefined"):
        return False
    if type_a == "number" and type_b == "string":
        return to_float(a) == to_number(b)
    if type_a == "string" and type_b == "number":
        return to_number(a) == to_float(b)
    if type_a == "boolean":
        return loose_equals(to_number(a), b)
    if type_b == "boolean":
        return loose_equals(a, to_number(b))
    if type_a == "object":
        return loose_equals(to_primitive(a), b)
    if type_b == "object":
        return loose_equals(a, to_primitive(b))
    return False


def strict_equals(a, b) -> bool:
    """JavaScript `a === b`: same type and value; arrays and objects only equal themselves."""
    if type(a) is str and type(b) is str:
        return a == b
    type_a = js_type(a)
    if type_a != js_type(b):
        return False
    if type_a == "number":
        return to_float(a) == to_float(b)
    if type_a == "object":
        return a is b
    return a == b


def deep_equals(a, b) -> bool:
    """Structural JSON equality that keeps booleans apart from numbers (unlike Python's ==)."""
    type_a = js_type(a)
    if type_a != js_type(b):
        return False
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(deep_equals, a, b))
    if isinstance(a, dict):
        return (
            isinstance(b, dict)
            and a.keys() == b.keys()
            and all(deep_equals(a[key], b[key]) for key in a)
        )
    return strict_equals(a, b)


def _is_less_than(x, y):
    """IsLessThan(x, y): True, False, or None for undefined (a NaN was involved)."""
    px, py = to_primitive(x), to_primitive(y)
    if isinstance(px, str) and isinstance(py, str):
        return utf16_key(px) < utf16_key(py)
    nx, ny = to_number(px), to_number(py)
    if nx != nx or ny != ny:
        return None
    return nx < ny


def less_than(a, b) -> bool:
    return _is_less_than(a, b) is True


def greater_than(a, b) -> bool:
    return _is_less_than(b, a) is True


def less_equal(a, b) -> bool:
    return _is_less_than(b, a) is False


def greater_equal(a, b) -> bool:
    return _is_less_than(a, b) is False


def add(a, b):
    """JavaScript binary `+`: string concatenation as soon as either side is a string."""
    pa, pb = to_primitive(a), to_primitive(b)
    if isinstance(pa, str) or isinstance(pb, str):
        return to_string(pa) + to_string(pb)
    return to_number(pa) + to_number(pb)


def subtract(a, b) -> float:
    return to_number(a) - to_number(b)


def divide(a, b) -> float:
    x, y = to_number(a), to_number(b)
    if y == 0:
        if x == 0 or x != x:
            return NAN
        return math.copysign(INF, x) * math.copysign(1.0, y)
    return x / y


def remainder(a, b) -> float:
    """JavaScript `%`: the sign follows the dividend (math.fmod), unlike Python's `%`."""
    x, y = to_number(a), to_number(b)
    if y == 0 or x != x or y != y or math.isinf(x):
        return NAN
    if math.isinf(y):
        return x
    return math.fmod(x, y)


def object_keys(obj: dict) -> list:
    """Object.keys() order: array-index keys ascending first, then the rest in insertion order."""
    index_keys, other_keys = [], []
    for key in obj:
        if _ARRAY_INDEX.match(key) and int(key) <= _MAX_ARRAY_INDEX:
            index_keys.append(key)
        else:
            other_keys.append(key)
    index_keys.sort(key=int)
    return index_keys + other_keys


def get_property(value, name: str):
    """`value[name]` for JSON values; prototype members (toString, ...) are not modelled."""
    if isinstance(value, dict):
        return value.get(name, UNDEFINED)
    if isinstance(value, (list, str)):
        length = len(value) if isinstance(value, list) else utf16_length(value)
        if name == "length":
            return length
        if _ARRAY_INDEX.match(name) and int(name) < length:
            index = int(name)
            return value[index] if isinstance(value, list) else utf16_slice(value, index, index + 1)
    return UNDEFINED


def _quote(text: str) -> str:
    out = ['"']
    for char in text:
        code = ord(char)
        if char == '"':
            out.append('\\"')
        elif char == "\\":
            out.append("\\\\")
        elif code < 0x20:
            out.append({"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char, "\\u%04x" % code))
        elif 0xD800 <= code <= 0xDFFF:
            # Only lone surrogates reach here: a Python str holds astral characters whole.
            out.append("\\u%04x" % code)
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def json_stringify(value):
    """JSON.stringify(value) without indentation; UNDEFINED for a top-level undefined."""
    if value is UNDEFINED:
        return UNDEFINED
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        number = to_float(value)
        return number_to_string(number) if math.isfinite(number) else "null"
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, list):
        parts = []
        for item in value:
            text = json_stringify(item)
            parts.append("null" if text is UNDEFINED else text)
        return "[" + ",".join(parts) + "]"
    parts = []
    for key in object_keys(value):
        text = json_stringify(value[key])
        if text is not UNDEFINED:
            parts.append(_quote(key) + ":" + text)
    return "{" + ",".join(parts) + "}"
