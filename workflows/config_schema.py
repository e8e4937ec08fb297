"""The keys of a workflow `config` (SPEC sections 4 and 5): run-level keys, which a run may set
for one case, and definition keys, which set the rules of every case of a definition and are
refused in a run."""

from jsonschema import Draft202012Validator, FormatChecker

from webhooks.models import WebhookEvent

_EVENT_NAME = {"type": "string", "minLength": 1, "maxLength": 200}
_EVENT_LIST = {"type": "array", "items": _EVENT_NAME, "uniqueItems": True, "maxItems": 200}

RUN_CONFIG_PROPERTIES = {
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
    "uiOptions": {"type": "object"},
    # Ballerine's flags, kept so that its run requests pass as they are.
    "workflowLevelResolution": {"type": "boolean"},
    "isCaseOverviewEnabled": {"type": "boolean"},
    "isLegacyReject": {"type": "boolean"},
    "createCollectionFlowToken": {"type": "boolean"},
}

DEFINITION_CONFIG_PROPERTIES = {
    "enableManualCreation": {"type": "boolean"},
    "decisionReasons": {
        "type": "object",
        "maxProperties": 200,
        "additionalProperties": {
            "type": "array",
            "maxItems": 50,
            "uniqueItems": True,
            "items": {"type": "string", "minLength": 1, "maxLength": 200},
        },
    },
    "requireDecisionReasons": {"type": "boolean"},
    # The document types Add Case Manually offers files for (SPEC section 11), as in Ballerine.
    "availableDocuments": {
        "type": "array",
        "maxItems": 50,
        "items": {
            "type": "object",
            "required": ["category", "type"],
            "properties": {"category": {"type": "string", "minLength": 1, "maxLength": 100}, "type": {"type": "string", "minLength": 1, "maxLength": 100}},
        },
    },
    # Ballerine's: completes a case outside any final state. Accepted with a warning, no effect.
    "completedWhenTasksResolved": {"type": "boolean"},
    "operatorEvents": _EVENT_LIST,
    "systemEvents": _EVENT_LIST,
    "slaHours": {"type": "number", "exclusiveMinimum": 0, "maximum": 100_000},
    "fourEyes": {
        "type": "object",
        "required": ["events"],
        "additionalProperties": False,
        "properties": {
            "events": {**_EVENT_LIST, "minItems": 1},
            "role": {"enum": ["operator", "admin"]},
        },
    },
    "childCallbackResults": {
        "type": "array",
        "maxItems": 50,
        "items": {
            "type": "object",
            "required": ["definitionId"],
            "additionalProperties": False,
            "properties": {
                "definitionId": {"type": "string", "minLength": 1},
                "persistenceStates": {"type": "array", "items": {"type": "string", "minLength": 1}},
                "transformers": {"type": "array"},
                "deliverEvent": _EVENT_NAME,
            },
        },
    },
}

RUN_CONFIG_KEYS = tuple(RUN_CONFIG_PROPERTIES)
DEFINITION_CONFIG_KEYS = tuple(DEFINITION_CONFIG_PROPERTIES)

RUN_CONFIG_SCHEMA = {"type": "object", "additionalProperties": False, "properties": RUN_CONFIG_PROPERTIES}
DEFINITION_CONFIG_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {**RUN_CONFIG_PROPERTIES, **DEFINITION_CONFIG_PROPERTIES},
}

run_config_validator = Draft202012Validator(RUN_CONFIG_SCHEMA, format_checker=FormatChecker())
definition_config_validator = Draft202012Validator(DEFINITION_CONFIG_SCHEMA, format_checker=FormatChecker())


def definition_key_in_run_message(key: str) -> str:
    return (
        f"'{key}' sets the rules of the workflow definition and cannot be set for one run "
        "(change the definition instead)."
    )


def statechart_event_names(statechart) -> set[str]:
    """Every event some state of the statechart handles."""
    states = statechart.get("states") if isinstance(statechart, dict) else None
    names = set()
    for state in (states or {}).values() if isinstance(states, dict) else []:
        handled = state.get("on") if isinstance(state, dict) else None
        if isinstance(handled, dict):
            names.update(handled)
    return names


DOCUMENT_DECISION_WORDS = ("reject", "revision")


def config_reference_errors(config, statechart, root="config") -> list[tuple[str, str]]:
    """Events named by the console rules that no state of the statechart handles, as
    (path, message) pairs."""
    if not isinstance(config, dict) or not isinstance(statechart, dict):
        return []
    known = statechart_event_names(statechart)
    problems = []

    def check(path, name):
        if isinstance(name, str) and name and name not in known:
            problems.append((path, f"No state handles the event '{name}'."))

    for key in ("operatorEvents", "systemEvents"):
        values = config.get(key)
        for index, name in enumerate(values if isinstance(values, list) else []):
            check(f"{root}.{key}[{index}]", name)
    four_eyes = config.get("fourEyes")
    events = four_eyes.get("events") if isinstance(four_eyes, dict) else None
    for index, name in enumerate(events if isinstance(events, list) else []):
        check(f"{root}.fourEyes.events[{index}]", name)
    reasons = config.get("decisionReasons")
    for name in reasons if isinstance(reasons, dict) else {}:
        # `reject` and `revision` are also the reasons of per-document decisions (SPEC 11).
        if name not in known and name not in DOCUMENT_DECISION_WORDS:
            problems.append((f"{root}.decisionReasons.{name}", f"No state handles the event '{name}'."))
    return problems
