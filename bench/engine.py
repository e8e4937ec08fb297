#!/usr/bin/env python
"""Engine benchmark: `Machine.send` in a loop on one core, no database, no Django.

The definition is guarded: a review state whose events pass through json-logic and jmespath
guards (the first candidate of each event fails, the second passes), and an eventless
`always` check on arrival, with the seed context of `POST /workflows/run` (bench/run.py).
Each send moves the case between `review` and `waiting`, so every call takes a transition.

Prints transitions/s (the median of --rounds timed loops of --sends each).

Usage: .venv/bin/python bench/engine.py [--sends 50000] [--rounds 5]
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workflows.engine import Machine  # noqa: E402

STATECHART = {
    "id": "bench_guarded",
    "initial": "review",
    "states": {
        "review": {
            "tags": ["review"],
            "always": [
                {"target": "flagged", "cond": {"type": "json-logic", "options": {"rule": {"==": [{"var": "entity.data.country"}, "XX"]}}}}
            ],
            "on": {
                "revision": [
                    {"target": "rejected", "cond": {"type": "json-logic", "options": {"rule": {"==": [{"var": "entity.type"}, "individual"]}}}},
                    {
                        "target": "waiting",
                        "cond": {
                            "type": "json-logic",
                            "options": {"rule": {"and": [{"==": [{"var": "entity.type"}, "business"]}, {"in": [{"var": "entity.data.country"}, ["US", "GB", "DE"]]}]}},
                        },
                    },
                ],
                "approve": "approved",
            },
        },
        "waiting": {
            "tags": ["revision"],
            "on": {
                "RESUBMITTED": [
                    {"target": "rejected", "cond": {"type": "jmespath", "options": {"rule": "length(documents) > `5`"}}},
                    {"target": "review", "cond": {"type": "jmespath", "options": {"rule": "entity.data.companyName != null"}}},
                ]
            },
        },
        "flagged": {"on": {"clear": "review"}},
        "approved": {"type": "final"},
        "rejected": {"type": "final"},
    },
}

CONTEXT = {
    "entity": {
        "type": "business",
        "id": "bench-entity",
        "data": {
            "country": "US",
            "registrationNumber": "756OPOPOP08238",
            "companyName": "TILL COMPANY LIMITED",
            "additionalInfo": {"mainRepresentative": {"email": "email@ballerine.com", "lastName": "Last", "firstName": "First"}},
        },
    },
    "documents": [],
}


def loop(machine: Machine, sends: int) -> float:
    """Seconds for `sends` calls of Machine.send, each taking one transition."""
    state, context = "review", CONTEXT
    events = {"review": "revision", "waiting": "RESUBMITTED"}
    started = time.perf_counter()
    for _ in range(sends):
        step = machine.send(state, context, events[state], {})
        state, context = step.state, step.context
    elapsed = time.perf_counter() - started
    assert state in events and context == CONTEXT, (state, context)
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sends", type=int, default=50_000, help="per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    machine = Machine(json.loads(json.dumps(STATECHART)))
    loop(machine, 2000)  # warm up
    rates = sorted(args.sends / loop(machine, args.sends) for _ in range(args.rounds))
    print(
        f"Machine.send on a guarded definition: {statistics.median(rates):,.0f} transitions/s "
        f"(median of {args.rounds} rounds of {args.sends:,}; range {rates[0]:,.0f}-{rates[-1]:,.0f})"
    )


if __name__ == "__main__":
    main()
