"""simulate(): run a scenario without a database, snapshot after start and after each event."""

from __future__ import annotations

from .errors import Problem, ScenarioError
from .machine import Machine, StepResult

__all__ = ["simulate", "scenario_problems"]


def scenario_problems(scenario) -> list[Problem]:
    """Shape problems of {"definition", "context"?, "events"?}; the definition itself is checked by Machine."""
    if not isinstance(scenario, dict):
        return [Problem("scenario", 'must be an object {"definition", "context", "events"}')]
    problems = []
    if "definition" not in scenario:
        problems.append(Problem("scenario.definition", "is required"))
    if scenario.get("context") is not None and not isinstance(scenario["context"], dict):
        problems.append(Problem("scenario.context", "must be an object"))
    events = scenario.get("events")
    if events is None:
        return problems
    if not isinstance(events, list):
        return problems + [Problem("scenario.events", "must be a list")]
    for index, event in enumerate(events):
        path = f"scenario.events[{index}]"
        if not isinstance(event, dict):
            problems.append(Problem(path, 'must be an object {"name", "payload"?}'))
            continue
        if not isinstance(event.get("name"), str) or not event["name"]:
            problems.append(Problem(f"{path}.name", "must be a non-empty string"))
        if event.get("payload") is not None and not isinstance(event["payload"], dict):
            problems.append(Problem(f"{path}.payload", "must be an object"))
    return problems


def _snapshot(event_name, result: StepResult) -> dict:
    return {
        "event": event_name,
        "state": result.state,
        "status": result.status,
        "tags": result.tags,
        "nextEvents": result.next_events,
    }


def simulate(scenario: dict) -> list[dict]:
    """Raises ScenarioError/DefinitionError for a bad scenario and EngineError subclasses at run time."""
    problems = scenario_problems(scenario)
    if problems:
        raise ScenarioError(problems)
    machine = Machine(scenario["definition"])
    result = machine.start(scenario.get("context") or {})
    snapshots = [_snapshot(None, result)]
    for event in scenario.get("events") or []:
        result = machine.send(result.state, result.context, event["name"], event.get("payload"))
        snapshots.append(_snapshot(event["name"], result))
    return snapshots
