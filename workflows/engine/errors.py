"""Problems found in a definition, and the errors the engine raises."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "Problem",
    "DefinitionError",
    "ScenarioError",
    "EngineError",
    "CycleError",
    "GuardError",
    "InvalidEventPayload",
]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition; `path` is dotted, e.g. `statechart.states.a.on.go[1].target`."""

    path: str
    message: str

    def as_dict(self) -> dict:
        return {"path": self.path, "message": self.message}


class DefinitionError(Exception):
    def __init__(self, problems: list[Problem], message: str | None = None):
        self.problems = list(problems)
        if message is None:
            first = self.problems[0] if self.problems else None
            message = "invalid workflow definition" + (f": {first.path}: {first.message}" if first else "")
            if len(self.problems) > 1:
                message += f" (and {len(self.problems) - 1} more)"
        super().__init__(message)


class ScenarioError(DefinitionError):
    """A simulate scenario that is not shaped like {"definition", "context", "events"}."""


class EngineError(Exception):
    """A definition that is valid on paper failed while running."""


class CycleError(EngineError):
    """`always` transitions came back to a state within one chain: XState would loop forever."""


class GuardError(EngineError):
    """A guard threw while being evaluated (it would throw in json-logic-js / jmespath.js too)."""


class InvalidEventPayload(EngineError):
    """A built-in event (or any event) carried a payload of the wrong shape."""
