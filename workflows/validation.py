"""Validation of what callers send: the run input (SPEC section 4, step 2) and definitions."""

import json
from collections.abc import Iterable
from functools import lru_cache

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError as SchemaError
from jsonschema.validators import validator_for

from webhooks.models import WebhookEvent
from outbound.targets import url_problem, url_shape_problem

from . import engine
from .config_schema import (
    DEFINITION_CONFIG_KEYS,
    RUN_CONFIG_KEYS,
    RUN_CONFIG_SCHEMA,
    config_reference_errors,
    definition_config_validator,
    definition_key_in_run_message,
    run_config_validator,
)
from .engine.plugins import plugin_declaration_problems
from .errors import FieldError, ValidationFailed
from .json_values import json_value_errors
from .models import EntityKind

# The run-level keys; definitions may also carry the definition keys (workflows.config_schema).
CONFIG_SCHEMA = RUN_CONFIG_SCHEMA
CONFIG_KEYS = RUN_CONFIG_KEYS

REQUIRED_ENTITY_FIELDS = {
    EntityKind.BUSINESS: ("companyName",),
    EntityKind.INDIVIDUAL: ("firstName", "lastName"),
}


def json_path(root: str, parts: Iterable) -> str:
    path = root
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _schema_error_path(root: str, error: SchemaError) -> str:
    parts = list(error.absolute_path)
    if error.validator == "required":
        missing = [n for n in error.validator_value if f"{n!r} is a required" in error.message]
        parts += missing[:1]
    elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in allowed]
        parts += extra[:1]
    return json_path(root, parts)


TYPE_WORDS = {
    "string": "a string",
    "object": "an object",
    "array": "a list",
    "number": "a number",
    "integer": "an integer",
    "boolean": "true or false",
    "null": "null",
}


def _json_words(values) -> str:
    return ", ".join(json.dumps(value, ensure_ascii=False) for value in values)


def schema_message(error: SchemaError) -> str:
    """A JSON Schema failure in the words of the API's own checks ("This field is required.",
    "Must be a string."), so one response never mixes two styles."""
    value = error.validator_value
    if error.validator == "required":
        return "This field is required."
    if error.validator == "type":
        types = [value] if isinstance(value, str) else list(value)
        return "Must be " + " or ".join(TYPE_WORDS.get(t, str(t)) for t in types) + "."
    if error.validator == "minLength" and value == 1:
        return "This field is required (a non-empty string)."
    messages = {
        "const": lambda: f"Must be {_json_words([value])}.",
        "enum": lambda: f"Must be one of: {_json_words(value)}.",
        "minLength": lambda: f"At least {value} characters.",
        "maxLength": lambda: f"At most {value} characters.",
        "minimum": lambda: f"Must be at least {value}.",
        "maximum": lambda: f"Must be at most {value}.",
        "exclusiveMinimum": lambda: f"Must be more than {value}.",
        "exclusiveMaximum": lambda: f"Must be less than {value}.",
        "minItems": lambda: f"At least {value} item(s).",
        "maxItems": lambda: f"At most {value} item(s).",
        "pattern": lambda: f"Must match the pattern {value}.",
        "format": lambda: f"Must be a valid {value}.",
        "additionalProperties": lambda: "This field is not allowed here.",
    }
    return messages[error.validator]() if error.validator in messages else error.message


def schema_errors(validator, instance, root: str) -> list[FieldError]:
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    return [FieldError(_schema_error_path(root, e), schema_message(e)) for e in errors]


def schema_entity_kinds(context_schema) -> set[str] | None:
    """The entity kinds a context schema accepts (`properties.entity.properties.type` as
    `const` or `enum`), or None when it does not say."""
    try:
        type_schema = context_schema["properties"]["entity"]["properties"]["type"]
    except (KeyError, TypeError):
        return None
    if not isinstance(type_schema, dict):
        return None
    if "const" in type_schema:
        allowed = [type_schema["const"]]
    elif isinstance(type_schema.get("enum"), list):
        allowed = type_schema["enum"]
    else:
        return None
    return {kind for kind in allowed if kind in EntityKind.values}


def schema_validator(schema: dict):
    """A validator for a context/input schema, checking `format` (email, date, ...) too."""
    return _validator_for_json(json.dumps(schema, sort_keys=True))


@lru_cache(maxsize=256)
def _validator_for_json(schema_json: str):
    # Building a validator (and its format checker) costs more than most validations; a
    # schema's JSON text identifies it, so a version edited in place gets a new validator.
    schema = json.loads(schema_json)
    cls = validator_for(schema, default=Draft202012Validator)
    return cls(schema, format_checker=FormatChecker())


def config_errors(config, root="config", *, definition: bool = False, project=None) -> list[FieldError]:
    """A run's config may carry run-level keys only; a definition's also its own rules
    (`decisionReasons`, `fourEyes`, ...). A run naming a definition key is told so by name."""
    if config is None:
        return []
    if not isinstance(config, dict):
        return [FieldError(root, "Must be an object.")]
    if definition:
        errors = schema_errors(definition_config_validator, config, root)
    else:
        rules = [key for key in config if key in DEFINITION_CONFIG_KEYS]
        errors = [FieldError(f"{root}.{key}", definition_key_in_run_message(key)) for key in rules]
        errors += [
            error
            for error in schema_errors(run_config_validator, {k: v for k, v in config.items() if k not in rules}, root)
        ]
    subscriptions = config.get("subscriptions")
    for index, subscription in enumerate(subscriptions if isinstance(subscriptions, list) else []):
        url = subscription.get("url") if isinstance(subscription, dict) else None
        problem = url_problem(url, project) if isinstance(url, str) and url else None
        if problem:
            errors.append(FieldError(f"{root}.subscriptions[{index}].url", problem))
    return errors


KIND_PLURALS = {EntityKind.BUSINESS: "businesses", EntityKind.INDIVIDUAL: "individuals"}


def entity_kind_mismatch(context, context_schema) -> FieldError | None:
    """The entity is of a kind the workflow does not take: reported alone, before anything
    that depends on the kind (a business's `companyName`, a person's names)."""
    entity = context.get("entity") if isinstance(context, dict) else None
    kind = entity.get("type") if isinstance(entity, dict) else None
    allowed = schema_entity_kinds(context_schema) if context_schema else None
    if kind not in EntityKind.values or not allowed or kind in allowed:
        return None
    takes = " and ".join(KIND_PLURALS[EntityKind(k)] for k in sorted(allowed))
    return FieldError("context.entity.type", f"This workflow takes {takes}, not {KIND_PLURALS[EntityKind(kind)]}.")


def entity_errors(context, context_schema=None) -> list[FieldError]:
    errors: list[FieldError] = []
    entity = context.get("entity")
    if not isinstance(entity, dict):
        return [FieldError("context.entity", "This field is required and must be an object.")]
    kind = entity.get("type")
    mismatch = entity_kind_mismatch(context, context_schema)
    if mismatch:
        errors.append(mismatch)
        kind = None  # nothing below that depends on the kind applies
    elif kind not in EntityKind.values:
        errors.append(FieldError("context.entity.type", "Must be 'business' or 'individual'."))
    entity_id = entity.get("id")
    if not isinstance(entity_id, str) or not entity_id.strip():
        errors.append(FieldError("context.entity.id", "This field is required (a non-empty string)."))
    elif len(entity_id) > 255:
        errors.append(FieldError("context.entity.id", "At most 255 characters."))
    data = entity.get("data")
    if not isinstance(data, dict):
        errors.append(FieldError("context.entity.data", "This field is required and must be an object."))
    elif kind in EntityKind.values:
        for name in REQUIRED_ENTITY_FIELDS[EntityKind(kind)]:
            value = data.get(name)
            if not isinstance(value, str) or not value.strip():
                errors.append(
                    FieldError(f"context.entity.data.{name}", "This field is required (a non-empty string).")
                )
    return errors


def run_input_errors(*, context, config, context_schema, project=None) -> list[FieldError]:
    """Every problem with a run's context and config, each with its path (subscription URLs
    with `project`'s allow-list of private targets)."""
    if not isinstance(context, dict):
        return [FieldError("context", "This field is required and must be an object.")]
    unstorable = json_value_errors(context, "context") + json_value_errors(config, "config")
    if unstorable:
        return unstorable  # the checks below assume values they can walk and store
    errors = entity_errors(context, context_schema)
    if "documents" in context and not isinstance(context["documents"], list):
        errors.append(FieldError("context.documents", "Must be a list."))
    if context_schema:
        errors += _schema_errors_not_reported(context, context_schema, errors)
    errors += config_errors(config, project=project)
    return errors


def validate_run_input(*, context, config, context_schema, project=None) -> None:
    errors = run_input_errors(context=context, config=config, context_schema=context_schema, project=project)
    if errors:
        raise ValidationFailed(errors)


def _schema_errors_not_reported(context, context_schema, reported: list[FieldError]) -> list[FieldError]:
    """The context schema's errors, leaving out fields already explained and, when the entity
    is of the wrong kind, everything about the entity (it was checked as the other kind)."""
    paths = {error.path for error in reported}
    wrong_kind = any(error.path == "context.entity.type" for error in reported)
    return [
        error
        for error in schema_errors(schema_validator(context_schema), context, "context")
        if error.path not in paths and not (wrong_kind and error.path.startswith("context.entity"))
    ]


def context_errors(context, context_schema) -> list[FieldError]:
    if not isinstance(context, dict):
        return [FieldError("context", "Must be an object.")]
    if not context_schema:
        return []
    mismatch = entity_kind_mismatch(context, context_schema)
    return ([mismatch] if mismatch else []) + _schema_errors_not_reported(context, context_schema, [mismatch] if mismatch else [])


def definition_errors(*, statechart, context_schema, config, extensions=None) -> list[FieldError]:
    """Everything wrong with a definition version, each problem with its path."""
    unstorable = (
        json_value_errors(statechart, "statechart")
        + json_value_errors(context_schema, "contextSchema")
        + json_value_errors(config, "config")
        + json_value_errors(extensions, "extensions")
    )
    if unstorable:
        return unstorable
    errors = [
        FieldError(p.path, p.message)
        for p in engine.validate_definition(statechart, context_schema or None)
    ]
    errors += config_errors(config, root="config", definition=True)
    errors += [FieldError(path, message) for path, message in config_reference_errors(config, statechart)]
    if extensions is not None and not isinstance(extensions, dict):
        errors.append(FieldError("extensions", "Must be an object."))
    errors += [
        FieldError(p.path, p.message)
        for p in plugin_declaration_problems(extensions, statechart, url_check=url_shape_problem)
    ]
    if isinstance(config, dict) and isinstance(statechart, dict):
        initial_event = config.get("initialEvent")
        states = statechart.get("states")
        initial = statechart.get("initial")
        if isinstance(initial_event, str) and isinstance(states, dict) and initial in states:
            handled = (states[initial] or {}).get("on") or {}
            if isinstance(handled, dict) and initial_event not in handled:
                errors.append(
                    FieldError(
                        "config.initialEvent",
                        f"The initial state '{initial}' does not handle '{initial_event}'.",
                    )
                )
    return errors


def definition_warnings(config) -> list[str]:
    """What is accepted in a definition but does nothing here, said when it is saved."""
    warnings = []
    if isinstance(config, dict) and config.get("completedWhenTasksResolved"):
        warnings.append(
            "config.completedWhenTasksResolved has no effect here (Ballerine completes the case outside any "
            "final state): move to a final state with an `always` transition guarded on the documents' "
            "decisions instead."
        )
    return warnings
