"""Forms generated from a workflow's input schema (Add Case Manually, SPEC section 5)."""

import json
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.template import Context, Template

from cases.schema_forms import SchemaForm, entity_input_schema, field_name_for

# Rendering needs no URLs, but crispy resolves `form_action` through the URLconf; an empty one
# keeps these tests independent of the views.
urlpatterns = []
pytestmark = pytest.mark.urls(__name__)

DEMO = Path(__file__).resolve().parents[2] / "workflows" / "demo"
REP = "data.additionalInfo.mainRepresentative"


def demo_input_schema(filename):
    statechart = json.loads((DEMO / filename).read_text())["statechart"]
    return statechart["states"]["manual_review"]["meta"]["inputSchema"]


@pytest.fixture
def kyb():
    return demo_input_schema("till_basic_kyb_demo.json")


@pytest.fixture
def kyc():
    return demo_input_schema("individual_kyc_demo.json")


VALID_KYB = {
    "id": "manual-1",
    "data.companyName": "Form Co",
    "data.companyType": "LLC",
    f"{REP}.email": "rep@example.com",
    f"{REP}.firstName": "Rita",
    f"{REP}.lastName": "Rep",
}

VALID_KYC = {
    "id": "person-1",
    "data.firstName": "Ada",
    "data.lastName": "Lovelace",
    "data.email": "ada@example.com",
}


@dataclass
class Page:
    """What a browser would see: labels (by the input they name), controls, legends, in order."""

    labels: dict
    controls: dict
    order: list
    legends: list
    html: str

    def label(self, name):
        return self.labels[self.controls[name]["id"]]


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__()
        self.labels, self.controls, self.order, self.legends = {}, {}, [], []
        self._label_for, self._text, self._in_legend = None, [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label":
            self._label_for, self._text = attrs.get("for"), []
        elif tag == "legend":
            self._in_legend, self._text = True, []
        elif tag in ("input", "select", "textarea") and "name" in attrs:
            self.controls.setdefault(attrs["name"], {**attrs, "tag": tag})
            self.order.append(attrs["name"])

    def handle_data(self, data):
        self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "label" and self._label_for:
            self.labels[self._label_for] = " ".join("".join(self._text).split())
            self._label_for = None
        elif tag == "legend":
            self.legends.append(" ".join("".join(self._text).split()))
            self._in_legend = False


def render(form) -> Page:
    html = Template("{% load crispy_forms_tags %}{% crispy form form.helper %}").render(Context({"form": form}))
    reader = _Reader()
    reader.feed(html)
    return Page(reader.labels, reader.controls, reader.order, reader.legends, html)


@dataclass
class Located:
    path: str
    message: str


# Rendering


def test_labels_come_from_ui_titles_and_name_their_inputs(kyb):
    page = render(SchemaForm(input_schema=kyb))
    assert page.label("id") == "Entity ID (As represented in your system)*"
    assert page.label("data.companyName") == "Company Name*"
    assert page.label("data.companyType") == "Company Type"
    assert page.label(f"{REP}.email") == "Email*"


def test_labels_fall_back_to_the_schema_title_then_the_humanised_key():
    schema = {"dataSchema": {"properties": {"companyName": {"type": "string"}, "vat": {"type": "string", "title": "VAT"}}}}
    page = render(SchemaForm(input_schema=schema))
    assert (page.label("companyName"), page.label("vat")) == ("Company name", "VAT")


def test_ui_order_orders_the_fields_of_an_object(kyb):
    page = render(SchemaForm(input_schema=kyb))
    assert page.order == ["id", "data.companyName", "data.companyType", f"{REP}.email", f"{REP}.firstName", f"{REP}.lastName"]


def test_a_star_in_ui_order_stands_for_the_remaining_properties():
    schema = {
        "dataSchema": {"properties": {key: {"type": "string"} for key in ("a", "b", "c", "d")}},
        "uiSchema": {"ui:order": ["d", "*", "a"]},
    }
    assert render(SchemaForm(input_schema=schema)).order == ["d", "b", "c", "a"]


def test_hidden_fields_are_not_rendered(kyb):
    page = render(SchemaForm(input_schema=kyb))
    assert "type" not in page.controls
    assert 'name="type"' not in page.html


def test_required_fields_are_marked_and_optional_ones_are_not(kyb):
    page = render(SchemaForm(input_schema=kyb))
    required = {name for name in page.order if page.label(name).endswith("*")}
    assert required == {"id", "data.companyName", f"{REP}.email", f"{REP}.firstName", f"{REP}.lastName"}


def test_a_required_field_inside_an_optional_object_is_not_required_by_the_form():
    schema = {
        "dataSchema": {
            "properties": {"address": {"type": "object", "required": ["city"], "properties": {"city": {"type": "string"}}}}
        }
    }
    assert SchemaForm(input_schema=schema).fields["address.city"].required is False


def test_email_and_date_formats_render_typed_inputs(kyc):
    page = render(SchemaForm(input_schema=kyc))
    assert page.controls["data.email"]["type"] == "email"
    assert page.controls["data.dateOfBirth"]["type"] == "date"


def test_an_optional_enum_renders_a_select_with_an_empty_choice(kyc):
    form = SchemaForm(input_schema=kyc)
    assert render(form).controls["data.documentType"]["tag"] == "select"
    assert [value for value, _ in form.fields["data.documentType"].choices] == ["", "passport", "id_card", "drivers_license"]


def test_enum_names_label_the_choices():
    schema = {"dataSchema": {"required": ["size"], "properties": {"size": {"enum": ["s", "l"], "enumNames": ["Small", "Large"]}}}}
    assert SchemaForm(input_schema=schema).fields["size"].choices == [("s", "Small"), ("l", "Large")]


def test_placeholder_and_help_text_come_from_the_ui_schema(kyc):
    page = render(SchemaForm(input_schema=kyc))
    assert page.controls["data.email"]["placeholder"] == "name@example.com"
    assert "The document the person will upload." in page.html
    assert page.controls["data.documentType"]["aria-describedby"] == "id_data.documentType_helptext"


def test_objects_without_ui_label_false_become_titled_fieldsets():
    schema = {
        "dataSchema": {"properties": {"address": {"type": "object", "properties": {"city": {"type": "string"}}}}},
        "uiSchema": {"address": {"ui:title": "Postal address"}},
    }
    page = render(SchemaForm(input_schema=schema))
    assert page.legends == ["Postal address"]
    assert page.label("address.city") == "City"


def test_objects_with_ui_label_false_have_no_legend(kyb):
    assert render(SchemaForm(input_schema=kyb)).legends == []


def test_legends_and_help_from_the_definition_are_shown_as_plain_text():
    schema = {
        "dataSchema": {
            "properties": {
                "address": {"type": "object", "title": "<b>{{ form }}</b>", "properties": {"city": {"type": "string"}}},
                "note": {"type": "string", "description": "<script>alert(1)</script>"},
            }
        }
    }
    page = render(SchemaForm(input_schema=schema))
    assert page.legends == ["<b>{{ form }}</b>"]
    assert "<b>" not in page.html and "<script>" not in page.html


def test_widgets_named_in_the_ui_schema_are_used():
    schema = {
        "dataSchema": {
            "properties": {
                "notes": {"type": "string"},
                "secret": {"type": "string"},
                "size": {"enum": ["s", "l"]},
                "agreed": {"type": "boolean"},
            }
        },
        "uiSchema": {"notes": {"ui:widget": "textarea"}, "secret": {"ui:widget": "password"}, "size": {"ui:widget": "radio"}},
    }
    controls = render(SchemaForm(input_schema=schema)).controls
    assert controls["notes"]["tag"] == "textarea"
    assert controls["secret"]["type"] == "password"
    assert controls["size"]["type"] == "radio"
    assert controls["agreed"]["type"] == "checkbox"


def test_the_form_helper_leaves_the_form_tag_to_the_page(kyb):
    form = SchemaForm(input_schema=kyb)
    assert form.helper.form_tag is False
    assert "<form" not in render(form).html


# Submitting


def test_valid_data_gives_the_nested_payload_with_hidden_defaults(kyb):
    form = SchemaForm(VALID_KYB, input_schema=kyb)
    assert form.is_valid(), form.errors
    assert form.cleaned_payload == {
        "id": "manual-1",
        "type": "business",
        "data": {
            "companyName": "Form Co",
            "companyType": "LLC",
            "additionalInfo": {"mainRepresentative": {"email": "rep@example.com", "firstName": "Rita", "lastName": "Rep"}},
        },
    }


def test_a_posted_value_for_a_hidden_field_is_ignored(kyb):
    form = SchemaForm({**VALID_KYB, "type": "individual"}, input_schema=kyb)
    assert form.is_valid(), form.errors
    assert form.cleaned_payload["type"] == "business"


def test_empty_optional_strings_are_left_out(kyb):
    form = SchemaForm({**VALID_KYB, "data.companyType": ""}, input_schema=kyb)
    assert form.is_valid(), form.errors
    assert "companyType" not in form.cleaned_payload["data"]


def test_dates_are_sent_as_iso_strings(kyc):
    form = SchemaForm({**VALID_KYC, "data.dateOfBirth": "1815-12-10"}, input_schema=kyc)
    assert form.is_valid(), form.errors
    assert form.cleaned_payload["data"]["dateOfBirth"] == "1815-12-10"


def test_optional_objects_with_nothing_filled_are_left_out():
    schema = {
        "dataSchema": {
            "properties": {
                "name": {"type": "string"},
                "address": {"type": "object", "required": ["city"], "properties": {"city": {"type": "string"}}},
            }
        }
    }
    form = SchemaForm({"name": "Ada"}, input_schema=schema)
    assert form.is_valid(), form.errors
    assert form.cleaned_payload == {"name": "Ada"}


def test_a_partly_filled_optional_object_must_satisfy_its_required_fields():
    schema = {
        "dataSchema": {
            "properties": {
                "address": {
                    "type": "object",
                    "required": ["city"],
                    "properties": {"street": {"type": "string"}, "city": {"type": "string"}},
                }
            }
        }
    }
    form = SchemaForm({"address.street": "Main St"}, input_schema=schema)
    assert not form.is_valid()
    assert form.errors == {"address.city": ["This field is required."]}


def test_numbers_booleans_and_json_fields_are_typed_in_the_payload():
    schema = {
        "dataSchema": {
            "properties": {
                "employees": {"type": "integer"},
                "revenue": {"type": "number"},
                "listed": {"type": "boolean"},
                "tags": {"type": "array", "items": {"type": "string"}},
            }
        }
    }
    form = SchemaForm({"employees": "12", "revenue": "3.5", "listed": "on", "tags": '["a", "b"]'}, input_schema=schema)
    assert form.is_valid(), form.errors
    assert form.cleaned_payload == {"employees": 12, "revenue": 3.5, "listed": True, "tags": ["a", "b"]}


def test_invalid_json_in_a_json_field_is_an_error_on_that_field():
    schema = {"dataSchema": {"properties": {"tags": {"type": "array"}}}}
    form = SchemaForm({"tags": "[oops"}, input_schema=schema)
    assert not form.is_valid()
    assert list(form.errors) == ["tags"]


def test_a_missing_required_field_is_an_error_on_that_field(kyb):
    form = SchemaForm({**VALID_KYB, "data.companyName": ""}, input_schema=kyb)
    assert not form.is_valid()
    assert form.errors == {"data.companyName": ["This field is required."]}
    assert form.cleaned_payload is None


def test_a_bad_email_is_an_error_on_that_field(kyb):
    form = SchemaForm({**VALID_KYB, f"{REP}.email": "not-an-email"}, input_schema=kyb)
    assert not form.is_valid()
    assert form.errors == {f"{REP}.email": ["Enter a valid email address."]}


def test_a_bad_date_is_an_error_on_that_field(kyc):
    form = SchemaForm({**VALID_KYC, "data.dateOfBirth": "1815-02-30"}, input_schema=kyc)
    assert not form.is_valid()
    assert form.errors == {"data.dateOfBirth": ["Enter a valid date."]}


def test_a_value_outside_the_enum_is_an_error_on_that_field(kyc):
    form = SchemaForm({**VALID_KYC, "data.documentType": "library_card"}, input_schema=kyc)
    assert not form.is_valid()
    assert list(form.errors) == ["data.documentType"]
    assert form.errors["data.documentType"][0].startswith("Select a valid choice.")


def test_json_schema_errors_the_form_fields_cannot_see_go_beside_their_field():
    schema = {"dataSchema": {"properties": {"code": {"type": "string", "pattern": "^[A-Z]{3}$"}}}}
    form = SchemaForm({"code": "abc"}, input_schema=schema)
    assert not form.is_valid()
    assert form.errors == {"code": ["Enter a value in the required format."]}


def test_a_json_schema_error_without_a_field_is_a_non_field_error():
    schema = {"dataSchema": {"properties": {"kind": {"type": "string", "const": "x", "default": "y"}}}, "uiSchema": {"kind": {"hidden": True}}}
    form = SchemaForm({}, input_schema=schema)
    assert not form.is_valid()
    assert form.non_field_errors() == ["kind: Select a valid choice."]


# Errors found later by the service


def test_a_located_error_goes_on_the_field_with_that_path(kyb):
    form = SchemaForm(VALID_KYB, input_schema=kyb)
    assert form.is_valid()
    form.add_located_errors([Located("data.companyName", "Already registered.")])
    assert form.errors == {"data.companyName": ["Already registered."]}
    assert form.cleaned_payload is None


def test_a_located_error_without_a_field_becomes_a_non_field_error(kyb):
    form = SchemaForm(VALID_KYB, input_schema=kyb)
    assert form.is_valid()
    form.add_located_errors([Located("data.additionalInfo", "Not allowed."), Located("", "Try again.")])
    assert form.non_field_errors() == ["data.additionalInfo: Not allowed.", "Try again."]
    assert form.has_error("data.companyName") is False


def test_field_names_are_the_data_paths():
    assert field_name_for("data.additionalInfo.mainRepresentative.email") == "data.additionalInfo.mainRepresentative.email"


# Definitions without an input schema


def test_the_business_entity_form_asks_for_id_and_company_name():
    form = SchemaForm(input_schema=entity_input_schema("business"))
    page = render(form)
    assert page.order == ["id", "data.companyName", "data.email"]
    assert page.label("id") == "Entity ID (As represented in your system)*"
    assert page.label("data.companyName") == "Company Name*"
    assert (page.label("data.email"), page.controls["data.email"]["type"]) == ("Email", "email")


def test_the_business_entity_form_gives_a_business_payload():
    form = SchemaForm({"id": "b-1", "data.companyName": "ACME", "type": "individual"}, input_schema=entity_input_schema("business"))
    assert form.is_valid(), form.errors
    assert form.cleaned_payload == {"id": "b-1", "type": "business", "data": {"companyName": "ACME"}}


def test_the_individual_entity_form_asks_for_id_and_names():
    page = render(SchemaForm(input_schema=entity_input_schema("individual")))
    assert page.order == ["id", "data.firstName", "data.lastName", "data.email"]
    assert (page.label("data.firstName"), page.label("data.lastName"), page.label("data.email")) == ("First Name*", "Last Name*", "Email")


def test_the_individual_entity_form_gives_an_individual_payload():
    data = {"id": "p-1", "data.firstName": "Ada", "data.lastName": "Lovelace", "data.email": "ada@example.com"}
    form = SchemaForm(data, input_schema=entity_input_schema("individual"))
    assert form.is_valid(), form.errors
    assert form.cleaned_payload == {
        "id": "p-1",
        "type": "individual",
        "data": {"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com"},
    }


def test_an_unknown_entity_kind_is_refused():
    with pytest.raises(ValueError):
        entity_input_schema("robot")
