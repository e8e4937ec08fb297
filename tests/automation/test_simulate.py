"""automation.simulate: a dry run of an automated flow with stand-in answers for the plugins,
and `manage.py simulate_workflow` running it."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from automation.simulate import MAX_PLUGIN_RUNS, PluginLoopError, simulate
from workflows.engine import ScenarioError

NOW = 1_700_000_000_000

STATECHART = {
    "id": "registry_check",
    "initial": "checking",
    "states": {
        "checking": {"on": {"REGISTRY_DONE": "review", "REGISTRY_FAILED": "registry_failed", "STAY": "checking"}},
        "review": {"tags": ["manual_review"], "on": {"approve": "approved", "RECHECK": "checking", "SCREENED": "screened"}},
        "screening": {"on": {"SCREENED": "screened", "SCREENING_FAILED": "review"}},
        "screened": {"on": {"approve": "approved"}},
        "registry_failed": {"on": {"RETRY": "checking"}},
        "approved": {"type": "final", "tags": ["approved"]},
    },
}
CONTEXT = {"entity": {"type": "business", "id": "biz-1", "data": {"companyName": "Acme", "ubos": [{"name": "A"}, {"name": "B"}]}}}


def api_plugin(name="registry", **overrides) -> dict:
    plugin = {
        "name": name,
        "pluginKind": "api",
        "stateNames": ["checking"],
        "url": f"https://vendor.example/{name}",
        "method": "POST",
        "request": {"transform": [{"transformer": "jmespath", "mapping": "{companyName: entity.data.companyName}"}]},
        "successAction": "REGISTRY_DONE",
        "errorAction": "REGISTRY_FAILED",
    }
    plugin.update(overrides)
    return {key: value for key, value in plugin.items() if value is not None}


def scenario(plugins=None, stand_ins=None, events=(), statechart=STATECHART, **extra) -> dict:
    return {
        "definition": statechart,
        "context": CONTEXT,
        "extensions": {"apiPlugins": plugins if plugins is not None else [api_plugin()], **extra},
        "plugins": stand_ins if stand_ins is not None else {"registry": {"response": {"found": True}}},
        "events": [{"name": name} for name in events],
        "now": NOW,
    }


def runs(snapshot) -> list[tuple]:
    return [(run["name"], run["state"], run["outcome"], run["action"]) for run in snapshot.get("plugins", [])]


# --- success and failure -----------------------------------------------------------------------


def test_a_registry_success_persists_the_response_and_moves_the_case_to_review():
    start = simulate(scenario())[0]
    assert start["state"] == "review"
    assert start["context"]["pluginsOutput"]["registry"] == {"found": True, "invokedAt": NOW}
    assert start["context"]["pluginsInput"]["registry"] == {"status": "SUCCESS"}


def test_the_snapshot_of_the_step_lists_the_plugin_run_and_its_action():
    assert runs(simulate(scenario())[0]) == [("registry", "checking", "success", "REGISTRY_DONE")]


def test_the_output_goes_to_persist_response_destination_when_declared():
    start = simulate(scenario([api_plugin(persistResponseDestination="vendor.registry")]))[0]
    assert start["context"]["vendor"]["registry"]["found"] is True
    assert "registry" not in start["context"].get("pluginsOutput", {})


def test_the_response_transform_applies_to_the_stand_in():
    plugin = api_plugin(response={"transform": [{"transformer": "jmespath", "mapping": "{companyFound: found}"}]})
    start = simulate(scenario([plugin]))[0]
    assert start["context"]["pluginsOutput"]["registry"] == {"companyFound": True, "invokedAt": NOW}


def test_an_error_stand_in_records_the_error_and_takes_the_error_action():
    start = simulate(scenario(stand_ins={"registry": {"error": "The vendor answered 503."}}))[0]
    assert start["state"] == "registry_failed"
    recorded = {"name": "registry", "error": "The vendor answered 503.", "status": "ERROR"}
    assert start["context"]["pluginsOutput"]["registry"] == recorded
    assert runs(start) == [("registry", "checking", "error", "REGISTRY_FAILED")]


def test_a_response_that_breaks_the_response_schema_takes_the_error_path():
    schema = {"type": "object", "required": ["companyNumber"]}
    start = simulate(scenario([api_plugin(response={"schema": schema})]))[0]
    assert start["state"] == "registry_failed"
    assert start["context"]["pluginsOutput"]["registry"]["status"] == "ERROR"
    assert "companyNumber" in start["plugins"][0]["error"]


def test_a_plugin_without_actions_is_fire_and_forget_and_changes_nothing():
    plugin = api_plugin(successAction=None, errorAction=None)
    start = simulate(scenario([plugin]))[0]
    assert (start["state"], start["context"]) == ("checking", CONTEXT)
    assert runs(start) == [("registry", "checking", "fire-and-forget", None)]


def test_an_action_the_state_does_not_take_now_is_noted_and_the_outcome_stays():
    guarded = {"target": "registry_failed", "cond": {"type": "json-logic", "options": {"rule": {"var": "retryAllowed"}}}}
    checking = {"on": {"REGISTRY_DONE": "review", "REGISTRY_FAILED": guarded}}
    statechart = {**STATECHART, "states": {**STATECHART["states"], "checking": checking}}
    start = simulate(scenario(stand_ins={"registry": {"error": "down"}}, statechart=statechart))[0]
    assert start["state"] == "checking"
    assert start["context"]["pluginsOutput"]["registry"]["status"] == "ERROR"
    assert "REGISTRY_FAILED" in start["plugins"][0]["note"]


# --- when plugins run ----------------------------------------------------------------------------


def test_a_success_action_into_another_automated_state_runs_its_plugins_in_the_same_step():
    screening = api_plugin("sanctions", stateNames=["review"], successAction="SCREENED", errorAction=None)
    stand_ins = {"registry": {"response": {"found": True}}, "sanctions": {"response": {"hits": []}}}
    start = simulate(scenario([api_plugin(), screening], stand_ins))[0]
    assert start["state"] == "screened"
    assert runs(start) == [("registry", "checking", "success", "REGISTRY_DONE"), ("sanctions", "review", "success", "SCREENED")]


def test_the_plugins_left_behind_when_an_action_moves_the_case_are_stale():
    second = api_plugin("address", successAction="STAY", errorAction=None)
    start = simulate(scenario([api_plugin(), second], {"registry": {"response": {}}, "address": {"response": {}}}))[0]
    assert runs(start) == [("registry", "checking", "success", "REGISTRY_DONE"), ("address", "checking", "stale", None)]
    assert "address" not in start["context"]["pluginsOutput"]


def test_an_event_into_an_automated_state_runs_its_plugins():
    snapshots = simulate(scenario(stand_ins={"registry": {"error": "down"}}, events=["RETRY"]))
    assert snapshots[1]["state"] == "registry_failed"
    assert runs(snapshots[1]) == [("registry", "checking", "error", "REGISTRY_FAILED")]


def test_a_self_transition_runs_no_plugins():
    plugin = api_plugin(successAction=None, errorAction=None)
    snapshots = simulate(scenario([plugin], events=["STAY"]))
    assert snapshots[1]["state"] == "checking" and "plugins" not in snapshots[1]


def test_a_plugin_without_a_stand_in_is_reported_not_simulated_and_stops_the_chain():
    second = api_plugin("address", successAction="STAY", errorAction=None)
    start = simulate(scenario([second, api_plugin()], stand_ins={}))[0]
    assert runs(start) == [("address", "checking", "not simulated", None)]
    assert (start["state"], start["context"]) == ("checking", CONTEXT)


def test_actions_that_bounce_between_automated_states_stop_with_a_loop_error():
    back = api_plugin("recheck", stateNames=["review"], successAction="RECHECK", errorAction=None)
    with pytest.raises(PluginLoopError, match=f"more than {MAX_PLUGIN_RUNS} plugin runs after the start"):
        simulate(scenario([api_plugin(), back], {"registry": {"response": {}}, "recheck": {"response": {}}}))


def test_an_iterative_plugin_gives_each_item_the_action_plugins_stand_in():
    action = api_plugin("ubo_check", stateNames=None, successAction=None, errorAction=None)
    iterative = {
        "name": "ubos",
        "pluginKind": "iterative",
        "stateNames": ["checking"],
        "iterateOn": [{"transformer": "jmespath", "mapping": "entity.data.ubos"}],
        "actionPluginName": "ubo_check",
        "successAction": "REGISTRY_DONE",
        "errorAction": "REGISTRY_FAILED",
    }
    start = simulate(scenario([action], {"ubo_check": {"response": {"clear": True}}}, commonPlugins=[iterative]))[0]
    assert start["state"] == "review"
    assert start["context"]["pluginsOutput"]["ubos"] == [{"clear": True, "invokedAt": NOW}] * 2


def test_old_scenarios_without_automation_are_left_to_the_engine():
    from workflows.engine import simulate as engine_simulate

    plain = {"definition": STATECHART, "events": [{"name": "REGISTRY_DONE"}]}
    assert "context" not in engine_simulate(plain)[0]


# --- refused scenarios ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "stand_ins, path",
    [
        ([], "scenario.plugins"),
        ({"registry": "ok"}, "scenario.plugins.registry"),
        ({"registry": {}}, "scenario.plugins.registry"),
        ({"registry": {"response": {}, "error": "x"}}, "scenario.plugins.registry"),
        ({"registry": {"error": ""}}, "scenario.plugins.registry.error"),
        ({"registry": {"response": {}, "status": 202}}, "scenario.plugins.registry.status"),
        ({"sanctions": {"response": {}}}, "scenario.plugins.sanctions"),
    ],
)
def test_a_badly_shaped_stand_in_is_refused_with_its_path(stand_ins, path):
    with pytest.raises(ScenarioError) as refused:
        simulate(scenario(stand_ins=stand_ins))
    assert [problem.path for problem in refused.value.problems] == [path]


def test_a_stand_in_for_an_undeclared_plugin_says_so():
    with pytest.raises(ScenarioError) as refused:
        simulate(scenario(stand_ins={"sanctions": {"response": {}}}))
    assert refused.value.problems[0].message == "the scenario's extensions declare no plugin 'sanctions'"


def test_bad_plugin_declarations_are_refused_with_scenario_paths():
    with pytest.raises(ScenarioError) as refused:
        simulate(scenario([api_plugin(stateNames=["nowhere"])]))
    assert [problem.path for problem in refused.value.problems] == ["scenario.extensions.apiPlugins[0].stateNames[0]"]


# --- the command ---------------------------------------------------------------------------------


def run_command(path):
    out = io.StringIO()
    call_command("simulate_workflow", str(path), stdout=out, stderr=io.StringIO())
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_the_command_runs_a_scenario_with_stand_ins_from_a_file(tmp_path):
    path = tmp_path / "automated.json"
    path.write_text(json.dumps(scenario(events=["approve"]), indent=2))
    [snapshots] = run_command(path)
    assert [(snapshot["event"], snapshot["state"]) for snapshot in snapshots] == [(None, "review"), ("approve", "approved")]
    assert snapshots[-1]["context"]["pluginsOutput"]["registry"]["found"] is True


def test_the_command_prints_the_stand_in_problems_and_exits_with_an_error(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(scenario(stand_ins={"registry": {}})))
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("simulate_workflow", str(path), stdout=out, stderr=io.StringIO())
    printed = json.loads(out.getvalue())
    assert printed["problems"] == [{"path": "scenario.plugins.registry", "message": 'must have exactly one of "response" and "error"'}]
