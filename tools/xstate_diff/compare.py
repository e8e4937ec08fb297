#!/usr/bin/env python3
"""Run the same scenarios through reference.js (XState v4) and the Python engine; report mismatches.

    python compare.py -n 3000 --seed 1            # generate, run both, compare
    python compare.py --scenarios my.jsonl         # compare on existing scenarios
    python compare.py -n 500 --via-command         # Python side through `manage.py simulate_workflow -`

Besides the snapshots, the context after every step is compared too (strictly: JSON types and
JavaScript key order), with the Python side run step by step through Machine -- simulate_workflow
does not print contexts; --no-contexts (implied by --via-command) skips this.

A scenario where both sides fail (an `always` loop, a guard that throws) counts as agreeing;
it is reported separately. Mismatches are written to mismatches.jsonl (scenario, expected, actual;
for a context mismatch also the step and both contexts).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from workflows.engine import DefinitionError, EngineError, Machine, simulate  # noqa: E402
from workflows.engine.js import object_keys  # noqa: E402


def python_results(lines: list[str], via_command: bool) -> list:
    if via_command:
        proc = subprocess.run(
            [sys.executable, "manage.py", "simulate_workflow", "-"],
            input="\n".join(lines) + "\n",
            capture_output=True,
            text=True,
            cwd=REPO,
        )
        return [json.loads(line) for line in proc.stdout.splitlines()]
    results = []
    for line in lines:
        try:
            results.append(simulate(json.loads(line)))
        except (DefinitionError, EngineError) as exc:
            results.append({"error": str(exc)})
    return results


def python_contexts(scenario: dict):
    """The context after start and after each event, as simulate() steps through them."""
    try:
        machine = Machine(scenario["definition"])
        result = machine.start(scenario.get("context") or {})
        contexts = [result.context]
        for event in scenario.get("events") or []:
            result = machine.send(result.state, result.context, event["name"], event.get("payload"))
            contexts.append(result.context)
    except (DefinitionError, EngineError):
        return None
    return contexts


def canonical(value):
    """A value that compares equal only for the same JSON: no True == 1, keys in JavaScript order."""
    if isinstance(value, dict):
        return ("object", [(key, canonical(value[key])) for key in object_keys(value)])
    if isinstance(value, list):
        return ("array", [canonical(item) for item in value])
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return (type(value).__name__, value)
    return ("number", float(value))


def context_mismatch(expected: list, contexts) -> dict | None:
    """The first step whose context differs between the reference snapshots and `contexts`."""
    for step, snap in enumerate(expected):
        if contexts is None or step >= len(contexts) or canonical(snap["context"]) != canonical(contexts[step]):
            return {
                "step": step,
                "expected_context": snap["context"],
                "actual_context": None if contexts is None or step >= len(contexts) else contexts[step],
            }
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scenarios", type=Path, help="JSON Lines file to use instead of generating")
    parser.add_argument("--via-command", action="store_true", help="run the Python side via manage.py simulate_workflow")
    parser.add_argument("--no-contexts", action="store_true", help="compare snapshots only, not contexts")
    parser.add_argument("--out", type=Path, default=HERE / "mismatches.jsonl")
    parser.add_argument("--show", type=int, default=3, help="mismatches to print")
    args = parser.parse_args()

    if args.scenarios:
        lines = [line for line in args.scenarios.read_text().splitlines() if line.strip()]
    else:
        from generate import Gen
        import random

        gen = Gen(random.Random(args.seed))
        lines = [json.dumps(gen.scenario(), ensure_ascii=False) for _ in range(args.n)]

    contexts = not (args.no_contexts or args.via_command)
    ref = subprocess.run(
        ["node", str(HERE / "reference.js"), *(["--contexts"] if contexts else [])],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        check=True,
    )
    expected = [json.loads(line) for line in ref.stdout.splitlines()]
    actual = python_results(lines, args.via_command)
    assert len(expected) == len(actual) == len(lines), (len(expected), len(actual), len(lines))

    agree = both_failed = context_mismatches = 0
    mismatches = []
    for line, exp, act in zip(lines, expected, actual):
        exp_error, act_error = isinstance(exp, dict), isinstance(act, dict)
        exp_snapshots = exp if exp_error else [{k: v for k, v in snap.items() if k != "context"} for snap in exp]
        if exp_error and act_error:
            both_failed += 1
        elif exp_snapshots != act:
            mismatches.append({"scenario": json.loads(line), "expected": exp_snapshots, "actual": act})
        elif contexts and (found := context_mismatch(exp, python_contexts(json.loads(line)))):
            context_mismatches += 1
            mismatches.append({"scenario": json.loads(line), "expected": exp_snapshots, "actual": act, **found})
        else:
            agree += 1

    with args.out.open("w") as out:
        for item in mismatches:
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
    for item in mismatches[: args.show]:
        print(json.dumps(item, ensure_ascii=False)[:3000], end="\n\n")
    steps = sum(len(e) for e in expected if isinstance(e, list))
    context_note = f" (contexts only: {context_mismatches})" if contexts else " (contexts not compared)"
    print(
        f"scenarios: {len(lines)}  agree: {agree} ({steps} snapshots from XState)  "
        f"both failed: {both_failed}  mismatches: {len(mismatches)}{context_note}  -> {args.out.name}"
    )
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
