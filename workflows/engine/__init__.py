"""The workflow engine: pure Python, no Django, no I/O.

A statechart (a flat subset of XState v4 machine JSON, as Ballerine stores it), a state, a
context and an event go in; the new state, status, tags and context come out. Guards behave as
json-logic-js and jmespath.js behave under XState v4 (see js.py for why that needs care).
"""

from .errors import (
    CycleError,
    DefinitionError,
    EngineError,
    GuardError,
    InvalidEventPayload,
    Problem,
    ScenarioError,
)
from .machine import BUILTIN_EVENTS, Machine, StepResult, Transition
from .merge import ARRAY_MERGE_OPTIONS, deep_merge
from .rerun import rerun_context
from .schema import STATECHART_SCHEMA
from .simulate import simulate
from .validation import validate_definition

__all__ = [
    "ARRAY_MERGE_OPTIONS",
    "BUILTIN_EVENTS",
    "STATECHART_SCHEMA",
    "CycleError",
    "DefinitionError",
    "EngineError",
    "GuardError",
    "InvalidEventPayload",
    "Machine",
    "Problem",
    "ScenarioError",
    "StepResult",
    "Transition",
    "deep_merge",
    "rerun_context",
    "simulate",
    "validate_definition",
]
