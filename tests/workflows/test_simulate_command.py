"""`manage.py simulate_workflow`, run as a real subprocess (no database involved)."""

import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

DEFINITION = {
    "initial": "review",
    "states": {
        "review": {"tags": ["manual_review"], "on": {"approve": "approved", "reject": {"target": "rejected"}}},
        "approved": {"type": "final", "tags": ["approved"]},
        "rejected": {"type": "final", "tags": ["rejected"]},
    },
}
APPROVE = {"definition": DEFINITION, "context": {}, "events": [{"name": "nope"}, {"name": "approve"}]}
REJECT = {"definition": DEFINITION, "events": [{"name": "reject", "payload": {}}]}

START = {"event": None, "state": "review", "status": "active", "tags": ["manual_review"], "nextEvents": ["approve", "reject"]}


def run_command(*args, stdin=""):
    return subprocess.run(
        [sys.executable, "manage.py", "simulate_workflow", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
    )


def output_lines(proc):
    return [json.loads(line) for line in proc.stdout.splitlines()]


def test_pretty_printed_json_object_on_stdin_prints_one_line():
    proc = run_command("-", stdin=json.dumps(APPROVE, indent=2))
    assert proc.returncode == 0, proc.stderr
    assert output_lines(proc) == [
        [
            START,
            {**START, "event": "nope"},
            {"event": "approve", "state": "approved", "status": "completed", "tags": ["approved"], "nextEvents": []},
        ]
    ]


def test_json_lines_file_prints_one_line_per_scenario(tmp_path):
    path = tmp_path / "scenarios.jsonl"
    path.write_text(json.dumps(APPROVE) + "\n\n" + json.dumps(REJECT) + "\n")
    proc = run_command(str(path))
    assert proc.returncode == 0, proc.stderr
    lines = output_lines(proc)
    assert [run[-1]["state"] for run in lines] == ["approved", "rejected"]


def test_json_lines_on_stdin_are_read_line_by_line():
    proc = run_command("-", stdin=json.dumps(REJECT) + "\n" + json.dumps(APPROVE) + "\n")
    assert [run[-1]["state"] for run in output_lines(proc)] == ["rejected", "approved"]


def test_invalid_scenarios_print_an_error_line_and_the_rest_still_run():
    bad_definition = {"definition": {"initial": "ghost", "states": {"a": {}}}}
    stdin = "\n".join([json.dumps(APPROVE), json.dumps(bad_definition), "{not json", json.dumps(REJECT)]) + "\n"
    proc = run_command("-", stdin=stdin)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    approve, definition_error, json_error, reject = output_lines(proc)
    assert approve[-1]["state"] == "approved" and reject[-1]["state"] == "rejected"
    assert definition_error["problems"] == [{"path": "statechart.initial", "message": "unknown state 'ghost'"}]
    assert "invalid JSON" in json_error["error"] and json_error["problems"] == []


def test_runtime_cycle_prints_an_error_line():
    cond = {"type": "json-logic", "options": {"rule": True}}
    looping = {"initial": "a", "states": {"a": {"always": {"target": "b", "cond": cond}}, "b": {"always": {"target": "a", "cond": cond}}}}
    proc = run_command("-", stdin=json.dumps({"definition": looping}))
    assert proc.returncode == 1
    [line] = output_lines(proc)
    assert line["error"].startswith("CycleError")


def test_missing_file_is_a_clean_command_error():
    proc = run_command("/nonexistent/scenarios.jsonl")
    assert proc.returncode == 1
    assert proc.stdout == "" and "Traceback" not in proc.stderr
