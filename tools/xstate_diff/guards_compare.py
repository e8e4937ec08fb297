#!/usr/bin/env python3
"""Guard-level differential check: raw json-logic / jmespath results, Python engine vs JS libraries.

Finer than compare.py (which only sees a guard's truthiness through state changes):

    python guards_compare.py -n 20000 --seed 1
"""

from __future__ import annotations

import argparse
import json
import math
import random
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE))

from generate import Gen  # noqa: E402
from workflows.engine import js  # noqa: E402
from workflows.engine.guards import GuardError, compile_guard, guard_problems  # noqa: E402


def encode(value):
    if value is js.UNDEFINED:
        return {"$js": "undefined"}
    if isinstance(value, float) and not math.isfinite(value):
        return {"$js": js.number_to_string(value)}
    if isinstance(value, list):
        return [encode(item) for item in value]
    if isinstance(value, dict):
        keys = js.object_keys(value)
        return {"$keys": keys, "$obj": {key: encode(value[key]) for key in keys}}
    return value


def same(a, b) -> bool:
    """JSON equality where 1 == 1.0 but true != 1."""
    return js.deep_equals(a, b)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--show", type=int, default=10)
    args = parser.parse_args()
    gen = Gen(random.Random(args.seed))
    cases = []
    while len(cases) < args.n:
        cond = gen.cond()
        if guard_problems(cond, "cond"):
            continue
        data = {**gen.context(), **gen.obj(0)}
        cases.append({"type": cond["type"], "rule": cond["options"]["rule"], "data": data})
    ref = subprocess.run(
        ["node", str(HERE / "guards_reference.js")],
        input="\n".join(json.dumps(case) for case in cases) + "\n",
        capture_output=True, text=True, check=True,
    ).stdout.splitlines()
    mismatches = errors = 0
    for case, line in zip(cases, ref):
        expected = json.loads(line)
        try:
            result = compile_guard({"type": case["type"], "options": {"rule": case["rule"]}}).evaluate(case["data"])
            actual = {"result": encode(result), "truthy": js.truthy(result)}
        except GuardError as exc:
            actual = {"$error": str(exc)}
        if "$error" in expected and "$error" in actual:
            errors += 1
            continue
        if "$error" in expected or "$error" in actual or not same(expected, actual):
            mismatches += 1
            if mismatches <= args.show:
                print(json.dumps({"case": case, "expected": expected, "actual": actual}, ensure_ascii=False)[:1500], "\n")
    print(f"guards: {len(cases)}  both errored: {errors}  mismatches: {mismatches}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
