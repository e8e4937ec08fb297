"""The statechart diagram on the case page (SPEC section 5): a self-contained, escaped SVG."""

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from cases.diagram import statechart_svg

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE_STATE = '<script>alert(1)</script>"'
HOSTILE_EVENT = "save & \"quit\" 'now'"

KYB = dict(
    states=["manual_review", "revision", "approved", "rejected"],
    edges=[
        ("manual_review", "approve", "approved"),
        ("manual_review", "reject", "rejected"),
        ("manual_review", "revision", "revision"),
        ("revision", "RESUBMITTED", "manual_review"),
    ],
    initial="manual_review",
    current="revision",
    final_states={"approved", "rejected"},
)


def render(**overrides):
    return statechart_svg(**{**KYB, **overrides})


def parse(**overrides):
    return ET.fromstring(render(**overrides))


def state_groups(root):
    return {g.get("data-state"): g for g in root.iter(f"{SVG}g") if g.get("data-state") is not None}


def edge_labels(root):
    return [t.text for g in root.iter(f"{SVG}g") if g.get("class") == "edge-label" for t in g.iter(f"{SVG}text")]


def edges(root):
    return [(p.get("data-source"), p.get("data-target")) for p in root.iter(f"{SVG}path") if p.get("class") == "edge"]


def test_the_kyb_diagram_is_a_well_formed_accessible_svg():
    root = parse()

    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    assert len(root.get("viewBox").split()) == 4
    assert root.find(f"{SVG}title").text == "Workflow diagram"
    assert "revision" in root.get("aria-label")


def test_the_diagram_needs_no_external_resources():
    svg = render()

    assert "href" not in svg and "<script" not in svg and "@import" not in svg


def test_every_state_and_event_appears():
    root = parse()

    assert list(state_groups(root)) == KYB["states"]
    assert sorted(edge_labels(root)) == ["RESUBMITTED", "approve", "reject", "revision"]


def test_every_edge_is_drawn_with_an_arrowhead_from_the_defs():
    root = parse()
    marker_id = root.find(f"{SVG}defs/{SVG}marker").get("id")

    drawn = [p for p in root.iter(f"{SVG}path") if p.get("class") == "edge"]
    assert len(drawn) == 4
    assert {p.get("marker-end") for p in drawn} == {f"url(#{marker_id})"}


def test_only_the_current_state_is_highlighted():
    groups = state_groups(parse())

    highlighted = [name for name, g in groups.items() if g.get("class") == "current"]
    assert highlighted == ["revision"]
    assert [name for name, g in groups.items() if g.get("aria-current") == "true"] == ["revision"]
    fills = {name: g.find(f"{SVG}rect").get("fill") for name, g in groups.items()}
    assert fills["revision"] not in {fills[n] for n in ("manual_review", "approved", "rejected")}


def test_nothing_is_highlighted_without_a_current_state():
    root = parse(current=None)

    assert not [g for g in state_groups(root).values() if g.get("class") == "current"]
    assert "No current state" in root.get("aria-label")


def test_final_states_have_a_double_border():
    groups = state_groups(parse())

    borders = {name: len(g.findall(f"{SVG}rect")) for name, g in groups.items()}
    assert borders == {"manual_review": 1, "revision": 1, "approved": 2, "rejected": 2}


def test_the_initial_state_has_an_entry_dot():
    groups = state_groups(parse())

    assert groups["manual_review"].find(f"{SVG}circle") is not None
    assert all(g.find(f"{SVG}circle") is None for name, g in groups.items() if name != "manual_review")


def test_several_events_between_the_same_states_share_one_label():
    edges_ = KYB["edges"] + [("manual_review", "approve_fast", "approved")]
    root = parse(edges=edges_)

    assert "approve, approve_fast" in edge_labels(root)
    assert edges(root).count(("manual_review", "approved")) == 1


def test_a_hostile_state_name_is_escaped():
    svg = render(states=[*KYB["states"], HOSTILE_STATE], current=HOSTILE_STATE)
    root = ET.fromstring(svg)

    assert "<script>" not in svg
    assert HOSTILE_STATE in state_groups(root)
    assert [t.text for t in state_groups(root)[HOSTILE_STATE].iter(f"{SVG}text")] == [HOSTILE_STATE]
    assert HOSTILE_STATE in root.get("aria-label")


def test_a_hostile_event_name_and_title_are_escaped():
    edges_ = KYB["edges"] + [("revision", HOSTILE_EVENT, "rejected")]
    root = parse(edges=edges_, title="Flow <b>&</b>")

    assert HOSTILE_EVENT in edge_labels(root)
    assert root.find(f"{SVG}title").text == "Flow <b>&</b>"


def test_characters_xml_cannot_carry_are_dropped_rather_than_breaking_the_svg():
    root = parse(states=[*KYB["states"], "bad\x00\x1bname"])

    assert "badname" in state_groups(root)


def test_a_self_loop_is_drawn_and_labelled():
    root = parse(edges=KYB["edges"] + [("revision", "REMIND", "revision")])

    assert ("revision", "revision") in edges(root)
    assert "REMIND" in edge_labels(root)


def test_an_eventless_transition_is_labelled_always():
    root = parse(states=["start", *KYB["states"]], initial="start", edges=[("start", None, "manual_review"), *KYB["edges"]])

    assert ("start", "manual_review") in edges(root)
    assert "always" in edge_labels(root)


def test_transitions_within_one_row_are_drawn():
    root = parse(edges=KYB["edges"] + [("approved", "reopen", "rejected")])

    assert ("approved", "rejected") in edges(root)
    assert "reopen" in edge_labels(root)


def test_unreachable_states_are_drawn_below_the_rest():
    root = parse(states=[*KYB["states"], "archived"])
    groups = state_groups(root)

    def top(name):
        return float(groups[name].find(f"{SVG}rect").get("y"))

    assert "archived" in groups
    assert top("archived") > max(top(name) for name in KYB["states"])


def test_states_are_layered_by_distance_from_the_initial_state():
    groups = state_groups(parse())
    tops = {name: float(g.find(f"{SVG}rect").get("y")) for name, g in groups.items()}

    assert tops["manual_review"] < tops["revision"] == tops["approved"] == tops["rejected"]


def test_an_edge_to_an_undeclared_state_still_has_a_box_to_point_at():
    root = parse(edges=KYB["edges"] + [("revision", "ESCALATE", "legal")])

    assert "legal" in state_groups(root)


def test_an_empty_statechart_still_renders():
    root = ET.fromstring(statechart_svg(states=[], edges=[], initial="x", current=None, final_states=set()))

    assert root.get("role") == "img"


def test_the_same_input_gives_the_same_svg():
    assert render() == render(final_states={"rejected", "approved"})


def test_the_output_does_not_depend_on_the_hash_seed():
    # Sets of strings iterate in a per-process order; two processes catch any that leaks through.
    code = "from cases.diagram import statechart_svg; from tests.cases.test_diagram import KYB; print(statechart_svg(**KYB))"
    root = Path(__file__).resolve().parents[2]

    outputs = {
        subprocess.run(
            [sys.executable, "-c", code], cwd=root, env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True, text=True, check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert outputs == {render() + "\n"}
