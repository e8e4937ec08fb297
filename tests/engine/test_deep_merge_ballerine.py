"""DEEP_MERGE_CONTEXT against Ballerine's own expectations.

Fixtures: the `describe(BUILT_IN_EVENT.DEEP_MERGE_CONTEXT)` cases of
ballerine-io/ballerine, services/workflows-service/src/workflow/workflow.service.intg.test.ts
(read at commits 0996e3b943820b88de478e0c0986c4944aba609e and
509f45e1466bf6d0c679ecacccfb53f89fa31788; the cases are the same in both).

Each case there creates a runtime with `context`, calls WorkflowService.event() with
DEEP_MERGE_CONTEXT {newContext, arrayMergeOption} and compares the stored context with
`expectedContext`. The service hands the event to workflow-core, whose built-in
DEEP_MERGE_CONTEXT action is deepMergeWithOptions(context, newContext, arrayMergeOption)
(packages/workflow-core/src/lib/utils/deep-merge-with-options.ts), and stores the resulting
context as it is: the expected contexts are that engine-level merge's output, which is what
our Machine's DEEP_MERGE_CONTEXT performs. Inputs and expected outputs below are copied as data;
the test definition mirrors theirs (pending --APPROVE/REJECT--> approved/rejected).
"""

from dataclasses import dataclass

import pytest

from .helpers import machine

DOC1 = {"id": "1", "name": "doc1"}
LARGE_VALUE = "value" * 1000  # new Array(1000).fill('value').join('')


@dataclass(frozen=True)
class Case:
    name: str
    context: dict
    new_context: dict
    array_merge_option: str
    expected: dict


CASES = [
    Case(
        "merges the existing and new context data when the event is called",
        {"key1": "value1", "key2": "value2", "documents": [DOC1]},
        {"key2": "new-value", "key3": "value3", "documents": [{"id": "1", "name": "doc2"}, {"id": "2", "name": "doc3"}]},
        "by_id",
        {
            "key1": "value1",
            "key2": "new-value",
            "key3": "value3",
            "documents": [{"id": "1", "name": "doc2"}, {"id": "2", "name": "doc3"}],
        },
    ),
    Case(
        "does not change the existing context when the new context is empty",
        {"key1": "value1", "key2": "value2", "documents": [DOC1]},
        {},
        "by_id",
        {"key1": "value1", "key2": "value2", "documents": [DOC1]},
    ),
    Case(
        "adds a new key from the new context to the existing context",
        {"key1": "value1", "key2": "value2", "documents": [DOC1]},
        {"key3": "value3"},
        "by_id",
        {"key1": "value1", "key2": "value2", "key3": "value3", "documents": [DOC1]},
    ),
    Case(
        "updates the value of an existing key when the new context has a different value for it",
        {"key1": "value1", "key2": "value2", "documents": [DOC1]},
        {"key2": "new-value2"},
        "by_id",
        {"key1": "value1", "key2": "new-value2", "documents": [DOC1]},
    ),
    Case(
        "merges nested objects in the context",
        {"key1": "value1", "key2": {"nestedKey1": "nestedValue1"}, "documents": [DOC1]},
        {"key2": {"nestedKey2": "nestedValue2"}},
        "by_id",
        {"key1": "value1", "key2": {"nestedKey1": "nestedValue1", "nestedKey2": "nestedValue2"}, "documents": [DOC1]},
    ),
    Case(
        "updates values in nested objects in the context",
        {"key1": "value1", "key2": {"nestedKey1": "nestedValue1"}, "documents": [DOC1]},
        {"key2": {"nestedKey1": "new-nestedValue1"}},
        "by_id",
        {"key1": "value1", "key2": {"nestedKey1": "new-nestedValue1"}, "documents": [DOC1]},
    ),
    Case(
        "adds a new element to an array in the context",
        {"key1": "value1", "key2": ["element1"], "documents": [DOC1]},
        {"key2": ["element2"]},
        "concat",
        {"key1": "value1", "key2": ["element1", "element2"], "documents": [DOC1]},
    ),
    Case(
        "replaces an array element when the new context has one at the same index",
        {"key1": "value1", "key2": ["element1", "element2"], "documents": [DOC1]},
        {"key2": ["element3"]},
        "by_index",
        {"key1": "value1", "key2": ["element3", "element2"], "documents": [DOC1]},
    ),
    Case(
        "handles large context objects",
        {"key1": "value1", "largeKey": LARGE_VALUE},
        {"key2": "value2"},
        "by_id",
        {"key1": "value1", "key2": "value2", "largeKey": LARGE_VALUE},
    ),
    Case(
        "concatenates an array in a nested object with concat",
        {"key1": "value1", "key2": {"nestedKey": ["value2"]}},
        {"key2": {"nestedKey": ["value3"]}},
        "concat",
        {"key1": "value1", "key2": {"nestedKey": ["value2", "value3"]}},
    ),
    Case(
        "concatenates an array of objects in a nested object with concat",
        {"key1": "value1", "key2": {"nestedKey": [{"id": "1", "value": "value2"}]}},
        {"key2": {"nestedKey": [{"id": "2", "value": "value3"}]}},
        "concat",
        {"key1": "value1", "key2": {"nestedKey": [{"id": "1", "value": "value2"}, {"id": "2", "value": "value3"}]}},
    ),
    Case(
        "concatenates deeply nested arrays with concat",
        {"key1": "value1", "key2": {"nestedKey": {"anotherNestedKey": ["value2"]}}},
        {"key2": {"nestedKey": {"anotherNestedKey": ["value3"]}}},
        "concat",
        {"key1": "value1", "key2": {"nestedKey": {"anotherNestedKey": ["value2", "value3"]}}},
    ),
    Case(
        "merges context data with a high nesting level",
        {"key1": {"key2": {"key3": {"key4": {"key5": "value1"}}}}},
        {"key1": {"key2": {"key3": {"key4": {"key5": "value2", "key6": "value3"}}}}},
        "concat",
        {"key1": {"key2": {"key3": {"key4": {"key5": "value2", "key6": "value3"}}}}},
    ),
    Case(
        "merges context data with mixed data types",
        {"key1": "value1", "key2": {"nestedKey1": "value2", "nestedKey2": ["value3"]}},
        {"key1": {"nestedKey1": "new-value1"}, "key2": {"nestedKey1": "new-value2", "nestedKey3": "value4"}},
        "concat",
        {
            "key1": {"nestedKey1": "new-value1"},
            "key2": {"nestedKey1": "new-value2", "nestedKey2": ["value3"], "nestedKey3": "value4"},
        },
    ),
    Case(
        "merges sibling arrays by id",
        {"key1": [{"id": "1", "data": "data1"}], "key2": [{"id": "1", "data": "data1"}]},
        {"key1": [{"id": "1", "data": "data2"}], "key2": [{"id": "2", "data": "data2"}]},
        "by_id",
        {"key1": [{"id": "1", "data": "data2"}], "key2": [{"id": "1", "data": "data1"}, {"id": "2", "data": "data2"}]},
    ),
    Case(
        "merges sibling arrays by index",
        {"key1": ["element1", "element2"], "key2": ["element1", "element2"]},
        {"key1": ["element3"], "key2": ["element3", "element4"]},
        "by_index",
        {"key1": ["element3", "element2"], "key2": ["element3", "element4"]},
    ),
    Case(
        "concatenates sibling arrays",
        {"key1": ["element1", "element2"], "key2": ["element1", "element2"]},
        {"key1": ["element3"], "key2": ["element3", "element4"]},
        "concat",
        {"key1": ["element1", "element2", "element3"], "key2": ["element1", "element2", "element3", "element4"]},
    ),
    Case(
        "merges the nested entity data and concatenates its hobbies",
        {
            "entity": {
                "type": "individual",
                "data": {"name": "John Doe", "age": 30, "additionalInfo": {"hobbies": ["running", "reading"]}},
                "id": "123",
            },
            "documents": [],
        },
        {"entity": {"data": {"age": 35, "additionalInfo": {"hobbies": ["cycling"], "occupation": "engineer"}}}},
        "concat",
        {
            "entity": {
                "type": "individual",
                "data": {
                    "name": "John Doe",
                    "age": 35,
                    "additionalInfo": {"hobbies": ["running", "reading", "cycling"], "occupation": "engineer"},
                },
                "id": "123",
            },
            "documents": [],
        },
    ),
    Case(
        "merges the documents array by id",
        {"entity": {"type": "individual", "id": "123"}, "documents": [{"id": "doc1", "category": "category1"}]},
        {"documents": [{"id": "doc1", "category": "category2"}]},
        "by_id",
        {"entity": {"type": "individual", "id": "123"}, "documents": [{"id": "doc1", "category": "category2"}]},
    ),
    Case(
        "concatenates nested arrays in additionalInfo and keeps both documents with the same id",
        {
            "entity": {"type": "individual", "data": {"additionalInfo": {"hobbies": ["running", "reading"]}}, "id": "123"},
            "documents": [{"id": "doc1", "issuer": {"additionalInfo": {"requirements": ["photo", "signature"]}}}],
        },
        {
            "entity": {"data": {"additionalInfo": {"hobbies": ["cycling"]}}},
            "documents": [{"id": "doc1", "issuer": {"additionalInfo": {"requirements": ["address"]}}}],
        },
        "concat",
        {
            "entity": {
                "type": "individual",
                "data": {"additionalInfo": {"hobbies": ["running", "reading", "cycling"]}},
                "id": "123",
            },
            "documents": [
                {"id": "doc1", "issuer": {"additionalInfo": {"requirements": ["photo", "signature"]}}},
                {"id": "doc1", "issuer": {"additionalInfo": {"requirements": ["address"]}}},
            ],
        },
    ),
    Case(
        "replaces nested arrays in additionalInfo and the documents array",
        {
            "entity": {"type": "individual", "data": {"additionalInfo": {"hobbies": ["running", "reading"]}}, "id": "123"},
            "documents": [{"id": "doc1", "issuer": {"additionalInfo": {"requirements": ["photo", "signature"]}}}],
        },
        {
            "entity": {"data": {"additionalInfo": {"hobbies": ["cycling"]}}},
            "documents": [{"id": "doc1", "issuer": {"additionalInfo": {"requirements": ["address"]}}}],
        },
        "replace",
        {
            "entity": {"type": "individual", "data": {"additionalInfo": {"hobbies": ["cycling"]}}, "id": "123"},
            "documents": [{"id": "doc1", "issuer": {"additionalInfo": {"requirements": ["address"]}}}],
        },
    ),
]


def manual_review():
    return machine(
        {"pending": {"on": {"APPROVE": "approved", "REJECT": "rejected"}}, "approved": {}, "rejected": {}},
        initial="pending",
    )


def test_every_ballerine_case_has_a_distinct_name():
    assert len({case.name for case in CASES}) == len(CASES) == 21


@pytest.mark.parametrize("case", CASES, ids=[case.name.replace(" ", "_") for case in CASES])
def test_deep_merge_context_gives_ballerines_expected_context(case):
    payload = {"newContext": case.new_context, "arrayMergeOption": case.array_merge_option}
    result = manual_review().send("pending", case.context, "DEEP_MERGE_CONTEXT", payload)
    assert result.context == case.expected
    assert (result.state, result.handled) == ("pending", True)
