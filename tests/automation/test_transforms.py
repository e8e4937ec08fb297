"""Transformers (automation/transforms.py), as Ballerine's workflow-core runs them
(packages/workflow-core/src/lib/utils/context-transformers/ in ballerine-io/ballerine).
The tests marked "Ballerine's own case" restate its helpers-transformer.test.ts,
jmespath-transformer.test.ts and transformer-plugin.test.ts."""

import copy

import pytest

from automation.transforms import TransformError, apply_transformers


def jmespath(expression):
    return {"transformer": "jmespath", "mapping": expression}


def helper(**entry):
    return {"transformer": "helper", "mapping": [entry]}


def clock():
    return 1_700_000_000_000


# --- jmespath and chaining --------------------------------------------------------------------


def test_a_jmespath_transformer_replaces_the_record_with_its_result():
    data = {"entity": {"data": {"companyName": "Acme", "country": "GB"}}}
    assert apply_transformers([jmespath("{name: entity.data.companyName}")], data) == {"name": "Acme"}


def test_each_transformer_runs_on_the_output_of_the_one_before():
    data = {"entity": {"name": "Acme"}}
    result = apply_transformers([jmespath("entity"), jmespath("{company: name}")], data)
    assert result == {"company": "Acme"}


def test_whitespace_in_a_jmespath_mapping_is_collapsed_as_ballerine_does_even_inside_literals():
    assert apply_transformers([jmespath("{a: 'one\n   two'}")], {}) == {"a": "one two"}


def test_jmespath_compares_strings_the_way_jmespath_js_does():
    # jmespath.py gives null for 'a' < 'b'; jmespath.js (and the guards) give true
    assert apply_transformers([jmespath("{less: 'a' < 'b'}")], {}) == {"less": True}


def test_a_jmespath_error_while_running_names_the_transformer():
    with pytest.raises(TransformError) as caught:
        apply_transformers([jmespath("@"), jmespath("length(`5`)")], {}, path="request.transform")
    assert caught.value.path == "request.transform[1].mapping"


def test_the_input_is_never_changed():
    data = {"a": {"b": "x"}, "items": [{"n": 1}]}
    before = copy.deepcopy(data)
    apply_transformers([helper(source="a.b", target="a.b", method="remove")], data)
    apply_transformers(
        [
            helper(
                source="items",
                target="items",
                method="mergeArrayEachItemWithValue",
                options={"mapJmespath": "items", "mergeWithJmespath": "{extra: `1`}"},
            )
        ],
        data,
    )
    assert data == before


# --- regex -----------------------------------------------------------------------------------


def test_regex_keeps_the_first_match_ballerines_own_case():
    data = {"person": {"dateOfBirth": "2003-07-02T14:31:11.116Z"}}
    transformer = helper(source="person.dateOfBirth", target="person.dateOfBirth", method="regex", value="\\d{4}-\\d{2}-\\d{2}")
    assert apply_transformers([transformer], data) == {"person": {"dateOfBirth": "2003-07-02"}}


def test_regex_takes_only_the_first_match_not_every_match():
    data = {"ref": "ab12cd34"}
    assert apply_transformers([helper(source="ref", target="digits", method="regex", value="\\d+")], data)["digits"] == "12"


def test_regex_without_a_match_writes_null():
    data = {"ref": "abc"}
    assert apply_transformers([helper(source="ref", target="ref", method="regex", value="\\d+")], data) == {"ref": None}


def test_regex_digits_are_ascii_digits_as_in_javascript():
    data = {"ref": "\u0661\u0662\u066345"}  # Arabic-Indic 1, 2, 3 then 4, 5
    assert apply_transformers([helper(source="ref", target="ref", method="regex", value="\\d+")], data) == {"ref": "45"}


def test_regex_on_a_number_fails_naming_the_source():
    with pytest.raises(TransformError) as caught:
        apply_transformers([helper(source="amount", target="amount", method="regex", value="\\d")], {"amount": 12})
    assert caught.value.path == "transform[0].mapping[0]"
    assert "regex needs a string at 'amount', found number" in str(caught.value)


def test_regex_on_a_missing_source_fails():
    with pytest.raises(TransformError, match="regex needs a string at 'a.b', found nothing"):
        apply_transformers([helper(source="a.b", target="c", method="regex", value="x")], {"a": {}})


# --- remove, omit, setTimeToRecordUTC -------------------------------------------------------


def test_remove_deletes_the_target_ballerines_own_case_with_the_helpers_spelling():
    data = {"some": {"path": {"to": {"value": "hello world"}}}}
    transformer = {
        "transformer": "helpers",
        "mapping": [{"source": "some.path.to.value", "target": "some.path.to.value", "method": "remove"}],
    }
    assert apply_transformers([transformer], data) == {"some": {"path": {"to": {}}}}


def test_remove_creates_the_missing_steps_of_its_target_as_ballerine_does():
    assert apply_transformers([helper(source="x", target="a.b.c", method="remove")], {}) == {"a": {"b": {}}}


def test_a_falsy_step_on_the_way_to_a_target_becomes_an_object():
    data = {"a": "", "when": 1}
    result = apply_transformers([helper(source="x", target="a.b", method="setTimeToRecordUTC")], data, now_ms=clock)
    assert result["a"] == {"b": clock()}


def test_a_target_through_a_string_fails():
    with pytest.raises(TransformError, match="cannot write 'a.b': a is string"):
        apply_transformers([helper(source="x", target="a.b", method="remove")], {"a": "text"})


def test_omit_copies_the_source_without_the_listed_keys():
    data = {"ubo": {"name": "Ann", "ssn": "123", "dob": "1990"}}
    result = apply_transformers([helper(source="ubo", target="safe", method="omit", value=["ssn", "dob"])], data)
    assert result == {"ubo": {"name": "Ann", "ssn": "123", "dob": "1990"}, "safe": {"name": "Ann"}}


def test_omit_on_a_missing_source_fails():
    with pytest.raises(TransformError, match="omit needs an object at 'ubo'"):
        apply_transformers([helper(source="ubo", target="safe", method="omit", value=["ssn"])], {})


def test_set_time_to_record_utc_writes_milliseconds_since_the_epoch():
    result = apply_transformers([helper(source="invokedAt", target="invokedAt", method="setTimeToRecordUTC")], {}, now_ms=clock)
    assert result == {"invokedAt": 1_700_000_000_000}


def test_a_helper_sees_what_an_earlier_helper_of_the_same_mapping_wrote():
    transformer = {
        "transformer": "helper",
        "mapping": [
            {"source": "raw", "target": "date", "method": "regex", "value": "\\d{4}-\\d{2}-\\d{2}"},
            {"source": "date", "target": "year", "method": "regex", "value": "\\d{4}"},
        ],
    }
    assert apply_transformers([transformer], {"raw": "on 2024-05-01"})["year"] == "2024"


# --- mergeArrayEachItemWithValue -------------------------------------------------------------


def merge_each(map_expression, merge_expression, source="data", target="data"):
    return helper(
        source=source,
        target=target,
        method="mergeArrayEachItemWithValue",
        value="_",
        options={"mapJmespath": map_expression, "mergeWithJmespath": merge_expression},
    )


def test_merge_array_each_item_with_value_ballerines_own_case():
    data = {"data": [{"test": "value"}, {"test": "value2"}], "mergeValue": "test"}
    result = apply_transformers([merge_each("data", "{theValueToMerge: mergeValue}")], data)
    assert result == {
        "data": [{"test": "value", "theValueToMerge": "test"}, {"test": "value2", "theValueToMerge": "test"}],
        "mergeValue": "test",
    }


def test_merge_array_each_item_merges_deeply_as_lodash_merge_does():
    data = {"data": [{"info": {"a": 1, "list": [1, 2, 3]}}], "extra": {"info": {"b": 2, "list": [9]}}}
    result = apply_transformers([merge_each("data", "extra")], data)
    assert result["data"] == [{"info": {"a": 1, "list": [9, 2, 3], "b": 2}}]


def test_merge_array_each_item_leaves_the_source_when_the_merge_value_is_falsy():
    data = {"data": [{"a": 1}], "other": ""}
    result = apply_transformers([merge_each("data", "other", target="out")], data)
    assert result["out"] == [{"a": 1}]


def test_merge_array_each_item_leaves_the_source_when_the_array_is_empty():
    data = {"empty": [], "keep": "yes", "extra": {"x": 1}}
    result = apply_transformers([merge_each("empty", "extra", source="keep", target="out")], data)
    assert result["out"] == "yes"


def test_merge_array_each_item_fails_when_the_map_expression_is_not_an_array():
    with pytest.raises(TransformError, match="must give an array, gave object"):
        apply_transformers([merge_each("extra", "extra")], {"data": [], "extra": {"x": 1}})


# --- the api plugin's chain ------------------------------------------------------------------


def test_an_api_chain_drops_top_level_nulls_after_each_transformer_and_keeps_nested_ones():
    result = apply_transformers([jmespath("{a: missing, b: {c: missing}, d: 'x'}")], {}, drop_top_level_nulls=True)
    assert result == {"b": {"c": None}, "d": "x"}


def test_other_chains_keep_top_level_nulls():
    assert apply_transformers([jmespath("{a: missing}")], {}) == {"a": None}


def test_an_api_chain_fails_on_a_transformer_that_gives_null():
    with pytest.raises(TransformError, match="produced null, not an object"):
        apply_transformers([jmespath("missing")], {}, drop_top_level_nulls=True)


def test_an_api_chain_keeps_an_array_an_array():
    assert apply_transformers([jmespath("items")], {"items": [1, None]}, drop_top_level_nulls=True) == [1, None]


def test_an_iterative_chain_may_give_an_array():
    data = {"ubos": [{"name": "Ann"}, {"name": "Bob"}]}
    assert apply_transformers([jmespath("ubos[].{entity: @}")], data) == [{"entity": {"name": "Ann"}}, {"entity": {"name": "Bob"}}]
