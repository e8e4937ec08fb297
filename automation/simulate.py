"""A dry run of an automated flow (SPEC sections 3 and 10): the engine's scenario, plus the
version's `extensions` and a stand-in answer for each plugin, so no request is sent.
Pure: no Django, no I/O.

The outcomes are applied as automation/services.py applies them, in the worker's order:
the plugins of a resting state run one after the other; a success persists the (transformed,
schema-checked) response and sends `successAction`, a failure records the error and sends
`errorAction`, a plugin with neither action is fire-and-forget. An action that moves the case
is a new entry: its state's plugins run, and the old entry's remaining ones are stale.

What is not simulated: requests (their transforms, placeholders and schemas), the context
schema, and retries. Transformer and iterateOn chains run for real: they only read the context.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field

from workflows.engine.errors import EngineError, Problem, ScenarioError
from workflows.engine.machine import Machine
from workflows.engine.plugins import plugin_declaration_problems
from workflows.engine.simulate import scenario_problems as engine_scenario_problems

from . import requests as plugin_requests
from .declarations import API, COMMON, is_fire_and_forget, plugin_declaration, plugins_for_state
from .transforms import now_milliseconds

__all__ = ["MAX_PLUGIN_RUNS", "PluginLoopError", "automation_scenario", "scenario_problems", "simulate"]

# Per step: enough for any real chain, small enough to stop actions that bounce between states.
MAX_PLUGIN_RUNS = 100
RUNTIME_ID = "simulated-workflow"
SUCCESS, ERROR, NOT_SIMULATED, FIRE_AND_FORGET, STALE = "success", "error", "not simulated", "fire-and-forget", "stale"
STAND_IN_KEYS = ("response", "error")


class PluginLoopError(EngineError):
    """The plugins' actions keep moving the case between automated states."""


def automation_scenario(scenario) -> bool:
    """Whether the scenario asks for plugins (else the engine's own simulate runs it, and its
    output stays as it was)."""
    return isinstance(scenario, dict) and ("extensions" in scenario or "plugins" in scenario)


def scenario_problems(scenario) -> list[Problem]:
    """Shape problems of the scenario, `extensions` and `plugins` included. The statechart and
    the plugin declarations are checked once it has a usable shape (see simulate)."""
    problems = engine_scenario_problems(scenario)
    if not isinstance(scenario, dict):
        return problems
    now = scenario.get("now")
    if "now" in scenario and (not isinstance(now, int) or isinstance(now, bool)):
        problems.append(Problem("scenario.now", "must be an integer (milliseconds since the epoch)"))
    extensions = scenario.get("extensions")
    if "extensions" in scenario and not isinstance(extensions, dict):
        problems.append(Problem("scenario.extensions", "must be an object (the version's extensions)"))
        extensions = None
    stand_ins = scenario.get("plugins")
    if "plugins" not in scenario:
        return problems
    if not isinstance(stand_ins, dict):
        return problems + [Problem("scenario.plugins", 'must be an object {"<plugin name>": {"response": ...} | {"error": "..."}}')]
    for name, stand_in in stand_ins.items():
        problems += _stand_in_problems(name, stand_in, extensions)
    return problems


def _stand_in_problems(name: str, stand_in, extensions) -> list[Problem]:
    path = f"scenario.plugins.{name}"
    if not isinstance(stand_in, dict):
        return [Problem(path, 'must be an object: {"response": <the vendor\'s JSON>} or {"error": "<message>"}')]
    problems = []
    given = [key for key in STAND_IN_KEYS if key in stand_in]
    if len(given) != 1:
        problems.append(Problem(path, 'must have exactly one of "response" and "error"'))
    problems += [
        Problem(f"{path}.{key}", 'is not a stand-in key; use "response" or "error"') for key in stand_in if key not in STAND_IN_KEYS
    ]
    if "error" in stand_in and (not isinstance(stand_in["error"], str) or not stand_in["error"]):
        problems.append(Problem(f"{path}.error", "must be a non-empty string (the run's error message)"))
    found = plugin_declaration(extensions if isinstance(extensions, dict) else {}, name)
    if found is None:
        problems.append(Problem(path, f"the scenario's extensions declare no plugin '{name}'"))
    elif found[0] == COMMON:
        plugin = found[1]
        if plugin.get("pluginKind") == "iterative":
            hint = f"give the stand-in to its action plugin '{plugin.get('actionPluginName')}', which runs for each item"
        else:
            hint = "it runs for real from the context"
        problems.append(Problem(path, f"'{name}' is a {plugin.get('pluginKind') or 'common'} plugin and takes no stand-in: {hint}"))
    return problems


# --- running -------------------------------------------------------------------------------


@dataclass
class _Outcome:
    ok: bool
    output: object = None
    error: str = ""
    simulated: bool = True  # False: a stand-in is missing, so nothing can be applied


@dataclass
class _Case:
    """Where the dry run is: what the worker would read from the case row. `entry` counts the
    case's entries into states, so a run can tell that its entry is over."""

    machine: Machine
    state: str
    context: dict
    entry: int = 0
    runs: list = field(default_factory=list)

    def taken(self) -> list:
        """The runs of the step just done; the next step starts with none."""
        runs, self.runs = self.runs, []
        return runs


class _Runner:
    def __init__(self, extensions: dict, stand_ins: dict, now_ms):
        self.extensions, self.stand_ins, self.now_ms = extensions, stand_ins, now_ms

    def settle(self, case: _Case, step_name: str) -> None:
        """Runs the plugins of the state the case has just come to rest in, and of every
        state their actions bring it to, as the worker would, one run after the other."""
        queue = deque(self._entered(case))
        done, trail = 0, [case.state]
        while queue:
            entry, state, list_name, plugin = queue.popleft()
            if entry != case.entry:
                case.runs.append({"name": plugin["name"], "state": state, "outcome": STALE, "action": None})
                continue
            done += 1
            if done > MAX_PLUGIN_RUNS:
                raise PluginLoopError(
                    f"more than {MAX_PLUGIN_RUNS} plugin runs after {step_name}: the plugins' actions keep "
                    f"moving the case ({' -> '.join(trail[-6:])} -> ...)"
                )
            recorded = self._run(case, list_name, plugin, {"name": plugin["name"], "state": state})
            case.runs.append(recorded)
            if recorded["outcome"] == NOT_SIMULATED:
                return  # what follows depends on an answer the scenario does not give
            if case.state != state:
                case.entry += 1
                trail.append(case.state)
                queue.extend(self._entered(case))

    def _entered(self, case: _Case) -> list:
        return [(case.entry, case.state, list_name, plugin) for list_name, plugin in plugins_for_state(self.extensions, case.state)]

    def _run(self, case: _Case, list_name: str, plugin: dict, run: dict) -> dict:
        outcome = self._outcome(case, list_name, plugin)
        if is_fire_and_forget(plugin):
            recorded = {**run, "outcome": FIRE_AND_FORGET, "action": None}
            if outcome.simulated and not outcome.ok:
                recorded["error"] = outcome.error  # shown, though nothing of it is applied
            return recorded
        if not outcome.simulated:
            return {**run, "outcome": NOT_SIMULATED, "action": None, "note": outcome.error}
        if case.machine.is_final(case.state):
            # The worker leaves a closed case as it is; the run itself is what remains.
            recorded = {**run, "outcome": SUCCESS if outcome.ok else ERROR, "action": None}
            return {**recorded, **({} if outcome.ok else {"error": outcome.error}), "note": "the case is closed: not applied"}
        ok, error, context = outcome.ok, outcome.error, case.context
        if ok:
            try:
                context = plugin_requests.persist(case.context, plugin, outcome.output)
            except plugin_requests.PluginRequestError as problem:
                ok, error = False, str(problem)
        if not ok:
            context = plugin_requests.persist_error(case.context, plugin, error)
        case.context = context
        action = plugin.get("successAction") if ok else plugin.get("errorAction")
        recorded = {**run, "outcome": SUCCESS if ok else ERROR, "action": action or None}
        if not ok:
            recorded["error"] = error
        if action:
            note = self._send(case, action)
            if note:
                recorded["note"] = note
        return recorded

    def _send(self, case: _Case, action: str) -> str:
        """Sends the plugin's action as the event service would; a note when it was refused."""
        result = case.machine.send(case.state, case.context, action)
        if not result.handled:
            return f"its action '{action}' was refused in state '{case.state}' ({result.refusal.replace('_', ' ')})"
        case.state, case.context = result.state, result.context
        return ""

    # -- outcomes ------------------------------------------------------------------------------

    def _outcome(self, case: _Case, list_name: str, plugin: dict) -> _Outcome:
        kind = plugin.get("pluginKind")
        if list_name == API:
            return self._stand_in(plugin)
        if list_name == COMMON and kind == "transformer":
            return self._transformer(case, plugin)
        if list_name == COMMON and kind == "iterative":
            return self._iterative(case, plugin)
        return _Outcome(ok=False, error=f"Plugins of kind '{kind or list_name}' do not run on this server yet.")

    def _input(self, case: _Case) -> dict:
        return plugin_requests.plugin_input(case.context, RUNTIME_ID, {})

    def _stand_in(self, plugin: dict) -> _Outcome:
        stand_in = self.stand_ins.get(plugin["name"])
        if stand_in is None:
            return _Outcome(ok=False, simulated=False, error=f"no stand-in for '{plugin['name']}' in the scenario's plugins")
        if "error" in stand_in:
            return _Outcome(ok=False, error=stand_in["error"])
        body = json.dumps(stand_in["response"]).encode("utf-8")
        try:
            output = plugin_requests.read_response(plugin, 200, body, "application/json", now_ms=self.now_ms)
        except plugin_requests.PluginRequestError as problem:
            return _Outcome(ok=False, error=str(problem))
        return _Outcome(ok=True, output=output)

    def _transformer(self, case: _Case, plugin: dict) -> _Outcome:
        try:
            output = plugin_requests.apply_transformers(plugin.get("transformers") or [], self._input(case), now_ms=self.now_ms)
        except plugin_requests.PluginRequestError as problem:
            return _Outcome(ok=False, error=str(problem))
        return _Outcome(ok=True, output=output)

    def _iterative(self, case: _Case, plugin: dict) -> _Outcome:
        """Every item gets the action plugin's stand-in; as in the worker, all must succeed."""
        try:
            items = plugin_requests.apply_transformers(plugin.get("iterateOn") or [], self._input(case), now_ms=self.now_ms)
        except plugin_requests.PluginRequestError as problem:
            return _Outcome(ok=False, error=str(problem))
        if not isinstance(items, list):
            return _Outcome(ok=False, error=f"iterateOn gave {type(items).__name__}, not a list of items.")
        action_name = plugin.get("actionPluginName")
        found = plugin_declaration(self.extensions, action_name)
        if found is None or found[0] != API:
            return _Outcome(ok=False, error=f"The action plugin '{action_name}' does not run on this server yet.")
        results, failed = [], []
        for index, _item in enumerate(items):
            outcome = self._stand_in(found[1])
            if not outcome.simulated:
                return outcome
            results.append(outcome.output if outcome.ok else None)
            if not outcome.ok:
                failed.append(index)
        if failed:
            return _Outcome(ok=False, error=f"{len(failed)} of {len(items)} items failed.")
        return _Outcome(ok=True, output=results)


# --- the scenario --------------------------------------------------------------------------


def _snapshot(event_name, case: _Case, runs: list) -> dict:
    snapshot = {
        "event": event_name,
        "state": case.state,
        "status": "completed" if case.machine.is_final(case.state) else "active",
        "tags": case.machine.tags(case.state),
        "nextEvents": case.machine.next_events(case.state),
        "context": case.context,
    }
    if runs:
        snapshot["plugins"] = runs
    return snapshot


def simulate(scenario: dict, *, now_ms=None) -> list[dict]:
    """Snapshots after start and after each event, each with the context and the plugin runs
    of that step. `scenario["now"]` (milliseconds since the epoch), or `now_ms`, fixes the
    clock of `invokedAt` and setTimeToRecordUTC, for output that is the same on every run.

    Raises ScenarioError/DefinitionError for a bad scenario and EngineError subclasses
    (PluginLoopError among them) at run time."""
    problems = scenario_problems(scenario)
    if problems:
        raise ScenarioError(problems)
    machine = Machine(scenario["definition"])
    extensions = scenario.get("extensions") or {}
    declared = [
        Problem(f"scenario.{problem.path}", problem.message)
        for problem in plugin_declaration_problems(extensions, scenario["definition"])
    ]
    if declared:
        raise ScenarioError(declared)
    if now_ms is None:
        now_ms = (lambda: scenario["now"]) if "now" in scenario else now_milliseconds
    runner = _Runner(extensions, scenario.get("plugins") or {}, now_ms)

    result = machine.start(scenario.get("context") or {})
    case = _Case(machine=machine, state=result.state, context=result.context)
    runner.settle(case, "the start")
    snapshots = [_snapshot(None, case, case.taken())]
    for event in scenario.get("events") or []:
        before = case.state
        result = machine.send(case.state, case.context, event["name"], event.get("payload"))
        case.state, case.context = result.state, result.context
        if case.state != before:  # a self-transition or an unmoved case runs no plugins
            case.entry += 1
            runner.settle(case, f"'{event['name']}'")
        snapshots.append(_snapshot(event["name"], case, case.taken()))
    return snapshots
