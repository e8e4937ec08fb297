"""Forms generated from a workflow's `meta.inputSchema` ({"dataSchema": JSON Schema, "uiSchema":
rjsf-style hints}) for Add Case Manually (SPEC section 5).

Django fields give the operator immediate, familiar errors; the whole payload is then checked
with the same JSON Schema the API uses, so the form accepts exactly what the API would."""

import copy
import datetime
import re

import jsonschema
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout
from django import forms
from django.utils.html import escape

REQUIRED = "This field is required."
FORMAT_MESSAGES = {"email": "Enter a valid email address.", "date": "Enter a valid date."}


def field_name_for(path: str) -> str:
    """The form field name of a data path ("data.companyName"); names are the paths themselves
    so server-side errors can be placed without a lookup table."""
    return path.strip(".")


def entity_input_schema(kind: str) -> dict:
    """An input schema for the entity itself, for definitions that do not describe their input."""
    if kind == "business":
        data_required = ["companyName"]
        data_fields = {"companyName": ("Company Name", {"type": "string", "minLength": 1})}
    elif kind == "individual":
        data_required = ["firstName", "lastName"]
        data_fields = {
            "firstName": ("First Name", {"type": "string", "minLength": 1}),
            "lastName": ("Last Name", {"type": "string", "minLength": 1}),
        }
    else:
        raise ValueError(f"Unknown entity kind {kind!r}.")
    data_fields["email"] = ("Email", {"type": "string", "format": "email"})
    return {
        "dataSchema": {
            "type": "object",
            "required": ["id", "type", "data"],
            "properties": {
                "id": {"type": "string", "minLength": 1},
                "type": {"type": "string", "default": kind},
                "data": {
                    "type": "object",
                    "required": data_required,
                    "properties": {key: schema for key, (_, schema) in data_fields.items()},
                },
            },
        },
        "uiSchema": {
            "id": {"ui:title": "Entity ID (As represented in your system)"},
            "type": {"hidden": True},
            "data": {"ui:label": False, **{key: {"ui:title": title} for key, (title, _) in data_fields.items()}},
        },
    }


def _ui(ui: dict, name: str, default=None):
    """A ui hint, written either as `ui:name` or inside `ui:options` (both are rjsf spellings)."""
    if f"ui:{name}" in ui:
        return ui[f"ui:{name}"]
    return (ui.get("ui:options") or {}).get(name, default)


def _is_hidden(ui: dict) -> bool:
    return ui.get("hidden") is True or _ui(ui, "widget") == "hidden"


def _type(schema: dict):
    kind = schema.get("type")
    if isinstance(kind, list):  # ["string", "null"]: the form can only offer one input
        kind = next((k for k in kind if k != "null"), None)
    return kind or ("object" if "properties" in schema else None)


def _humanise(key: str) -> str:
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", key).replace("_", " ").strip().lower()
    return words[:1].upper() + words[1:]


def _title(key: str, schema: dict, ui: dict) -> str:
    return _ui(ui, "title") or schema.get("title") or _humanise(key)


def _properties(schema: dict, ui: dict):
    """(key, schema, ui, required in parent) in `ui:order`, where "*" stands for the rest."""
    properties = schema.get("properties") or {}
    keys = list(properties)
    order = _ui(ui, "order")
    if isinstance(order, list):
        star = order.index("*") if "*" in order else len(order)
        before = [k for k in order[:star] if k in properties]
        after = [k for k in order[star + 1 :] if k in properties]
        keys = before + [k for k in keys if k not in before and k not in after] + after
    required = schema.get("required") or []
    for key in keys:
        sub = properties[key] if isinstance(properties[key], dict) else {}
        yield key, sub, ui.get(key) if isinstance(ui.get(key), dict) else {}, key in required


def _choices(schema: dict, ui: dict):
    """(values, labels) of an enum, a oneOf of consts, or a boolean shown as a select."""
    if "enum" in schema:
        values = list(schema["enum"])
        names = _ui(ui, "enumNames") or schema.get("enumNames") or []
        return values, [names[i] if i < len(names) else str(v) for i, v in enumerate(values)]
    options = schema.get("oneOf") or schema.get("anyOf") or []
    if options and all(isinstance(o, dict) and "const" in o for o in options):
        return [o["const"] for o in options], [o.get("title", str(o["const"])) for o in options]
    if _type(schema) == "boolean" and _ui(ui, "widget") in ("select", "radio"):
        return [True, False], ["Yes", "No"]
    return None


def _form_field(schema: dict, ui: dict, label: str, required: bool) -> forms.Field:
    kind, widget, fmt = _type(schema), _ui(ui, "widget"), schema.get("format")
    common = {"label": label, "required": required, "initial": schema.get("default")}
    help_text = _ui(ui, "help") or _ui(ui, "description") or schema.get("description")
    if help_text:
        common["help_text"] = _inert(str(help_text))
    choices = _choices(schema, ui)
    if choices:
        values, labels = choices
        by_key = {str(v): v for v in values}
        options = [(str(v), name) for v, name in zip(values, labels)]
        if widget != "radio" and not required:
            options.insert(0, ("", "---------"))
        widget_class = forms.RadioSelect if widget == "radio" else forms.Select
        field = forms.TypedChoiceField(
            choices=options, widget=widget_class, coerce=by_key.get, empty_value=None, **common
        )
    elif kind == "string":
        lengths = {"min_length": schema.get("minLength"), "max_length": schema.get("maxLength")}
        if fmt == "date" or widget == "date":
            field = forms.DateField(
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), input_formats=["%Y-%m-%d"], **common
            )
        elif fmt == "email" or widget == "email":
            field = forms.EmailField(**lengths, **common)
        elif widget in ("textarea", "password"):
            text_widget = forms.Textarea if widget == "textarea" else forms.PasswordInput
            field = forms.CharField(widget=text_widget, **lengths, **common)
        else:
            field = forms.CharField(**lengths, **common)
    elif kind in ("integer", "number"):
        limits = {"min_value": schema.get("minimum"), "max_value": schema.get("maximum")}
        field = (forms.IntegerField if kind == "integer" else forms.FloatField)(**limits, **common)
    elif kind == "boolean":
        common["required"] = schema.get("const") is True
        field = forms.BooleanField(**common)
    else:
        # Arrays and free-form objects: raw JSON keeps every shape reachable without a widget each.
        common.setdefault("help_text", "JSON")
        field = forms.JSONField(**common)
    placeholder = _ui(ui, "placeholder")
    if placeholder:
        field.widget.attrs["placeholder"] = placeholder
    if not isinstance(field.widget, (forms.RadioSelect, forms.CheckboxInput)):
        # The visible label ends in a required mark; the accessible name is the title alone,
        # so screen readers and scripts find the field by the words the operator sees.
        field.widget.attrs["aria-label"] = label
    return field


def _inert(text: str) -> str:
    """Definition text for crispy slots that skip escaping: legends are even rendered as templates,
    so braces are written as entities too."""
    return escape(text).replace("{", "&#123;").replace("}", "&#125;")


def _join(path: str, key) -> str:
    return f"{path}.{key}" if path else str(key)


def _message(error: jsonschema.ValidationError) -> str:
    value = error.validator_value
    if error.validator == "format":
        return FORMAT_MESSAGES.get(value, f"Enter a valid {value}.")
    if error.validator == "minLength":
        return REQUIRED if value == 1 else f"Ensure this value has at least {value} characters."
    return {
        "maxLength": f"Ensure this value has at most {value} characters.",
        "enum": "Select a valid choice.",
        "const": "Select a valid choice.",
        "minimum": f"Ensure this value is greater than or equal to {value}.",
        "maximum": f"Ensure this value is less than or equal to {value}.",
        "pattern": "Enter a value in the required format.",
        "type": f"Enter a valid {value}." if isinstance(value, str) else error.message,
    }.get(error.validator, error.message)


class SchemaForm(forms.Form):
    def __init__(self, *args, input_schema: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.data_schema = input_schema.get("dataSchema") or {}
        self.ui_schema = input_schema.get("uiSchema") or {}
        self.cleaned_payload = None
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the page's <form> carries the token
        self.helper.layout = Layout(*self._add_fields(self.data_schema, self.ui_schema, "", present=True))

    def _add_fields(self, schema: dict, ui: dict, path: str, present: bool) -> list:
        """Adds the fields of an object and returns its layout. `present`: the object is always
        sent, so its own required keys can be enforced by the form."""
        items = []
        for key, sub, sub_ui, required in _properties(schema, ui):
            if _is_hidden(sub_ui):
                continue
            name, label = field_name_for(_join(path, key)), _title(key, sub, sub_ui)
            if _type(sub) == "object" and sub.get("properties"):
                children = self._add_fields(sub, sub_ui, name, present and required)
                items += children if _ui(sub_ui, "label", True) is False else [Fieldset(_inert(label), *children)]
            else:
                self.fields[name] = _form_field(sub, sub_ui, label, present and required)
                items.append(name)
        return items

    def _collect(self, schema: dict, ui: dict, path: str) -> tuple[dict, bool]:
        """An object's payload and whether the operator filled anything in it: hidden defaults
        and unticked boxes alone do not make an optional object worth sending."""
        out, filled = {}, False
        for key, sub, sub_ui, required in _properties(schema, ui):
            name = field_name_for(_join(path, key))
            if _is_hidden(sub_ui):
                if "default" in sub:
                    out[key] = copy.deepcopy(sub["default"])  # never the POSTed value
            elif name not in self.fields:
                child, child_filled = self._collect(sub, sub_ui, name)
                if child_filled or required:
                    out[key], filled = child, filled or child_filled
            elif self.cleaned_data.get(name) not in (None, ""):
                value = self.cleaned_data[name]
                out[key] = value.isoformat() if isinstance(value, datetime.date) else value
                filled = filled or value is not False
        return out, filled

    def clean(self):
        cleaned = super().clean()
        payload, _ = self._collect(self.data_schema, self.ui_schema, "")
        validator_class = jsonschema.validators.validator_for(self.data_schema, default=jsonschema.Draft202012Validator)
        validator = validator_class(self.data_schema, format_checker=jsonschema.FormatChecker())
        rejected, placed = set(self._errors), set()
        for path, message in self._located(validator.iter_errors(payload)):
            name = self._field_for(path)
            # A field Django rejected was left out of the payload; its own error says enough.
            if name in rejected or (name or path, message) in placed:
                continue
            placed.add((name or path, message))
            self.add_error(name, message if name or not path else f"{path}: {message}")
        if not self._errors:
            self.cleaned_payload = payload
        return cleaned

    @staticmethod
    def _located(errors):
        for error in errors:
            path = ".".join(str(p) for p in error.absolute_path)
            if error.validator == "required" and isinstance(error.instance, dict):
                # jsonschema does not say which key is missing; every missing one gets the message.
                for key in error.validator_value:
                    if key not in error.instance:
                        yield _join(path, key), REQUIRED
            else:
                yield path, _message(error)

    def _field_for(self, path: str) -> str | None:
        """The field at `path`, or the field holding it (a JSON field holds its items)."""
        parts = field_name_for(path).split(".") if path else []
        while parts:
            if ".".join(parts) in self.fields:
                return ".".join(parts)
            parts.pop()
        return None

    def add_located_errors(self, errors) -> None:
        """Places errors found after the form was valid (by the service) beside their fields."""
        if self._errors is None:  # not validated yet: add_error needs the cleaned state
            self.full_clean()
        for error in errors:
            name = self._field_for(error.path or "")
            self.add_error(name, error.message if name or not error.path else f"{error.path}: {error.message}")
        if self._errors:
            self.cleaned_payload = None
