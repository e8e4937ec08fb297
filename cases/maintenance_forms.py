"""The form of "Edit entity data": generated from the definition's input schema when it
describes the entity's data (as Add Case Manually's is), else the data as JSON."""

import copy
import json

from django import forms

from workflows.json_values import json_parse, json_value_errors
from workflows.maintenance import DATA_PATH, json_same

from .schema_forms import SchemaForm

_MISSING = object()


class EntityJsonForm(forms.Form):
    """The entity's data as one JSON object, for definitions without an input schema."""

    entity_data = forms.CharField(
        label="Entity data (JSON)",
        widget=forms.Textarea(attrs={"rows": 16, "class": "font-monospace", "spellcheck": "false"}),
    )

    def clean_entity_data(self):
        text = self.cleaned_data["entity_data"]
        try:
            value = json_parse(text)
        except ValueError as error:
            raise forms.ValidationError(f"This is not valid JSON: {error}.") from error
        if not isinstance(value, dict):
            raise forms.ValidationError("The entity's data must be a JSON object ({...}).")
        problems = json_value_errors(value, "")
        if problems:
            raise forms.ValidationError([f"{p.path}: {p.message}" for p in problems])
        return value

    def add_located_errors(self, errors) -> None:
        for error in errors:
            self.add_error("entity_data", f"{error.path}: {error.message}" if error.path else error.message)


def entity_json_initial(data: dict) -> dict:
    return {"entity_data": json.dumps(data, indent=2, ensure_ascii=False)}


def _lookup(value, parts):
    for part in parts:
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def schema_form_initial(form: SchemaForm, data: dict) -> dict:
    """The form's fields filled with the case's current values (by their data paths)."""
    initial = {}
    for name in form.fields:
        value = _lookup(data, name.split("."))
        if value is not _MISSING:
            initial[name] = value
    return initial


def _write(data: dict, parts, value) -> None:
    for part in parts[:-1]:
        if not isinstance(data.get(part), dict):
            data[part] = {}
        data = data[part]
    data[parts[-1]] = value


def _remove(data: dict, parts) -> None:
    """Removes the key at `parts`, and the objects it leaves empty."""
    trail = [data]
    for part in parts[:-1]:
        data = data.get(part)
        if not isinstance(data, dict):
            return
        trail.append(data)
    if parts[-1] not in data:
        return
    del data[parts[-1]]
    for parent, part, child in reversed(list(zip(trail, parts, trail[1:]))):
        if child:
            break
        del parent[part]


def schema_form_data(form: SchemaForm, current: dict) -> dict:
    """The case's data with the valid form written over it: each field's value at its path, a
    field left empty removing its key. Keys the form does not show (hidden fields, data the
    schema does not describe) are kept as they are, and a value equal to the stored one (5 and
    5.0) or an unticked box for a key that is absent is not a change."""
    data = copy.deepcopy(current)
    for name, field in form.fields.items():
        parts = name.split(".")
        value, old = _lookup(form.cleaned_payload, parts), _lookup(current, parts)
        if value is _MISSING:
            _remove(data, parts)
        elif old is _MISSING and value is False and isinstance(field, forms.BooleanField):
            continue
        elif old is _MISSING or not json_same(old, value):
            _write(data, parts, value)
    return data


def form_errors_of(errors) -> tuple[list, list]:
    """Service errors split into those about the data (paths made relative to it, for the
    fields) and the others."""
    prefix = f"{DATA_PATH}."
    located, other = [], []
    for error in errors:
        if error.path.startswith(prefix):
            located.append(type(error)(error.path[len(prefix):], error.message))
        else:
            other.append(error)
    return located, other
