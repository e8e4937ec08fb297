"""JSON Schema of the supported statechart format (a flat subset of XState v4 machine JSON)."""

from __future__ import annotations

__all__ = ["STATECHART_SCHEMA", "UNSUPPORTED_ROOT_KEYS", "STATE_KEYS"]

# Keys that would make XState behave in ways the engine does not model; extra keys that only
# describe the machine (id, predictableActionArguments, context, description, ...) are allowed.
UNSUPPORTED_ROOT_KEYS = ("on", "always", "after", "invoke", "entry", "exit", "activities", "type", "tags", "history")
STATE_KEYS = ("tags", "meta", "on", "always", "type", "description", "displayName", "id")

_TRANSITION_OBJECT = {
    "type": "object",
    "properties": {
        "target": {"type": "string", "minLength": 1},
        "cond": {"$ref": "#/$defs/guard"},
        "description": {"type": "string"},
        # Shown instead of the event name on the pages (Ballerine's back office reads them too).
        "displayName": {"type": "string"},
        "meta": {"type": "object"},
    },
    "additionalProperties": False,
}

STATECHART_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "urn:casework:statechart",
    "title": "Workflow statechart",
    "type": "object",
    "required": ["initial", "states"],
    "properties": {
        "id": {"type": "string"},
        "initial": {"type": "string", "minLength": 1},
        "states": {
            "type": "object",
            "minProperties": 1,
            # "." is XState's path delimiter and a leading "#" marks a state id in targets.
            "propertyNames": {"pattern": "^[^.#][^.]*$"},
            "additionalProperties": {"$ref": "#/$defs/state"},
        },
        # {"not": {}} rather than false: jsonschema drops the key from a false schema's error path.
        **{key: {"not": {}} for key in UNSUPPORTED_ROOT_KEYS},
    },
    "$defs": {
        "state": {
            "type": "object",
            "properties": {
                "type": {"enum": ["atomic", "final"]},
                "tags": {
                    "if": {"type": "array"},
                    "then": {"items": {"type": "string"}},
                    "else": {"type": "string"},
                },
                "meta": {"type": "object"},
                "description": {"type": "string"},
                "displayName": {"type": "string"},
                "id": {"type": "string"},
                # "" is XState's eventless event and "*" its wildcard: neither is an event name here.
                "on": {
                    "type": "object",
                    "propertyNames": {"not": {"enum": ["", "*"]}},
                    "additionalProperties": {"$ref": "#/$defs/transitions"},
                },
                "always": {"$ref": "#/$defs/transitions"},
            },
            "additionalProperties": False,
        },
        "transitions": {
            "if": {"type": "array"},
            "then": {"items": {"$ref": "#/$defs/transition"}},
            "else": {"$ref": "#/$defs/transition"},
        },
        "transition": {
            "if": {"type": "string"},
            "then": {"minLength": 1},
            "else": _TRANSITION_OBJECT,
        },
        "guard": {
            "type": "object",
            "required": ["type", "options"],
            "properties": {
                "type": {"type": "string"},
                "options": {"type": "object", "required": ["rule"]},
            },
        },
    },
}
