"""The readable entity (cases/entity_view.py): what is shown of a business or a person, with
labels from the input schema, and hostile values escaped or ignored. Pure: no database."""

import json
from pathlib import Path

import pytest
from django.template.loader import render_to_string

from cases.entity_view import MAX_PEOPLE, address_lines, entity_view, input_labels, ownership_label, safe_url

DEMO = Path(__file__).resolve().parents[2] / "workflows" / "demo"


def demo_statechart(key):
    return json.loads((DEMO / f"{key}.json").read_text())["statechart"]


def fields_of(view):
    return {field["label"]: field.get("lines") or field.get("text") for field in view["fields"]}


BUSINESS = {
    "companyName": "Meridian Shipping Ltd",
    "registrationNumber": "08123456",
    "country": "GB",
    "legalForm": "Private limited company",
    "address": {"street": "Dock Road", "streetNumber": "4", "city": "Southampton", "postcode": "SO14 3XX", "country": "GB"},
    "website": "https://meridian.example/about",
    "additionalInfo": {
        "mainRepresentative": {"firstName": "Helen", "lastName": "Park", "email": "helen@meridian.example"},
        "ubos": [
            {"id": "ubo-helen", "firstName": "Helen", "lastName": "Park", "email": "helen@meridian.example", "ownership": 55},
            {"id": "ubo-omar", "firstName": "Omar", "lastName": "Haddad", "ownership": "45.5"},
        ],
        "directors": [{"firstName": "Iris", "lastName": "Vale"}],
        "industry": "shipping",
    },
    "vatNumber": "GB123",
}


def test_a_business_shows_its_main_fields_with_default_labels():
    view = entity_view("business", BUSINESS)
    assert fields_of(view) == {
        "Company name": "Meridian Shipping Ltd",
        "Registration number": "08123456",
        "Country": "GB",
        "Legal form": "Private limited company",
        "Address": ["Dock Road 4", "Southampton", "SO14 3XX", "GB"],
        "Website": "https://meridian.example/about",
    }


def test_the_main_representative_is_shown_by_name_and_email():
    representative = entity_view("business", BUSINESS)["representative"]
    assert representative["name"] == "Helen Park"
    assert [(f["label"], f["text"]) for f in representative["fields"]] == [("Email", "helen@meridian.example")]


def test_ubos_and_directors_are_rows_with_their_ownership():
    people = entity_view("business", BUSINESS)["people"]
    assert [(p["name"], p["role"], p["ownership"]) for p in people] == [
        ("Helen Park", "UBO", "55%"), ("Omar Haddad", "UBO", "45.5%"), ("Iris Vale", "Director", ""),
    ]


def test_a_ubo_row_carries_its_child_case_and_entity_record_from_the_maps_given():
    child = object()
    view = entity_view("business", BUSINESS, business_id="biz", children={"ubo-helen": child}, entities={"ubo-omar": "pk-omar"})
    helen, omar, iris = view["people"]
    assert (helen["child"], helen["entity_pk"]) == (child, None)
    assert (omar["child"], omar["entity_pk"]) == (None, "pk-omar")
    assert iris["entity_id"].startswith("biz-person-")  # the id ENTITIES_UPDATE gives a person without one


def test_what_no_field_shows_stays_in_the_rest():
    rest = entity_view("business", BUSINESS)["rest"]
    assert rest == {"vatNumber": "GB123", "additionalInfo": {"industry": "shipping"}}


def test_an_individual_shows_the_person():
    person = {"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com", "dateOfBirth": "1815-12-10", "nationality": "GB", "address": "12 St James's Square\nLondon"}
    view = entity_view("individual", person)
    assert fields_of(view) == {
        "First name": "Ada", "Last name": "Lovelace", "Email": "ada@example.com", "Date of birth": "1815-12-10",
        "Nationality": "GB", "Address": ["12 St James's Square", "London"],
    }
    assert view["rest"] == {} and view["people"] == [] and view["representative"] is None


def test_labels_come_from_the_input_schemas_ui_titles():
    labels = input_labels(demo_statechart("till_basic_kyb_demo"))
    assert labels["companyName"] == "Company Name"
    assert labels["additionalInfo.mainRepresentative.email"] == "Email"
    view = entity_view("business", {"companyName": "X", "companyType": "LLC"}, labels=labels)
    assert fields_of(view) == {"Company Name": "X", "Company Type": "LLC"}


def test_labels_come_from_data_schema_titles_when_the_ui_schema_has_none():
    statechart = {
        "initial": "a",
        "states": {"a": {"meta": {"inputSchema": {"dataSchema": {"properties": {"data": {"properties": {"registrationNumber": {"title": "Companies House number"}}}}}}}}},
    }
    assert input_labels(statechart) == {"registrationNumber": "Companies House number"}


@pytest.mark.parametrize("statechart", [None, [], {"initial": 3}, {"initial": "a", "states": {"a": {"meta": {"inputSchema": "x"}}}},
                                        {"initial": "a", "states": {"a": {"meta": {"inputSchema": {"dataSchema": [], "uiSchema": 5}}}}}])
def test_a_malformed_input_schema_gives_no_labels(statechart):
    assert input_labels(statechart) == {}


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>x</script>", "//evil.example", "www.example.com",
                                 "https://", "http://exa mple.com", "https://a.example/\nx", 42, None])
def test_only_absolute_http_urls_become_links(url):
    assert safe_url(url) is None


def test_an_https_website_becomes_a_link():
    assert safe_url(" https://example.com/a?b=1 ") == "https://example.com/a?b=1"


def test_a_javascript_website_is_shown_as_text_without_a_link():
    html = render_to_string("cases/_entity.html", {"view": entity_view("business", {"website": "javascript:alert(1)"}), "links": True})
    assert "javascript:alert(1)" in html and "href=\"javascript" not in html


def test_html_in_values_is_escaped_on_the_page():
    hostile = "<script>alert(1)</script>"
    data = {"companyName": hostile, "address": {"street": hostile}, "additionalInfo": {"ubos": [{"firstName": hostile, "ownership": 10}]}, "x": hostile}
    html = render_to_string("cases/_entity.html", {"view": entity_view("business", data), "links": True})
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("value", [True, ["a", "b"], {"nested": "object"}, None, ""])
def test_values_of_the_wrong_type_are_not_fields_and_stay_in_the_rest(value):
    view = entity_view("business", {"companyName": value, "website": value})
    assert view["fields"] == []
    assert set(view["rest"]) == {"companyName", "website"}


@pytest.mark.parametrize("info", ["a string", ["list"], 7])
def test_additional_info_that_is_not_an_object_is_kept_as_it_is(info):
    view = entity_view("business", {"companyName": "X", "additionalInfo": info})
    assert view["people"] == [] and view["rest"] == {"additionalInfo": info}


def test_people_that_are_not_objects_or_have_a_bad_ownership_are_handled():
    data = {"additionalInfo": {"ubos": ["just text", 5, {"firstName": "A", "ownership": "lots"}, {"lastName": "B", "ownership": 250}]}}
    view = entity_view("business", data)
    assert [(p["name"], p["ownership"]) for p in view["people"]] == [("A", ""), ("B", "")]
    assert view["rest"]["additionalInfo"]["ubos"][0] == "just text"  # not every item shown: the list stays


def test_a_huge_list_of_ubos_is_cut_and_stays_whole_in_the_rest():
    ubos = [{"firstName": f"P{n}", "ownership": 0.01} for n in range(MAX_PEOPLE + 50)]
    view = entity_view("business", {"additionalInfo": {"ubos": ubos}})
    assert len(view["people"]) == MAX_PEOPLE and view["people_more"] == 50
    assert len(view["rest"]["additionalInfo"]["ubos"]) == MAX_PEOPLE + 50


def test_a_long_text_is_cut_on_the_page():
    view = entity_view("individual", {"firstName": "x" * 10_000})
    assert len(view["fields"][0]["text"]) == 501


def test_an_address_of_many_lines_is_cut_and_one_of_another_type_is_not_shown():
    assert len(address_lines("\n".join(str(n) for n in range(100)))) == 12
    assert address_lines(["12 Road"]) == []
    assert address_lines({"street": {"deep": 1}, "city": "Paris", "flag": True}) == ["Paris"]


def test_data_that_is_not_an_object_shows_nothing():
    assert entity_view("business", ["not", "a", "dict"]) == {
        "kind": "business", "fields": [], "representative": None, "people": [], "people_more": 0, "rest": {},
    }


@pytest.mark.parametrize("value, shown", [(55, "55%"), ("45.50", "45.5%"), (1e2, "100%"), ("1E+1", "10%"), ("-0", "0%"), (0.125, "0.125%"),
                                          ("NaN", ""), ("sNaN", ""), ("Infinity", ""), (101, ""), (-1, ""), (True, ""), ([50], ""), ({"v": 5}, ""), ("", "")])
def test_an_ownership_is_shown_only_for_a_number_from_0_to_100(value, shown):
    assert ownership_label({"ownership": value}) == shown
