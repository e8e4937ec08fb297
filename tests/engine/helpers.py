"""Small builders shared by the engine tests."""

from workflows.engine import Machine


def json_logic(rule):
    return {"type": "json-logic", "options": {"rule": rule}}


def jmespath(rule):
    return {"type": "jmespath", "options": {"rule": rule}}


def machine(states, initial=None):
    return Machine({"initial": initial or next(iter(states)), "states": states})


def guarded_machine(cond):
    """`check` goes to `yes` when `cond` passes; `no` otherwise."""
    return machine(
        {
            "start": {"on": {"check": [{"target": "yes", "cond": cond}, {"target": "no"}]}},
            "yes": {"type": "final"},
            "no": {"type": "final"},
        }
    )


def passes(cond, context=None, payload=None) -> bool:
    result = guarded_machine(cond).send("start", context or {}, "check", payload)
    return result.state == "yes"
