"""A compiled json-logic rule (what guards run) gives what `apply` gives, for rules and data it
has not seen: random rules over every operator, with missing and extra arguments, literals of
every JSON type and errors, each compared result for result and error for error."""

import math
import random

import pytest

from workflows.engine.js import UNDEFINED
from workflows.engine.jsonlogic import CONTROL_OPERATORS, OPERATORS, JsonLogicError, apply, compile_rule

SCALARS = [None, True, False, 0, -0.0, 1, 2.5, -3, "", "0", "1", "a", "abc", "2.5", " 12 ", "US", math.inf]
PATHS = ["", "a", "b", "a.b", "list", "list.0", "list.length", "missing", "a.missing", "items", "n", "s"]
OPS = sorted(OPERATORS) + sorted(CONTROL_OPERATORS) + ["no_such_op"]


def random_data(rng):
    return {
        "a": {"b": rng.choice(SCALARS)},
        "b": rng.choice(SCALARS),
        "list": [rng.choice(SCALARS) for _ in range(rng.randint(0, 3))],
        "items": [{"n": rng.choice([0, 1, 2, "3"]), "s": rng.choice(["x", "y", ""])} for _ in range(rng.randint(0, 3))],
        "n": rng.choice([0, 1, 5, "5", None]),
        "s": rng.choice(["abc", "", "US"]),
    }


def random_rule(rng, depth=0):
    roll = rng.random()
    if depth > 3 or roll < 0.25:
        return rng.choice(SCALARS)
    if roll < 0.4:
        return {"var": rng.choice(PATHS) if rng.random() < 0.8 else [rng.choice(PATHS), rng.choice(SCALARS)]}
    if roll < 0.45:
        return [random_rule(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if roll < 0.48:
        return {"x": 1, "y": 2}  # an object literal: not a rule (two keys)
    op = rng.choice(OPS)
    args = [random_rule(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    if op in ("filter", "map", "all", "none", "some", "reduce") and rng.random() < 0.7:
        args = [{"var": rng.choice(["items", "list", "missing"])}, random_rule(rng, depth + 1), *args[:1]]
    return {op: args if rng.random() < 0.85 or not args else args[0]}


def outcome(function, *args):
    try:
        return ("value", normalised(function(*args)))
    except JsonLogicError as error:
        return ("error", str(error))
    except (TypeError, ValueError, ZeroDivisionError, RecursionError) as error:
        return ("raised", type(error).__name__)


def normalised(value):
    """Values compared by type and content (NaN equal to itself, 1 apart from True)."""
    if value is UNDEFINED:
        return ("undefined",)
    if isinstance(value, float) and math.isnan(value):
        return ("nan",)
    if isinstance(value, list):
        return ("list", tuple(normalised(item) for item in value))
    if isinstance(value, dict):
        return ("dict", tuple(sorted((key, normalised(item)) for key, item in value.items())))
    return (type(value).__name__, value)


@pytest.mark.parametrize("seed", range(40))
def test_compiled_rules_give_what_apply_gives(seed):
    rng = random.Random(seed)
    for _ in range(100):
        rule = random_rule(rng)
        compiled = compile_rule(rule)
        for _ in range(3):
            data = random_data(rng)
            assert outcome(compiled, data) == outcome(apply, rule, data), rule


def test_compiling_a_rule_with_an_unknown_operator_raises_only_when_it_runs():
    compiled = compile_rule({"if": [True, 1, {"no_such_op": [1]}]})
    assert compiled({}) == 1
    with pytest.raises(JsonLogicError, match="Unrecognized operation no_such_op"):
        compile_rule({"no_such_op": [{"var": "a"}]})({"a": 1})


def test_a_compiled_rule_builds_its_array_literals_anew_each_time():
    compiled = compile_rule({"===": [[1], [1]]})
    assert compiled({}) is False
    first, second = compile_rule([1, 2])({}), compile_rule([1, 2])({})
    assert first == second and first is not second
