#!/usr/bin/env python3
"""Run the same scenarios through reference.js (XState v4) and the Python engine; report mismatches.

    python compare.py -n 3000 --seed 1            # generate, run both, compare
    python compare.py --scenarios my.jsonl         # compare on existing scenarios
    python compare.py -n 500 --via-command         # Python side through `manage.py simulate_workflow -`

A scenario where both sides fail (an `always` loop, a guard that throws) counts as agreeing;
it is reported separately. Mismatches are written to mismatches.jsonl (scenario, expected, actual).
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

from workflows.engine import DefinitionError, EngineError, simulate  # noqa: E402


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scenarios", type=Path, help="JSON Lines file to use instead of generating")
    parser.add_argument("--via-command", action="store_true", help="run the Python side via manage.py simulate_workflow")
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

    ref = subprocess.run(
        ["node", str(HERE / "reference.js")], input="\n".join(lines) + "\n", capture_output=True, text=True, check=True
    )
    expected = [json.loads(line) for line in ref.stdout.splitlines()]
    actual = python_results(lines, args.via_command)
    assert len(expected) == len(actual) == len(lines), (len(expected), len(actual), len(lines))

    agree = both_failed = 0
    mismatches = []
    for line, exp, act in zip(lines, expected, actual):
        exp_error, act_error = isinstance(exp, dict), isinstance(act, dict)
        if exp_error and act_error:
            both_failed += 1
        elif exp == act:
            agree += 1
        else:
            mismatches.append({"scenario": json.loads(line), "expected": exp, "actual": act})

    with args.out.open("w") as out:
        for item in mismatches:
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
    for item in mismatches[: args.show]:
        print(json.dumps(item, ensure_ascii=False)[:3000], end="\n\n")
    steps = sum(len(e) for e in expected if isinstance(e, list))
    print(
        f"scenarios: {len(lines)}  agree: {agree} ({steps} snapshots from XState)  "
        f"both failed: {both_failed}  mismatches: {len(mismatches)}  -> {args.out.name}"
    )
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
