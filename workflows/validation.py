"""Validation of what callers send: the run input (SPEC section 4, step 2) and definitions."""

import json
from collections.abc import Iterable
from functools import lru_cache

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError as SchemaError
from jsonschema.validators import validator_for

from webhooks.models import WebhookEvent
from webhooks.targets import url_problem

from . import engine
from .errors import FieldError, ValidationFailed
from .json_values import json_value_errors
from .models import EntityKind

CONFIG_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "subscriptions": {
            "type": "array",
            "maxItems": 10,
            "items": {
                "type": "object",
                "required": ["type", "url", "events"],
                "additionalProperties": False,
                "properties": {
                    "type": {"const": "webhook"},
                    "url": {"type": "string", "minLength": 1, "maxLength": 2000},
                    "events": {"type": "array", "items": {"enum": WebhookEvent.values}},
                },
            },
        },
        "initialEvent": {"type": "string", "minLength": 1},
        "allowMultipleActiveWorkflows": {"type": "boolean"},
        "language": {"type": "string", "minLength": 2, "maxLength": 16},
        "enableManualCreation": {"type": "boolean"},
        "workflowLevelResolution": {"type": "boolean"},
        "isCaseOverviewEnabled": {"type": "boolean"},
        "isLegacyReject": {"type": "boolean"},
        "createCollectionFlowToken": {"type": "boolean"},
    },
}
CONFIG_KEYS = tuple(CONFIG_SCHEMA["properties"])
_config_validator = Draft202012Validator(CONFIG_SCHEMA, format_checker=FormatChecker())

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


def schema_errors(validator, instance, root: str) -> list[FieldError]:
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    return [FieldError(_schema_error_path(root, e), e.message) for e in errors]


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


def config_errors(config, root="config") -> list[FieldError]:
    if config is None:
        return []
    if not isinstance(config, dict):
        return [FieldError(root, "Must be an object.")]
    errors = schema_errors(_config_validator, config, root)
    subscriptions = config.get("subscriptions")
    for index, subscription in enumerate(subscriptions if isinstance(subscriptions, list) else []):
        url = subscription.get("url") if isinstance(subscription, dict) else None
        problem = url_problem(url) if isinstance(url, str) and url else None
        if problem:
            errors.append(FieldError(f"{root}.subscriptions[{index}].url", problem))
    return errors


def entity_errors(context) -> list[FieldError]:
    errors: list[FieldError] = []
    entity = context.get("entity")
    if not isinstance(entity, dict):
        return [FieldError("context.entity", "This field is required and must be an object.")]
    kind = entity.get("type")
    if kind not in EntityKind.values:
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


def run_input_errors(*, context, config, context_schema) -> list[FieldError]:
    """Every problem with a run's context and config, each with its path."""
    if not isinstance(context, dict):
        return [FieldError("context", "This field is required and must be an object.")]
    unstorable = json_value_errors(context, "context") + json_value_errors(config, "config")
    if unstorable:
        return unstorable  # the checks below assume values they can walk and store
    errors = entity_errors(context)
    if "documents" in context and not isinstance(context["documents"], list):
        errors.append(FieldError("context.documents", "Must be a list."))
    if context_schema:
        # One message per field: the built-in checks above already explain theirs.
        reported = {error.path for error in errors}
        errors += [e for e in schema_errors(schema_validator(context_schema), context, "context") if e.path not in reported]
    errors += config_errors(config)
    return errors


def validate_run_input(*, context, config, context_schema) -> None:
    errors = run_input_errors(context=context, config=config, context_schema=context_schema)
    if errors:
        raise ValidationFailed(errors)


def context_errors(context, context_schema) -> list[FieldError]:
    if not isinstance(context, dict):
        return [FieldError("context", "Must be an object.")]
    if not context_schema:
        return []
    return schema_errors(schema_validator(context_schema), context, "context")


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
    errors += config_errors(config, root="config")
    if extensions is not None and not isinstance(extensions, dict):
        errors.append(FieldError("extensions", "Must be an object."))
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
