"""What the readable entity shows (issue 16, item 1): a business's or a person's main fields as
labelled values, its UBOs and directors as rows, and everything else left for the data tree.

Pure: no query, no request. Values come from a case's context (anything a client sent), so only
strings and numbers are shown as fields; any other type is left in the tree, where it is shown
escaped as JSON. The templates escape every value; links are made only for http(s) URLs."""

from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from automation.entities import ROLES, person_of

# Longest text shown in a field (the tree below keeps the whole value).
MAX_TEXT = 500
# Most lines of an address, and most people listed per role (the rest stays in the tree).
MAX_LINES = 12
MAX_PEOPLE = 100

ROLE_LABELS = {"ubos": "UBO", "directors": "Director"}

# (label, the keys it is read from, how it is shown); the first key present is shown.
BUSINESS_FIELDS = (
    ("Company name", ("companyName", "name"), "text"),
    ("Registration number", ("registrationNumber",), "text"),
    ("Country", ("country", "countryOfIncorporation"), "text"),
    ("Legal form", ("legalForm", "companyType"), "text"),
    ("Tax ID", ("taxIdentificationNumber",), "text"),
    ("Date of incorporation", ("dateOfIncorporation",), "text"),
    ("Address", ("address",), "address"),
    ("Website", ("website",), "url"),
    ("Email", ("email",), "text"),
    ("Phone", ("phoneNumber", "phone"), "text"),
)
PERSON_FIELDS = (
    ("First name", ("firstName",), "text"),
    ("Last name", ("lastName",), "text"),
    ("Email", ("email",), "text"),
    ("Date of birth", ("dateOfBirth",), "text"),
    ("Nationality", ("nationality",), "text"),
    ("Country", ("country",), "text"),
    ("Address", ("address",), "address"),
    ("Phone", ("phoneNumber", "phone"), "text"),
)
REPRESENTATIVE_FIELDS = (
    ("Email", ("email",), "text"),
    ("Phone", ("phoneNumber", "phone"), "text"),
    ("Job title", ("jobTitle", "title"), "text"),
)
# An address object's parts, in reading order; other plain parts follow in their own order.
ADDRESS_ORDER = (
    "line1", "addressLine1", "line2", "addressLine2", "street", "streetNumber", "houseNumber",
    "city", "postcode", "postalCode", "zipCode", "zip", "state", "region", "country",
)


# ----- labels from the definition's input schema


def input_labels(statechart) -> dict[str, str]:
    """Field labels of the entity's data by dotted path ("companyName",
    "additionalInfo.mainRepresentative.email"), from the initial state's `meta.inputSchema`:
    the uiSchema's `ui:title`, else the dataSchema's `title`. Any malformed part is ignored."""
    if not isinstance(statechart, dict):
        return {}
    states = statechart.get("states")
    initial = states.get(statechart.get("initial")) if isinstance(states, dict) and isinstance(statechart.get("initial"), str) else None
    meta = initial.get("meta") if isinstance(initial, dict) else None
    schema = meta.get("inputSchema") if isinstance(meta, dict) else None
    if not isinstance(schema, dict):
        return {}
    data_schema = _object(schema.get("dataSchema"))
    ui_schema = _object(schema.get("uiSchema"))
    properties = _object(data_schema.get("properties"))
    if isinstance(properties.get("data"), dict):  # the schema describes the whole entity
        data_schema, ui_schema = properties["data"], _object(ui_schema.get("data"))
    labels: dict[str, str] = {}
    _collect_labels(data_schema, ui_schema, "", labels, depth=0)
    return labels


def _object(value) -> dict:
    return value if isinstance(value, dict) else {}


def _collect_labels(schema: dict, ui: dict, prefix: str, labels: dict, depth: int) -> None:
    if depth > 8:
        return
    properties = _object(schema.get("properties"))
    for key in set(properties) | {k for k in ui if not k.startswith("ui:") and isinstance(ui.get(k), dict)}:
        if not isinstance(key, str):
            continue
        child_schema, child_ui = _object(properties.get(key)), _object(ui.get(key))
        title = child_ui.get("ui:title") or child_schema.get("title")
        path = f"{prefix}{key}"
        if isinstance(title, str) and title.strip():
            labels[path] = title.strip()[:200]
        _collect_labels(child_schema, child_ui, f"{path}.", labels, depth + 1)


# ----- values


def _text(value) -> str | None:
    """A value shown as text: strings and numbers only (booleans, objects and lists are not)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str) and value.strip():
        text = value.strip()
        return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "…"
    return None


def address_lines(value) -> list[str]:
    """An address as lines: a string by its own lines, an object by its plain parts (street and
    number together), known parts first. Nothing for any other type."""
    if isinstance(value, str):
        lines = [line.strip() for line in value.splitlines()]
    elif isinstance(value, dict):
        parts = {key: _text(part) for key, part in value.items() if isinstance(key, str) and _text(part)}
        ordered = [key for key in ADDRESS_ORDER if key in parts] + [key for key in parts if key not in ADDRESS_ORDER]
        lines, used = [], set()
        for key in ordered:
            if key in used:
                continue
            line = parts[key]
            number = next((n for n in ("streetNumber", "houseNumber") if n in parts and n not in used), None)
            if key == "street" and number:
                line, used = f"{line} {parts[number]}", used | {number}
            used.add(key)
            lines.append(line)
    else:
        return []
    lines = [line if len(line) <= MAX_TEXT else line[:MAX_TEXT] + "…" for line in lines if line]
    return lines[:MAX_LINES]


def safe_url(value) -> str | None:
    """The value as a link target when it is an absolute http(s) URL with a host, else None
    (javascript:, data:, relative and malformed URLs are shown as text only)."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    if len(url) > 2000 or any(ch in url for ch in "\r\n\t\x00 "):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.hostname else None


OWNERSHIP_KEYS = ("ownership", "ownershipPercentage", "percentageOfOwnership")


def ownership_label(person: dict) -> str:
    """"55%" for a number from 0 to 100 (a string of one too), else nothing: NaN, infinities,
    booleans and other types are not an ownership."""
    value = next((person[key] for key in OWNERSHIP_KEYS if key in person), None)
    if isinstance(value, bool) or not isinstance(value, (int, float, str)) or len(str(value)) > 40:
        return ""
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return ""
    if not number.is_finite() or not Decimal(0) <= number <= Decimal(100):
        return ""
    text = format(abs(number).normalize() if number == 0 else number.normalize(), "f")
    return f"{text}%"


# ----- the view


def _field(label: str, path: str, value, how: str, labels: dict) -> dict | None:
    label = labels.get(path, label)
    if how == "address":
        lines = address_lines(value)
        return {"key": path, "label": label, "lines": lines} if lines else None
    text = _text(value)
    if text is None:
        return None
    if how == "url":
        return {"key": path, "label": label, "text": text, "href": safe_url(value)}
    return {"key": path, "label": label, "text": text}


def _fields(specs, data: dict, labels: dict, prefix: str = "") -> tuple[list[dict], set[str]]:
    fields, shown = [], set()
    for label, keys, how in specs:
        key = next((k for k in keys if k in data), None)
        if key is None:
            continue
        field = _field(label, f"{prefix}{key}", data[key], how, labels)
        if field is not None:
            fields.append(field)
            shown.add(key)
    return fields, shown


def _person_name(person: dict) -> str:
    name = " ".join(part for part in (_text(person.get("firstName")), _text(person.get("lastName"))) if part)
    return name or _text(person.get("name")) or _text(person.get("fullName")) or ""


def _people(info: dict, business_id: str, children: dict, entities: dict) -> tuple[list[dict], int, set[str]]:
    rows, more, shown = [], 0, set()
    for key in ROLES:
        listed = info.get(key)
        if not isinstance(listed, list):
            continue
        people = [person for person in listed if isinstance(person, dict)]
        for person in people[:MAX_PEOPLE]:
            entity_id = person_of(person, business_id)["id"]
            rows.append(
                {
                    "role": ROLE_LABELS[key],
                    "name": _person_name(person) or "(no name)",
                    "email": _text(person.get("email")) or "",
                    "ownership": ownership_label(person),
                    "entity_id": entity_id,
                    "child": children.get(entity_id),
                    "entity_pk": entities.get(entity_id),
                }
            )
        if len(people) > MAX_PEOPLE:
            more += len(people) - MAX_PEOPLE
        elif len(people) == len(listed):
            shown.add(key)  # every item shown: the tree need not repeat them
    return rows, more, shown


def entity_view(kind: str, data, *, labels: dict | None = None, business_id: str = "", children: dict | None = None, entities: dict | None = None) -> dict:
    """What the page shows of an entity's data.

    `labels` by dotted data path (input_labels); `children` maps a person's entity id to their
    child case, and `entities` to their entity record's primary key, so that a UBO row links to
    either without a query of its own. `rest` is the data that no field or row shows."""
    data = data if isinstance(data, dict) else {}
    labels = labels or {}
    children, entities = children or {}, entities or {}
    info = data.get("additionalInfo") if isinstance(data.get("additionalInfo"), dict) else {}
    view = {"kind": kind, "fields": [], "representative": None, "people": [], "people_more": 0, "rest": {}}
    if kind == "business":
        view["fields"], shown = _fields(BUSINESS_FIELDS, data, labels)
        shown_info = set()
        representative = info.get("mainRepresentative")
        if isinstance(representative, dict):
            path = "additionalInfo.mainRepresentative."
            fields, used = _fields(REPRESENTATIVE_FIELDS, representative, labels, path)
            name = _person_name(representative)
            if name or fields:
                view["representative"] = {"label": labels.get("additionalInfo.mainRepresentative", "Main representative"), "name": name, "fields": fields}
                if not set(representative) - used - {"firstName", "lastName"}:
                    shown_info.add("mainRepresentative")
        view["people"], view["people_more"], shown_people = _people(info, business_id, children, entities)
        shown_info |= shown_people
        # Top-level ubos / directors lists are read too (some clients send them there).
        top_people, top_more, top_shown = _people(data, business_id, children, entities)
        view["people"] += top_people
        view["people_more"] += top_more
        shown |= top_shown
    else:
        view["fields"], shown = _fields(PERSON_FIELDS, data, labels)
        shown_info = set()
    rest = {key: value for key, value in data.items() if key not in shown and key != "additionalInfo"}
    if info:
        left = {key: value for key, value in info.items() if key not in shown_info}
        if left:
            rest["additionalInfo"] = left
    elif "additionalInfo" in data and data["additionalInfo"] not in ({}, None):
        rest["additionalInfo"] = data["additionalInfo"]  # not an object: kept as it is
    view["rest"] = rest
    return view
