"""Documents as they come in with a run (SPEC section 11): every document gets an `id`; a page
given as base64 `data` is stored as a file of the project and replaced by its
`ballerineFileId` before anything of the run is written (the base64 never reaches the context,
the history or a webhook); a document sent again while in revision, with other pages, becomes
its next version, the earlier pages kept viewable under `previousVersions`."""

import base64
import binascii
import copy
import re
import uuid

from workflows.errors import FieldError, ValidationFailed

# Ballerine's page `type` -> what the stored file's name ends with when none is given.
BASE64 = re.compile(r"^[A-Za-z0-9+/\s]*={0,2}\s*$")
DATA_URL = re.compile(r"^data:[\w.+-]+/[\w.+-]+;base64,", re.IGNORECASE)


def _decoded(data: str, path: str) -> bytes:
    text = DATA_URL.sub("", data, count=1)
    if not BASE64.match(text):
        raise ValidationFailed([FieldError(path, "Not valid base64 (standard alphabet, with padding).")])
    try:
        content = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed([FieldError(path, "Not valid base64 (standard alphabet, with padding).")]) from None
    if not content:
        raise ValidationFailed([FieldError(path, "The page is empty.")])
    return content


def _stored_page(project, page: dict, path: str, created_by_label: str) -> dict:
    from .services import FileRefused, file_store

    content = _decoded(page["data"], f"{path}.data")
    name = page.get("fileName") or f"page.{page.get('type') or 'bin'}"
    try:
        stored = file_store(project=project, content=content, file_name=str(name), created_by_label=created_by_label)
    except FileRefused as refused:
        raise ValidationFailed([FieldError(f"{path}.data", refused.reason)]) from None
    kept = {key: value for key, value in page.items() if key != "data"}
    return {**kept, "ballerineFileId": str(stored.pk), "fileName": stored.file_name}


def _page_problems(project, documents: list) -> list[FieldError]:
    """Pages that name a file this project does not have, or a uri that cannot be fetched: the
    case would show (and let people decide on) a page nobody can see."""
    from outbound.targets import url_shape_problem

    from .selectors import stored_files_in

    problems, wanted = [], {}
    for index, document in enumerate(documents):
        pages = document.get("pages") if isinstance(document, dict) else None
        for number, page in enumerate(pages if isinstance(pages, list) else []):
            if not isinstance(page, dict):
                continue
            path = f"context.documents[{index}].pages[{number}]"
            file_id = page.get("ballerineFileId")
            if file_id is not None:
                try:
                    wanted.setdefault(uuid.UUID(str(file_id)), []).append(path)
                except ValueError:
                    problems.append(FieldError(f"{path}.ballerineFileId", "Not a file id (a UUID from POST /storage)."))
            elif "uri" in page and "data" not in page:
                problem = url_shape_problem(page["uri"]) if isinstance(page["uri"], str) else "Must be a string."
                if problem:
                    problems.append(FieldError(f"{path}.uri", f"{problem} (pages are fetched from http and https URLs only)"))
    if wanted:
        known = stored_files_in(project=project, file_ids=wanted)
        for file_id, paths in wanted.items():
            if str(file_id) not in known:
                problems += [FieldError(f"{path}.ballerineFileId", "No file of this project has this id (upload it with POST /storage first).") for path in paths]
    return problems


def documents_intake(project, context: dict, *, created_by_label: str = "") -> dict:
    """The run's context with ids given and base64 pages stored (a new context; the input is
    not changed). ValidationFailed names the page when one cannot be stored, names a file the
    project does not have, or a uri that cannot be fetched."""
    documents = context.get("documents") if isinstance(context, dict) else None
    if not isinstance(documents, list) or not documents:
        return context
    problems = _page_problems(project, documents)
    if problems:
        raise ValidationFailed(problems)
    needs_work = any(
        isinstance(document, dict)
        and (not document.get("id") or any(isinstance(page, dict) and "data" in page for page in document.get("pages") or []))
        for document in documents
    )
    if not needs_work:
        return context
    context = copy.deepcopy(context)
    for index, document in enumerate(context["documents"]):
        if not isinstance(document, dict):
            continue
        if not document.get("id"):
            document["id"] = str(uuid.uuid4())
        pages = document.get("pages")
        for number, page in enumerate(pages if isinstance(pages, list) else []):
            if isinstance(page, dict) and "data" in page:
                path = f"context.documents[{index}].pages[{number}]"
                if not isinstance(page["data"], str):
                    raise ValidationFailed([FieldError(f"{path}.data", "Must be a base64 string.")])
                pages[number] = _stored_page(project, page, path, created_by_label)
    return context


def documents_revise(previous: list, incoming: list) -> list:
    """`incoming` with each document that re-uploads a document in revision (same id, other
    pages) made its next version: `version` + 1, the decision cleared, and the earlier pages and
    decision kept under `previousVersions`."""
    if not isinstance(previous, list) or not isinstance(incoming, list):
        return incoming
    known = {document.get("id"): document for document in previous if isinstance(document, dict) and document.get("id")}
    revised = []
    for document in incoming:
        old = known.get(document.get("id")) if isinstance(document, dict) else None
        in_revision = isinstance(old, dict) and ((old.get("decision") or {}).get("status") == "revision")
        if not in_revision or "pages" not in document or document.get("pages") == old.get("pages"):
            revised.append(document)
            continue
        version = int(old.get("version") or 1)
        earlier = list(old.get("previousVersions") or []) + [
            {"version": version, "pages": old.get("pages") or [], "decision": old.get("decision")}
        ]
        revised.append({**document, "version": version + 1, "decision": None, "previousVersions": earlier})
    return revised
