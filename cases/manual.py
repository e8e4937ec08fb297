"""Add Case Manually: which definition the button starts, and how a submitted form becomes a
run context (SPEC section 5)."""

from dataclasses import dataclass

from workflows.models import WorkflowDefinition, WorkflowDefinitionVersion


def manual_creation_enabled(version: WorkflowDefinitionVersion) -> bool:
    return (version.config or {}).get("enableManualCreation", True) is not False


@dataclass
class ManualTarget:
    """The definition the button starts (None: the form asks among `candidates`)."""

    definition: WorkflowDefinition | None
    candidates: list[WorkflowDefinition]


def manual_target(*, definitions, versions: dict, selected_key: str | None) -> ManualTarget:
    """The queue's definition, or the one selected in the filter when the queue has several."""
    candidates = [d for d in definitions if d.pk in versions and manual_creation_enabled(versions[d.pk])]
    if selected_key:
        chosen = [d for d in candidates if d.key == selected_key]
        return ManualTarget(chosen[0] if chosen else None, chosen)
    return ManualTarget(candidates[0] if len(candidates) == 1 else None, candidates)


def input_schema_of(version: WorkflowDefinitionVersion) -> dict | None:
    statechart = version.statechart or {}
    initial = (statechart.get("states") or {}).get(statechart.get("initial")) or {}
    schema = (initial.get("meta") or {}).get("inputSchema")
    return schema if isinstance(schema, dict) and isinstance(schema.get("dataSchema"), dict) else None


def describes_context(input_schema: dict) -> bool:
    """Input schemas describe either the whole context (with `entity`) or, as Ballerine's demo
    does, the entity itself."""
    return "entity" in (input_schema.get("dataSchema", {}).get("properties") or {})


def context_from_form(input_schema: dict, payload: dict) -> dict:
    if describes_context(input_schema):
        return {"documents": [], **payload}
    return {"entity": payload, "documents": []}


def form_path(input_schema: dict, context_path: str) -> str | None:
    """Where a service error about `context....` belongs in the form, if anywhere."""
    prefix = "context." if describes_context(input_schema) else "context.entity."
    if context_path.startswith(prefix):
        return context_path[len(prefix):]
    return None


# --- documents (config.availableDocuments, SPEC section 11) -----------------------------------

ACCEPTED_FILES = ".pdf,.png,.jpg,.jpeg,.webp,.tif,.tiff,application/pdf,image/png,image/jpeg,image/webp,image/tiff"


def document_slots(version) -> list[dict]:
    """One file input per document type the definition names: `{name, label, category, type}`."""
    slots = []
    for index, item in enumerate((version.config or {}).get("availableDocuments") or []):
        if isinstance(item, dict) and item.get("category") and item.get("type"):
            label = f"{item['category']} - {item['type']}".replace("_", " ")
            slots.append({"name": f"document_{index}", "label": label.capitalize(), "category": item["category"], "type": item["type"]})
    return slots


def upload_problems(slots: list[dict], files) -> dict:
    """slot name -> why its file cannot be stored, for every file of the form at once (the run
    would stop at the first)."""
    from documents.services import file_problem

    problems = {}
    for slot in slots:
        upload = files.get(slot["name"])
        problem = file_problem(upload) if upload is not None else None
        if problem:
            problems[slot["name"]] = problem
        if upload is not None:
            upload.seek(0)  # read again when the form is sent on
    return problems


def documents_from_uploads(slots: list[dict], files) -> list[dict]:
    """The documents of the uploaded files, each page as base64 `data`: the run stores them (and
    checks their content) before anything is written, as it does for the API, and the same form
    sent twice carries the same data, so it opens one case."""
    import base64

    documents = []
    for slot in slots:
        upload = files.get(slot["name"])
        if upload is None:
            continue
        content = b"".join(upload.chunks())
        documents.append(
            {
                "category": slot["category"],
                "type": slot["type"],
                "pages": [{"data": base64.b64encode(content).decode(), "fileName": upload.name, "metadata": {"pageNumber": "1"}}],
                "slot": slot["name"],
            }
        )
    return documents
