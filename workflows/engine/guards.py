"""Transition guards: `{"type": "json-logic" | "jmespath", "options": {"rule": ...}}`."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

from . import jmespath_js, jsonlogic
from .errors import GuardError, Problem
from .js import truthy

__all__ = ["GUARD_TYPES", "Guard", "guard_problems", "compile_guard"]

GUARD_TYPES = ("json-logic", "jmespath")


@dataclass(frozen=True)
class Guard:
    type: str
    rule: Any
    _compiled: Any = field(default=None, repr=False, compare=False)  # a function of the data

    def evaluate(self, data: dict):
        """The rule's raw result, as json-logic-js / jmespath.js would return it."""
        try:
            return self._compiled(data)
        except (jsonlogic.JsonLogicError, jmespath_js.JmespathError, RecursionError) as exc:
            raise GuardError(f"{self.type} guard failed: {exc}") from exc

    def passes(self, data: dict) -> bool:
        # XState takes the guard's return value as is, so JavaScript truthiness decides ([] passes).
        return truthy(self.evaluate(data))


def guard_problems(cond, path: str) -> list[Problem]:
    """Why `cond` cannot be compiled; [] when it can. Never raises."""
    if not isinstance(cond, dict):
        return [Problem(path, "a guard must be an object {type, options: {rule}}")]
    guard_type = cond.get("type")
    if guard_type not in GUARD_TYPES:
        return [Problem(f"{path}.type", f"unknown guard type {guard_type!r}; expected one of {', '.join(GUARD_TYPES)}")]
    options = cond.get("options")
    if not isinstance(options, dict) or "rule" not in options:
        return [Problem(f"{path}.options", "a guard needs options.rule")]
    rule = options["rule"]
    rule_path = f"{path}.options.rule"
    if guard_type == "json-logic":
        try:
            unknown = jsonlogic.unknown_operators(rule)
        except RecursionError:
            return [Problem(rule_path, "json-logic rule is nested too deeply")]
        return [Problem(rule_path, f"unknown json-logic operator {op!r}") for op in unknown]
    if not isinstance(rule, str):
        return [Problem(rule_path, "a jmespath rule must be a string")]
    try:
        compiled = jmespath_js.compile_expression(rule)
    except Exception as exc:  # the parser raises several exception types
        detail = " ".join(line.strip() for line in str(exc).splitlines() if line.strip() not in ("", "^"))
        return [Problem(rule_path, f"jmespath expression does not compile: {detail}")]
    problems = [Problem(rule_path, message) for message in jmespath_js.js_parser_problems(rule)]
    return problems + [
        Problem(rule_path, f"unknown jmespath function {name}()") for name in jmespath_js.unknown_functions(compiled)
    ]


def compile_guard(cond) -> Guard:
    """A ready-to-evaluate Guard; ValueError if guard_problems() finds anything."""
    problems = guard_problems(cond, "cond")
    if problems:
        raise ValueError(problems[0].message)
    rule = cond["options"]["rule"]
    if cond["type"] == "jmespath":
        compiled = partial(jmespath_js.search, jmespath_js.compile_expression(rule))
    else:
        compiled = jsonlogic.compile_rule(rule)
    return Guard(cond["type"], rule, compiled)
