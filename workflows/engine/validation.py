"""validate_definition(): every problem in a statechart (and its context schema), with paths."""

from __future__ import annotations

from typing import Iterator

import jsonschema
from jsonschema.validators import validator_for

from .errors import Problem
from .guards import guard_problems
from .schema import STATE_KEYS, STATECHART_SCHEMA

__all__ = ["validate_definition", "json_schema_problems", "iter_transitions", "format_path"]

_STATECHART_VALIDATOR = jsonschema.Draft202012Validator(STATECHART_SCHEMA)


def format_path(root: str, parts) -> str:
    path = root
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def validate_definition(statechart, context_schema=None) -> list[Problem]:
    """All problems found; [] when the definition is usable. Never raises."""
    try:
        problems = _statechart_problems(statechart)
    except Exception as exc:  # garbage in must still come back as a problem, not a traceback
        problems = [Problem("statechart", f"could not be validated: {exc!r}")]
    if context_schema is not None and context_schema != {}:
        try:
            problems += json_schema_problems(context_schema, "contextSchema")
        except Exception as exc:
            problems.append(Problem("contextSchema", f"could not be validated: {exc!r}"))
    return problems


def json_schema_problems(schema, path: str) -> list[Problem]:
    """Problems with `schema` as a JSON Schema (checked against its own metaschema)."""
    if not isinstance(schema, (dict, bool)):
        return [Problem(path, "must be a JSON Schema (an object)")]
    try:
        cls = validator_for(schema, default=jsonschema.Draft202012Validator)
    except Exception:
        return [Problem(f"{path}.$schema", "unknown $schema")]
    meta = cls(cls.META_SCHEMA, format_checker=cls.FORMAT_CHECKER)
    errors = sorted(meta.iter_errors(schema), key=lambda error: [str(part) for part in error.absolute_path])
    return [Problem(format_path(path, error.absolute_path), error.message) for error in errors]


def _schema_error_problems(error) -> list[Problem]:
    path = format_path("statechart", error.absolute_path)
    if error.validator == "not" and error.validator_value == {}:
        return [Problem(path, "unsupported key (flat XState states only; no actions, services or root transitions)")]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = error.schema.get("properties", {})
        return [
            Problem(f"{path}.{key}", f"unsupported key {key!r}" + (f"; allowed: {', '.join(STATE_KEYS)}" if "tags" in allowed else ""))
            for key in error.instance
            if key not in allowed
        ]
    if error.validator == "propertyNames" or (error.validator == "pattern" and error.schema.get("pattern", "").startswith("^[^.#]")):
        return [Problem(path, f"invalid name: {error.message}")]
    return [Problem(path, error.message)]


def iter_transitions(value, path: str) -> Iterator[tuple[str, dict, str]]:
    """(entry path, {target?, cond?}, target path) for each string/object entry of an `on`/`always` value."""
    entries = [(f"{path}[{index}]", item) for index, item in enumerate(value)] if isinstance(value, list) else [(path, value)]
    for entry_path, entry in entries:
        if isinstance(entry, str):
            yield entry_path, {"target": entry}, entry_path
        elif isinstance(entry, dict):
            yield entry_path, entry, f"{entry_path}.target"


def _statechart_problems(statechart) -> list[Problem]:
    if not isinstance(statechart, dict):
        return [Problem("statechart", "must be a JSON object with `initial` and `states`")]
    problems: list[Problem] = []
    errors = sorted(_STATECHART_VALIDATOR.iter_errors(statechart), key=lambda e: [str(p) for p in e.absolute_path])
    for error in errors:
        problems += _schema_error_problems(error)

    states = statechart.get("states")
    states = states if isinstance(states, dict) else {}
    initial = statechart.get("initial")
    if isinstance(initial, str) and states and initial not in states:
        problems.append(Problem("statechart.initial", f"unknown state {initial!r}"))

    for name, state in states.items():
        if not isinstance(state, dict):
            continue
        state_path = f"statechart.states.{name}"
        on = state.get("on")
        groups = [(f"{state_path}.on.{event}", value) for event, value in on.items()] if isinstance(on, dict) else []
        if "always" in state:
            groups.append((f"{state_path}.always", state["always"]))
        for group_path, value in groups:
            for entry_path, entry, target_path in iter_transitions(value, group_path):
                target = entry.get("target")
                if isinstance(target, str) and target and target not in states:
                    problems.append(Problem(target_path, f"unknown target state {target!r}"))
                cond = entry.get("cond")
                if _is_well_formed_guard(cond):
                    problems += guard_problems(cond, f"{entry_path}.cond")

    if isinstance(initial, str) and isinstance(states.get(initial), dict):
        problems += _input_schema_problems(states[initial], f"statechart.states.{initial}")
    problems += _always_cycle_problems(states)
    return problems


def _is_well_formed_guard(cond) -> bool:
    # Malformed guards are already reported by the schema; do not report them twice.
    return (
        isinstance(cond, dict)
        and isinstance(cond.get("type"), str)
        and isinstance(cond.get("options"), dict)
        and "rule" in cond["options"]
    )


def _input_schema_problems(state: dict, state_path: str) -> list[Problem]:
    meta = state.get("meta")
    if not isinstance(meta, dict) or "inputSchema" not in meta:
        return []
    path = f"{state_path}.meta.inputSchema"
    input_schema = meta["inputSchema"]
    if not isinstance(input_schema, dict):
        return [Problem(path, "must be an object {dataSchema, uiSchema?}")]
    problems = []
    if "dataSchema" not in input_schema:
        problems.append(Problem(f"{path}.dataSchema", "is required"))
    else:
        problems += json_schema_problems(input_schema["dataSchema"], f"{path}.dataSchema")
    if "uiSchema" in input_schema and not isinstance(input_schema["uiSchema"], dict):
        problems.append(Problem(f"{path}.uiSchema", "must be an object"))
    return problems


def _unconditional_always_successor(name: str, state: dict, states: dict):
    """Where the first guard-free `always` entry leads (itself if targetless), or None."""
    for _, entry, _ in iter_transitions(state.get("always", []), ""):
        if entry.get("cond") is None:
            target = entry.get("target")
            if target is None:
                return name
            return target if isinstance(target, str) and target in states else None
    return None


def _always_cycle_problems(states: dict) -> list[Problem]:
    successor = {}
    for name, state in states.items():
        if isinstance(state, dict) and state.get("type") != "final" and "always" in state:
            nxt = _unconditional_always_successor(name, state, states)
            if nxt is not None:
                successor[name] = nxt
    order = {name: index for index, name in enumerate(states)}
    reported: set[frozenset] = set()
    problems = []
    for start in states:
        seen: list[str] = []
        node = start
        while node in successor and node not in seen:
            seen.append(node)
            node = successor[node]
        if node not in seen:
            continue
        cycle = seen[seen.index(node):]
        if frozenset(cycle) in reported:
            continue
        reported.add(frozenset(cycle))
        first = min(cycle, key=order.__getitem__)
        rotated = cycle[cycle.index(first):] + cycle[: cycle.index(first)]
        loop = " -> ".join(rotated + [first])
        problems.append(
            Problem(f"statechart.states.{first}.always", f"always transitions without a guard loop forever: {loop}")
        )
    return problems
