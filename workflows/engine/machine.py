"""Machine: run a validated statechart one step at a time, with XState v4's semantics."""

from __future__ import annotations

import copy
from dataclasses import dataclass

from .errors import CycleError, DefinitionError, EngineError, InvalidEventPayload
from .guards import Guard, compile_guard
from .js import deep_equals, utf16_key
from .merge import ARRAY_MERGE_OPTIONS, deep_merge
from .validation import iter_transitions, validate_definition

__all__ = ["BUILTIN_EVENTS", "Machine", "StepResult", "Transition"]

BUILTIN_EVENTS = ("UPDATE_CONTEXT", "DEEP_MERGE_CONTEXT")


@dataclass(frozen=True)
class Transition:
    event: str | None  # None for an eventless (`always`) transition
    source: str
    target: str


@dataclass(frozen=True)
class StepResult:
    state: str
    status: str  # "active" | "completed"
    tags: list
    next_events: list
    context: dict
    handled: bool
    refusal: str | None  # None | "final" | "not_handled" | "guards_failed"
    transitions: list
    context_changed: bool


@dataclass(frozen=True)
class _Candidate:
    target: str | None  # None: a targetless transition (taken, but nothing moves)
    guard: Guard | None

    def passes(self, data: dict) -> bool:
        return self.guard is None or self.guard.passes(data)


def _compile_candidates(value) -> list[_Candidate]:
    return [
        _Candidate(entry.get("target"), compile_guard(entry["cond"]) if entry.get("cond") is not None else None)
        for _, entry, _ in iter_transitions(value, "")
    ]


class Machine:
    def __init__(self, statechart):
        problems = validate_definition(statechart)
        if problems:
            raise DefinitionError(problems)
        states = statechart["states"]
        self._initial: str = statechart["initial"]
        self._state_names = list(states)
        self._final = {name for name, state in states.items() if state.get("type") == "final"}
        self._tags = {}
        self._on: dict[str, dict[str, list[_Candidate]]] = {}
        self._always: dict[str, list[_Candidate]] = {}
        for name, state in states.items():
            tags = state.get("tags", [])
            # Sorted by UTF-16 code units, as JavaScript's default sort orders them.
            self._tags[name] = sorted(set([tags] if isinstance(tags, str) else tags), key=utf16_key)
            self._on[name] = {event: _compile_candidates(value) for event, value in state.get("on", {}).items()}
            self._always[name] = _compile_candidates(state["always"]) if "always" in state else []
        # XState v4 lists an event in nextEvents only if some transition for it has a target
        # (StateNode.ownEvents drops targetless, action-less internal transitions).
        self._next_events = {
            name: []
            if name in self._final
            else sorted(
                (event
                for event, candidates in self._on[name].items()
                if event not in BUILTIN_EVENTS and any(candidate.target is not None for candidate in candidates)),
                key=utf16_key,
            )
            for name in self._state_names
        }

    # -- introspection -------------------------------------------------------------------------

    @property
    def initial_state(self) -> str:
        return self._initial

    @property
    def state_names(self) -> list[str]:
        return list(self._state_names)

    def _check_state(self, state) -> str:
        if state not in self._tags:
            raise EngineError(f"unknown state {state!r}")
        return state

    def is_final(self, state: str) -> bool:
        return self._check_state(state) in self._final

    def tags(self, state: str) -> list[str]:
        return list(self._tags[self._check_state(state)])

    def next_events(self, state: str) -> list[str]:
        return list(self._next_events[self._check_state(state)])

    def edges(self) -> list[tuple[str, str | None, str]]:
        found: list[tuple[str, str | None, str]] = []
        for name in self._state_names:
            groups = list(self._on[name].items()) + [(None, self._always[name])]
            for event, candidates in groups:
                for candidate in candidates:
                    edge = (name, event, candidate.target)
                    if candidate.target is not None and edge not in found:
                        found.append(edge)
        return found

    # -- running -------------------------------------------------------------------------------

    def start(self, context) -> StepResult:
        context = _check_context(context)
        state, transitions = self._follow_always(self._initial, context)
        return self._result(state, context, True, None, transitions, False)

    def send(self, state: str, context, event_name: str, payload=None) -> StepResult:
        self._check_state(state)
        context = _check_context(context)
        if not isinstance(event_name, str) or not event_name:
            raise EngineError("an event name must be a non-empty string")
        if payload is not None and not isinstance(payload, dict):
            raise InvalidEventPayload(f"the payload of {event_name} must be an object")
        if state in self._final:
            return self._result(state, context, False, "final", [], False)

        if event_name in BUILTIN_EVENTS:
            # Built-ins come before the state's own `on`, so a definition cannot shadow them.
            new_context = _apply_builtin(event_name, payload, context)
            state, transitions = self._follow_always(state, new_context)
            changed = not deep_equals(new_context, context)
            return self._result(state, new_context, True, None, transitions, changed)

        candidates = self._on[state].get(event_name, [])
        data = {**context, **(payload or {})}
        chosen = next((candidate for candidate in candidates if candidate.passes(data)), None)
        transitions = []
        if chosen is None:
            refusal = "not_handled" if not candidates else "guards_failed"
        else:
            refusal = None
            if chosen.target is not None:
                transitions.append(Transition(event_name, state, chosen.target))
                state = chosen.target
        # XState re-checks `always` after every event, handled or not.
        state, more = self._follow_always(state, context)
        return self._result(state, context, chosen is not None, refusal, transitions + more, False)

    def _follow_always(self, state: str, context: dict) -> tuple[str, list[Transition]]:
        visited = [state]
        transitions: list[Transition] = []
        while state not in self._final:
            # XState evaluates `always` guards with its internal empty event: no payload.
            chosen = next((candidate for candidate in self._always[state] if candidate.passes(context)), None)
            if chosen is None:
                break
            target = state if chosen.target is None else chosen.target
            if target in visited:
                loop = " -> ".join(visited[visited.index(target):] + [target])
                raise CycleError(f"always transitions loop forever: {loop}")
            transitions.append(Transition(None, state, target))
            visited.append(target)
            state = target
        return state, transitions

    def _result(self, state, context, handled, refusal, transitions, changed) -> StepResult:
        return StepResult(
            state=state,
            status="completed" if state in self._final else "active",
            tags=list(self._tags[state]),
            next_events=list(self._next_events[state]),
            context=_copy_json(context),
            handled=handled,
            refusal=refusal,
            transitions=list(transitions),
            context_changed=changed,
        )


_SCALAR_TYPES = frozenset({str, int, float, bool, type(None)})


def _copy_json(value):
    """A deep copy of a JSON value, several times faster than copy.deepcopy (every step
    returns one): dicts and lists are rebuilt, immutable scalars kept (without a call each, as
    they are most of a context), anything else (a tuple, a subclass) goes to copy.deepcopy."""
    kind = type(value)
    if kind is dict:
        return {key: item if type(item) in _SCALAR_TYPES else _copy_json(item) for key, item in value.items()}
    if kind is list:
        return [item if type(item) in _SCALAR_TYPES else _copy_json(item) for item in value]
    if kind in _SCALAR_TYPES:
        return value
    return copy.deepcopy(value)


def _check_context(context) -> dict:
    if not isinstance(context, dict):
        raise EngineError("the context must be a JSON object")
    return context


def _apply_builtin(event_name: str, payload, context: dict) -> dict:
    if not isinstance(payload, dict):
        raise InvalidEventPayload(f"{event_name} needs a payload object")
    if event_name == "UPDATE_CONTEXT":
        if not isinstance(payload.get("context"), dict):
            raise InvalidEventPayload('UPDATE_CONTEXT needs {"context": {...}}')
        # XState v4's assign() merges the returned object over the context one level deep
        # (Object.assign({}, context, result)): keys left out are kept.
        # Shallow here: _result() deep-copies the context it returns.
        return {**context, **payload["context"]}
    new_context = payload.get("newContext")
    if not isinstance(new_context, dict):
        raise InvalidEventPayload('DEEP_MERGE_CONTEXT needs {"newContext": {...}}')
    option = payload.get("arrayMergeOption")
    if option is None:
        option = "concat"
    if option not in ARRAY_MERGE_OPTIONS:
        raise InvalidEventPayload(f"arrayMergeOption must be one of {', '.join(ARRAY_MERGE_OPTIONS)}")
    return deep_merge(context, new_context, option)
