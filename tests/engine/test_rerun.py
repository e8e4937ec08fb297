"""A re-run's context over an open case's: top-level keys merged, documents by id."""

from workflows.engine import rerun_context

PASSPORT = {"id": "doc-1", "category": "identification", "type": "passport", "pages": [{"uri": "a.png"}]}
DECIDED = {**PASSPORT, "decision": {"status": "approved"}}


def test_keys_the_rerun_leaves_out_are_kept():
    previous = {"entity": {"id": "e"}, "pluginsOutput": {"kyc": {"ok": True}}, "childWorkflows": {"k": {}}}
    merged = rerun_context(previous, {"entity": {"id": "e", "data": {"x": 1}}})
    assert merged == {"entity": {"id": "e", "data": {"x": 1}}, "pluginsOutput": {"kyc": {"ok": True}}, "childWorkflows": {"k": {}}}


def test_an_empty_documents_list_removes_no_document():
    assert rerun_context({"documents": [DECIDED]}, {"documents": []})["documents"] == [DECIDED]


def test_a_known_document_is_updated_and_keeps_its_decision():
    updated = {**PASSPORT, "pages": [{"uri": "b.png"}]}
    [document] = rerun_context({"documents": [DECIDED]}, {"documents": [updated]})["documents"]
    assert document == {**DECIDED, "pages": [{"uri": "b.png"}]}


def test_a_decision_the_rerun_carries_replaces_the_old_one():
    rejected = {**PASSPORT, "decision": {"status": "rejected"}}
    [document] = rerun_context({"documents": [DECIDED]}, {"documents": [rejected]})["documents"]
    assert document["decision"] == {"status": "rejected"}


def test_a_new_document_is_added_after_the_known_ones():
    other = {"id": "doc-2", "category": "proof_of_address", "type": "utility_bill"}
    assert rerun_context({"documents": [DECIDED]}, {"documents": [other]})["documents"] == [DECIDED, other]


def test_a_document_without_id_sent_again_is_not_added_twice():
    anonymous = {"category": "registration", "type": "certificate"}
    merged = rerun_context({"documents": [anonymous]}, {"documents": [anonymous]})
    assert merged["documents"] == [anonymous]


def test_documents_are_taken_whole_when_the_case_had_none():
    assert rerun_context({"entity": {}}, {"documents": [PASSPORT]})["documents"] == [PASSPORT]


def test_neither_input_is_changed():
    previous, incoming = {"documents": [DECIDED]}, {"documents": [{**PASSPORT, "x": 1}]}
    rerun_context(previous, incoming)
    assert previous == {"documents": [DECIDED]} and incoming == {"documents": [{**PASSPORT, "x": 1}]}
