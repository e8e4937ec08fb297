#!/usr/bin/env python3
"""Random simulate_workflow scenarios (JSON Lines) for the XState differential check.

Flat statecharts of 2-8 states (some final), every transition form, guarded `always`
transitions, json-logic and jmespath guards aimed at JavaScript's coercion corners, and
event sequences mixing known, unknown and built-in events.

    python generate.py -n 3000 --seed 1 > scenarios.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import re

STATE_NAMES = ["review", "revision", "approved", "rejected", "s4", "S5", "x_6", "wait", "Done", "ü"]
EVENTS = ["approve", "reject", "revision", "RESUBMITTED", "go", "next", "Z", "b2"]
UNKNOWN_EVENTS = ["unknown", "APPROVE", "noop"]
TAGS = ["manual_review", "approved", "rejected", "a", "B", "z", "revision", "ä"]
KEYS = ["a", "b", "n", "s", "flag", "list", "obj", "x", "1", "0", "10", "id"]
STRINGS = ["", "0", "1", " 1 ", "10", "2", "abc", "ABC", "abd", "a", "true", "false", "null",
           "1e3", "0x10", "a,b", "1,2", " ", "-0", "Infinity", "[object Object]", "é", "10.5"]
NUMBERS = [0, 1, -1, 2, 3, 10, 0.5, -2.5, 100, 1e21, 1.5e-7, 0.1, 7]
# Top-level keys only context updates bring in (never in a scenario's initial context).
NEW_KEYS = ["extra", "added", "k_2", "2", "Z9"]
JS_TYPES = ["null", "boolean", "number", "string", "array", "object"]


def js_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def js_number_string(value) -> str:
    """String(value) in JavaScript, for the numbers in NUMBERS."""
    if isinstance(value, int) or value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return re.sub(r"e([+-])0*(\d)", r"e\1\2", repr(value))


def jp_key(key: str) -> str:
    """`key` as a jmespath identifier (quoted unless it is a plain identifier)."""
    return key if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) else json.dumps(key)


def approx_deep_merge(base: dict, update: dict) -> dict:
    """Objects merged key by key, anything else replaced: enough to know the keys and types."""
    merged = dict(base)
    for key, value in update.items():
        old = merged.get(key)
        merged[key] = approx_deep_merge(old, value) if isinstance(old, dict) and isinstance(value, dict) else value
    return merged


class Gen:
    def __init__(self, rng: random.Random):
        self.r = rng
        self.focus: list[str] = []
        self.heavy = False

    # -- data --------------------------------------------------------------------------------

    def scalar(self):
        kind = self.r.random()
        if kind < 0.15:
            return None
        if kind < 0.3:
            return self.r.choice([True, False])
        if kind < 0.6:
            return self.r.choice(NUMBERS)
        return self.r.choice(STRINGS)

    def value(self, depth=0):
        kind = self.r.random()
        if depth < 2 and kind < 0.15:
            return [self.value(depth + 1) for _ in range(self.r.randint(0, 3))]
        if depth < 2 and kind < 0.25:
            return self.obj(depth + 1)
        return self.scalar()

    def obj(self, depth=0, size=None):
        size = self.r.randint(0, 4) if size is None else size
        return {self.r.choice(KEYS): self.value(depth) for _ in range(size)}

    def items_list(self):
        """A list of objects with ids, for by_id merges and jmespath projections."""
        return [
            {"id": self.r.choice([1, 2, 3, "1", None]), "a": self.scalar(), "n": self.r.choice(NUMBERS)}
            for _ in range(self.r.randint(0, 3))
        ]

    def context(self):
        ctx = self.obj(0, self.r.randint(0, 6))
        if self.r.random() < 0.5:
            ctx["list"] = self.r.choice([self.items_list(), [self.scalar() for _ in range(self.r.randint(0, 4))]])
        elif self.r.random() < 0.3:
            ctx["list"] = self.merge_list()
        if self.r.random() < 0.4:
            ctx["obj"] = self.obj(1, self.r.randint(0, 3))
        return ctx

    # -- json-logic --------------------------------------------------------------------------

    def jl_literal(self):
        """A literal that json-logic will not read as an operation (no single-key objects:
        the validator rejects those up front, json-logic-js only when it reaches them)."""

        def fix(value):
            if isinstance(value, list):
                return [fix(item) for item in value]
            if isinstance(value, dict):
                value = {key: fix(item) for key, item in value.items()}
                if len(value) == 1:
                    value["zz"] = None
            return value

        return fix(self.value(1))

    def var_path(self):
        path = self.focus_key() if self.r.random() < 0.3 else self.r.choice(KEYS)
        if self.r.random() < 0.3:
            path += "." + self.r.choice(KEYS + ["length", "0"])
        return path

    def jl_var(self):
        path = self.var_path()
        roll = self.r.random()
        if roll < 0.2:
            return {"var": [path, self.scalar()]}
        if roll < 0.3:
            return {"var": self.r.choice(["", None, 0, 1])}
        return {"var": path} if self.r.random() < 0.5 else {"var": [path]}

    ODD_RULES = [
        {"and": []}, {"or": []}, {"if": []}, {"if": [True]}, {"*": []}, {"*": ["5"]}, {"*": [[2]]},
        {"+": []}, {"+": ["1e3", " 2x"]}, {"-": ["", 0]}, {"-": [0]}, {"/": [1, 0]}, {"/": [0, 0]},
        {"/": [-1, {"-": [0]}]}, {"%": [-5, 3]}, {"%": [5, 0]}, {"min": []}, {"max": []},
        {"<": [1, 2, None]}, {"<=": [None, 0, None]}, {">": [3, 2, 1]}, {"==": [None]}, {"===": []},
        {"var": 1.5}, {"var": [["list", "0"]]}, {"var": True}, {"missing_some": [1, "ab"]},
        {"missing": [["a", "b"]]}, {"substr": []}, {"substr": ["abcdef", -2, "-1"]},
        {"substr": ["héllo😀x", 1, 5]}, {"cat": [None, [1, [2, None]], {"a": 1, "b": 2}]},
        {"map": [[1, 2]]}, {"reduce": [[1, 2]]}, {"filter": [[0, 1, [], [0]], {"var": ""}]},
        {"in": ["", "abc"]}, {"in": [1, [True, 1.0]]}, {"in": [[1], [[1]]]}, {"merge": [None, [[1]], 2]},
        {"!!": [[]]}, {"!": [{}]}, {"==": [[1, 2], "1,2"]}, {"==": [{"a": 1, "b": 2}, "[object Object]"]},
        {"==": [True, "1"]}, {"==": [False, []]}, {"==": [0, ""]}, {"<": ["10", "9"]}, {"<": ["10", 9]},
        {"<": [[2], [10]]}, {">=": [None, None]}, {"<": [None, {"var": "missing"}]}, {"log": []},
    ]

    def jl_value(self, depth):
        roll = self.r.random()
        if roll < 0.04:
            return self.r.choice(self.ODD_RULES)
        if depth >= 3 or roll < 0.35:
            return self.jl_var() if self.r.random() < 0.6 else self.jl_literal()
        if roll < 0.5:
            return self.jl_bool(depth + 1)
        op = self.r.choice(["cat", "+", "-", "*", "/", "%", "min", "max", "substr", "merge", "if",
                            "missing", "missing_some", "map", "filter", "reduce", "!!", "log"])
        args = [self.jl_value(depth + 1) for _ in range(self.r.randint(1, 3))]
        if op == "substr":
            args = [self.jl_value(depth + 1), self.r.choice([0, 1, -1, -3, "1", None]),
                    *([self.r.choice([1, 2, -1, "-1", 0, None])] if self.r.random() < 0.6 else [])]
        elif op == "if":
            args = [self.jl_bool(depth + 1), self.jl_value(depth + 1), self.jl_value(depth + 1)]
        elif op == "missing":
            args = [self.r.choice(KEYS) for _ in range(self.r.randint(1, 3))]
        elif op == "missing_some":
            args = [self.r.randint(0, 2), [self.r.choice(KEYS) for _ in range(self.r.randint(1, 3))]]
        elif op in ("map", "filter"):
            args = [{"var": "list"}, self.jl_item_logic()]
        elif op == "reduce":
            args = [{"var": "list"}, {"+": [{"var": "current"}, {"var": "accumulator"}]}, self.jl_value(depth + 1)]
        elif op in ("-", "/", "%"):
            args = args[:2]
        return {op: args}

    def jl_item_logic(self):
        return self.r.choice([
            {"var": ""}, {"var": "a"}, {">": [{"var": "n"}, 1]}, {"==": [{"var": "id"}, 1]},
            {"!!": {"var": ""}}, {"in": [{"var": ""}, [1, "1", None]]},
        ])

    def jl_bool(self, depth=0):
        roll = self.r.random()
        if depth < 2 and roll < 0.2:
            op = self.r.choice(["and", "or"])
            return {op: [self.jl_bool(depth + 1) for _ in range(self.r.randint(1, 3))]}
        if depth < 2 and roll < 0.3:
            return {self.r.choice(["!", "!!"]): self.jl_value(depth + 1)}
        if roll < 0.4:
            op = self.r.choice(["all", "some", "none"])
            return {op: [{"var": self.r.choice(["list", "a", "obj"])}, self.jl_item_logic()]}
        if roll < 0.55:
            haystack = self.r.choice([self.jl_var(), self.jl_literal(), [self.scalar(), self.scalar()], self.r.choice(STRINGS)])
            return {"in": [self.jl_value(depth + 1), haystack]}
        op = self.r.choice(["==", "===", "!=", "!==", "<", "<=", ">", ">="])
        args = [self.jl_value(depth + 1), self.jl_value(depth + 1)]
        if op in ("<", "<=") and self.r.random() < 0.25:
            args.append(self.jl_value(depth + 1))
        return {op: args}

    def json_logic_rule(self):
        return self.jl_bool() if self.r.random() < 0.8 else self.jl_value(1)

    # -- jmespath ----------------------------------------------------------------------------

    def jp_literal(self):
        value = self.value(1)
        if isinstance(value, str) and self.r.random() < 0.5:
            return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
        return "`" + json.dumps(value).replace("`", "\\`") + "`"

    def jp_path(self):
        key = self.r.choice(["a", "b", "n", "s", "flag", "x", "obj", "list", "id"])
        roll = self.r.random()
        if roll < 0.15:
            return jp_key(self.focus_key())
        if roll < 0.5:
            return key
        return self.r.choice([
            f"obj.{self.r.choice(['a', 'b', 'n', 'list'])}",
            "list[0]", "list[-1]", "list[*].a", "list[*].n", "list[].id", "obj.*", "list[1:]",
            "list[::-1]", "list[?n > `1`].id", f"list[?a == {self.jp_literal()}]", "list[?a].n",
            "@", "keys(obj)", "values(obj)", "[a, b]", "{x: a, y: n}",
        ])

    def jp_value(self, depth):
        roll = self.r.random()
        if depth >= 2 or roll < 0.45:
            return self.jp_path()
        if roll < 0.6:
            return self.jp_literal()
        fn = self.r.choice(["length", "contains", "starts_with", "ends_with", "type", "to_number",
                            "to_string", "not_null", "sort", "max", "min", "abs", "ceil", "floor",
                            "sum", "avg", "join", "reverse", "to_array", "max_by", "min_by",
                            "sort_by", "merge", "map", "keys", "values"])
        arg = self.jp_typed_arg(fn) if self.r.random() < 0.7 else self.jp_value(depth + 1)
        if fn in ("contains", "starts_with", "ends_with"):
            second = self.r.choice([self.jp_value(depth + 1), self.jp_literal(), "s", "a"])
            return f"{fn}({arg}, {second})"
        if fn == "join":
            return f"join(', ', {arg})"
        if fn in ("max_by", "min_by", "sort_by"):
            return f"{fn}(list, &{self.r.choice(['n', 'a', 'id', 'to_string(n)', 'to_number(a)'])})"
        if fn == "map":
            return f"map(&{self.r.choice(['n', 'a', 'id'])}, list)"
        if fn == "merge":
            return f"merge(obj, {{a: {arg}}})"
        if fn == "not_null":
            return f"not_null({arg}, {self.jp_value(depth + 1)})"
        return f"{fn}({arg})"

    def jp_typed_arg(self, fn):
        """An argument of the type `fn` expects (most of the time), so results get compared, not just errors."""
        numbers = ["n", "obj.n", "list[0].n", "to_number(s)", "length(list)", "`2.5`", "`-3`", "`0`"]
        number_arrays = ["list[*].n", "map(&n, list)", "`[10, 9, 1, 2.5]`", "`[]`", "`[-1, 0, 1e21]`"]
        strings = ["s", "a", "to_string(n)", "obj.a", "'abc'", "''", "join('', list[*].a)"]
        string_arrays = ["keys(obj)", "`[\"b\", \"B\", \"a\", \"10\", \"9\"]`", "list[*].a", "`[]`"]
        objects = ["obj", "@", "{x: a, y: n}", "list[0]"]
        anything = numbers + strings + objects + ["list", "flag", "x", "b"]
        table = {
            "abs": numbers, "ceil": numbers, "floor": numbers,
            "sum": number_arrays, "avg": number_arrays, "max": number_arrays + string_arrays,
            "min": number_arrays + string_arrays, "sort": number_arrays + string_arrays,
            "join": string_arrays, "starts_with": strings, "ends_with": strings,
            "contains": strings + ["list", "list[*].a", "list[*].n"], "reverse": strings + ["list"],
            "length": strings + objects + ["list"], "keys": objects, "values": objects,
        }
        return self.r.choice(table.get(fn, anything))

    def jp_bool(self, depth=0):
        roll = self.r.random()
        if depth < 2 and roll < 0.25:
            op = self.r.choice(["&&", "||"])
            return f"({self.jp_bool(depth + 1)}) {op} ({self.jp_bool(depth + 1)})"
        if depth < 2 and roll < 0.35:
            return f"!({self.jp_bool(depth + 1)})"
        if roll < 0.5:
            return self.jp_value(depth)
        op = self.r.choice(["==", "!=", "<", "<=", ">", ">="])
        return f"{self.jp_value(depth + 1)} {op} {self.jp_value(depth + 1)}"

    # -- context updates ---------------------------------------------------------------------

    def focus_key(self):
        focus_chance = 0.9 if self.heavy else 0.7
        return self.r.choice(self.focus) if self.focus and self.r.random() < focus_chance else self.r.choice(KEYS + NEW_KEYS)

    def typed_value(self, kind, depth=1):
        if kind == "null":
            return None
        if kind == "boolean":
            return self.r.choice([True, False])
        if kind == "number":
            return self.r.choice(NUMBERS)
        if kind == "string":
            return self.r.choice(STRINGS)
        if kind == "array":
            return self.r.choice([self.items_list(), [self.value(depth + 1) for _ in range(self.r.randint(0, 3))]])
        return self.obj(depth, self.r.randint(0, 3))

    def retype(self, value):
        """A value of another JavaScript type, often one that coerces to the old value."""
        kind = js_type(value)
        if self.r.random() < 0.4:
            # Look-alikes: JS coercion (==, truthiness, json-logic's arithmetic) may not tell them apart.
            if kind == "boolean":
                return self.r.choice([str(value).lower(), int(value), None])
            if kind == "number":
                return self.r.choice([js_number_string(value), [value], value != 0])
            if kind == "string":
                return self.r.choice([None, [value], 0, {"s": value, "zz": None}])
            if kind == "null":
                return self.r.choice(["null", 0, False, {}, []])
            if kind == "array":
                return self.r.choice(["", ",".join(str(v) for v in value if type(v) in (int, str)), {}, 0])
            return self.r.choice(["[object Object]", 1, [value], None])
        return self.typed_value(self.r.choice([t for t in JS_TYPES if t != kind]))

    def context_update(self, known, depth=0):
        """A context for UPDATE_CONTEXT / newContext for DEEP_MERGE_CONTEXT that names only some of
        the keys: some left out, some retyped, some new; nested objects partly named."""
        roll = self.r.random()
        if depth == 0 and roll < 0.08:
            return self.context()  # unrelated to the current context
        if roll < 0.14:
            return {}
        update = {}
        keys = list(known)
        self.r.shuffle(keys)
        focus = [key for key in self.focus if key in known]
        for key in keys:
            roll = self.r.random()
            leave_out = 0.5 if key in focus and self.heavy else 0.35
            if roll < leave_out:
                continue
            old = known[key]
            if isinstance(old, list) and roll < 0.6:
                update[key] = self.merge_list()
            elif roll < 0.7:
                update[key] = self.retype(old)
            elif roll < 0.85 and isinstance(old, dict) and depth < 2:
                update[key] = self.context_update(old, depth + 1)
            else:
                update[key] = self.typed_value(js_type(old))
        if keys and len(update) == len(keys) and self.r.random() < 0.8:
            del update[self.r.choice(list(update))]  # leave at least one key out
        for _ in range(self.r.choice([0, 0, 1, 1, 2])):
            key = self.r.choice(NEW_KEYS + KEYS) if depth == 0 else self.r.choice(KEYS)
            if depth == 0 and self.r.random() < 0.5:
                key = self.focus_key()
            update[key] = self.typed_value(self.r.choice(JS_TYPES))
        return update

    def merge_list(self):
        """An array for DEEP_MERGE_CONTEXT's array options: items with and without (truthy) ids,
        nested objects and arrays, falsy plain values, strings (by_index spreads them)."""
        def item():
            roll = self.r.random()
            if roll < 0.55:
                entry = {"a": self.scalar()}
                if self.r.random() < 0.85:
                    entry["id"] = self.r.choice([1, 2, 3, "1", "2", 0, "", True, None])
                if self.r.random() < 0.4:
                    entry["obj"] = self.obj(2, self.r.randint(0, 2))
                if self.r.random() < 0.3:
                    entry["list"] = [self.scalar() for _ in range(self.r.randint(0, 2))]
                return entry
            if roll < 0.8:
                return self.r.choice([0, "", False, None, 1, "ab", True, 2.5])
            return self.r.choice([[self.scalar()], [], "xyz"])

        return [item() for _ in range(self.r.randint(0, 4))]

    # -- guards that read what context updates change -----------------------------------------

    def jl_context_rule(self):
        """json-logic that tells a kept key from a dropped or retyped one."""
        key = self.focus_key()
        var = {"var": key}
        other = self.focus_key()
        forms = [
            lambda: var,
            lambda: {"!": var},
            lambda: {"!!": [{"missing": [key]}]},
            lambda: {"!": [{"missing": [key, other]}]},
            lambda: {"!!": [{"missing_some": [1, [key, other]]}]},
            lambda: {"==": [var, None]},
            lambda: {"===": [var, None]},
            lambda: {"!==": [var, self.jl_literal()]},
            lambda: {"==": [var, self.jl_literal()]},
            lambda: {"===": [{"var": [key, "gone"]}, "gone"]},
            lambda: {"var": [key, self.scalar()]},
            lambda: {"var": key + "." + self.r.choice(KEYS + ["length"])},
            lambda: {">": [var, self.r.choice([0, -1, "0", None])]},
            lambda: {"<=": [var, self.r.choice([0, 1, ""])]},
            lambda: {"==": [{"cat": [var]}, self.r.choice(["", "null", "true", "1", "[object Object]", "abc"])]},
            lambda: {"in": [var, [None, True, 1, "1", "true", 0, ""]]},
            lambda: {"==": [{"+": [var]}, self.r.choice([0, 1])]},
            lambda: {"some": [var, {"!!": {"var": ""}}]},
            lambda: {"and": [var, {"var": other}]},
            lambda: {"or": [{"!": var}, {"==": [{"var": other}, None]}]},
        ]
        rule = self.r.choice(forms)()
        return {"!": rule} if self.r.random() < 0.15 else rule

    def jp_context_rule(self):
        """jmespath that tells a kept key from a dropped or retyped one."""
        key = jp_key(self.focus_key())
        other = jp_key(self.focus_key())
        forms = [
            lambda: key,
            lambda: f"!{key}",
            lambda: f"{key} == null",
            lambda: f"{key} != null",
            lambda: f"type({key}) == '{self.r.choice(JS_TYPES)}'",
            lambda: f"type({key}) == type({other})",
            lambda: f"contains(keys(@), '{self.focus_key()}')",
            lambda: f"length(keys(@)) > `{self.r.randint(0, 6)}`",
            lambda: f"length(values(@)[?@ == null]) > `0`",
            lambda: f"{key} == {self.jp_literal()}",
            lambda: f"{key}.{self.r.choice(['a', 'n', 's', 'id'])} != null",
            lambda: f"not_null({key}, `false`)",
            lambda: f"to_string({key}) == '{self.r.choice(['null', 'true', '1', '', 'abc'])}'",
            lambda: f"{key} && {other}",
            lambda: f"{key} || !{other}",
            lambda: f"length(to_array({key})) > `0`",
        ]
        return self.r.choice(forms)()

    # -- statecharts -------------------------------------------------------------------------

    def cond(self, context_chance=None):
        if context_chance is None:
            context_chance = 0.75 if self.heavy else 0.25
        roll = self.r.random()
        if roll < context_chance / 2:
            return {"type": "json-logic", "options": {"rule": self.jl_context_rule()}}
        if roll < context_chance:
            return {"type": "jmespath", "options": {"rule": self.jp_context_rule()}}
        if self.r.random() < 0.55:
            return {"type": "json-logic", "options": {"rule": self.json_logic_rule()}}
        rule = self.jp_bool()
        # jmespath.js misparses `(@ ...` and `f(@...`; the validator refuses those, so skip them.
        while re.search(r"[(,]\s*@(?!\s*[),])", rule):
            rule = self.jp_bool()
        return {"type": "jmespath", "options": {"rule": rule}}

    def transition_entry(self, names, guarded_chance=0.5):
        roll = self.r.random()
        if roll < 0.25:
            return self.r.choice(names)
        entry = {}
        if self.r.random() < 0.9:
            entry["target"] = self.r.choice(names)
        if self.r.random() < guarded_chance:
            entry["cond"] = self.cond()
        return entry

    def transitions(self, names):
        roll = self.r.random()
        if roll < 0.35:
            return self.transition_entry(names)
        if roll < 0.97:
            return [self.transition_entry(names, 0.7) for _ in range(self.r.randint(1, 3))]
        return []

    def always(self, name, names):
        # Unguarded `always` entries only point "forward" so most scenarios have no loop;
        # guarded ones may point anywhere (a loop then shows up at run time in both engines).
        index = names.index(name)
        forward = names[index + 1:]
        entries = []
        for _ in range(self.r.randint(1, 2)):
            if forward and self.r.random() < 0.2:
                entries.append({"target": self.r.choice(forward)})
                break
            entry = {"target": self.r.choice(forward or names), "cond": self.cond(0.9 if self.heavy else 0.5)}
            if self.r.random() < 0.25:
                entry["target"] = self.r.choice(names)
            entries.append(entry)
        return entries if len(entries) > 1 or self.r.random() < 0.5 else entries[0]

    def definition(self):
        names = self.r.sample(STATE_NAMES, self.r.randint(2, 8))
        states = {}
        for position, name in enumerate(names):
            state = {}
            final = position > 0 and self.r.random() < 0.25 or position == 0 and self.r.random() < 0.02
            if final:
                state["type"] = "final"
            if self.r.random() < 0.7:
                tags = [self.r.choice(TAGS) for _ in range(self.r.randint(0, 3))]
                state["tags"] = tags[0] if len(tags) == 1 and self.r.random() < 0.2 else tags
            if not final or self.r.random() < 0.1:
                events = self.r.sample(EVENTS, self.r.randint(0, 4))
                if self.r.random() < 0.05:
                    events.append(self.r.choice(["UPDATE_CONTEXT", "DEEP_MERGE_CONTEXT"]))
                if events:
                    state["on"] = {event: self.transitions(names) for event in events}
            if not final and self.r.random() < (0.7 if self.heavy else 0.3):
                state["always"] = self.always(name, names)
            states[name] = state
        return {"id": "random", "initial": names[0], "states": states}

    def events(self, context):
        known = dict(context)  # what the context's top level roughly is, under merge semantics
        out = []
        update_chance, merge_chance = (0.25, 0.4) if self.heavy else (0.14, 0.24)
        for _ in range(self.r.randint(0, 8)):
            roll = self.r.random()
            if roll < update_chance:
                update = self.context_update(known)
                out.append({"name": "UPDATE_CONTEXT", "payload": {"context": update}})
                known.update(update)
            elif roll < merge_chance:
                update = self.context_update(known)
                payload = {"newContext": update}
                if self.r.random() < 0.8:
                    payload["arrayMergeOption"] = self.r.choice(["concat", "replace", "by_index", "by_id"])
                out.append({"name": "DEEP_MERGE_CONTEXT", "payload": payload})
                known = approx_deep_merge(known, update)
            else:
                event = {"name": self.r.choice(EVENTS + UNKNOWN_EVENTS)}
                if self.r.random() < 0.6:
                    event["payload"] = self.obj(0)
                out.append(event)
        return out

    def scenario(self):
        # A few keys this scenario's guards keep reading and its context updates keep changing.
        # Some scenarios are mostly about the context: more built-in events, more `always`
        # transitions, more guards that read the keys the updates leave out or retype.
        self.heavy = self.r.random() < 0.4
        self.focus = self.r.sample(KEYS + NEW_KEYS, self.r.randint(1, 2 if self.heavy else 3))
        context = self.context() if self.r.random() < 0.9 else None
        for key in self.focus:
            if context is not None and key not in NEW_KEYS and self.r.random() < 0.7:
                context[key] = self.typed_value(self.r.choice(JS_TYPES))
        scenario = {"definition": self.definition(), "events": self.events(context or {})}
        if context is not None:
            scenario["context"] = context
        return scenario


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=1000, help="number of scenarios")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    gen = Gen(random.Random(args.seed))
    for _ in range(args.n):
        print(json.dumps(gen.scenario(), ensure_ascii=False))


if __name__ == "__main__":
    main()
