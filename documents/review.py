"""What the case page's document cards show (SPEC section 11, "Review"): each document of the
context with its pages resolved to stored files in one query, whatever the number of
documents, and the reasons an operator may pick."""

from django.urls import reverse

from workflows import decisions

from .decisions import REASON_FIELDS, document_label
from .selectors import stored_files_in

IMAGE_TYPES = {"image/png", "image/jpeg", "image/webp"}


def _file_ids(documents) -> set[str]:
    return {
        str(page["ballerineFileId"])
        for document in documents
        for page in document.get("pages") or []
        if isinstance(page, dict) and page.get("ballerineFileId")
    }


def _fetches(runtime, documents) -> dict:
    """(document id, page index) -> the newest fetch of a remote page; no query without one."""
    remote = any(isinstance(page, dict) and page.get("uri") for document in documents for page in document.get("pages") or [])
    if not remote:
        return {}
    from .models import FileFetch

    return {(fetch.document_id, fetch.page_index): fetch for fetch in FileFetch.objects.filter(runtime=runtime).order_by("created_at")}


def _page(page, stored_files: dict, fetch=None) -> dict:
    if not isinstance(page, dict):
        return {"kind": "missing", "label": "page"}
    label = page.get("fileName") or (page.get("metadata") or {}).get("side") or "page"
    file_id = page.get("ballerineFileId")
    if file_id:
        stored = stored_files.get(str(file_id))
        if stored is None:
            return {"kind": "missing", "label": label, "why": "This file is not stored in this project."}
        url = reverse("documents:file", args=[stored.pk])
        if stored.mime_type == "image/tiff":
            return {"kind": "image", "label": label, "url": f"{url}?rendition=png", "open": f"{url}?rendition=png", "file": stored}
        if stored.mime_type in IMAGE_TYPES:
            return {"kind": "image", "label": label, "url": url, "open": url, "file": stored}
        if stored.mime_type == "application/pdf":
            return {"kind": "pdf", "label": label, "url": url, "open": url, "file": stored}
        return {"kind": "download", "label": label, "url": url, "file": stored}
    if page.get("uri"):
        status = fetch.status if fetch is not None else "pending"
        return {"kind": "remote", "label": label, "status": status, "error": fetch.error if fetch is not None else "", "fetch": fetch}
    return {"kind": "missing", "label": label, "why": "The page names no file."}


def reason_choices(config, status: str) -> list[str]:
    """The reasons offered for rejecting or asking for a revision: the definition's
    `decisionReasons` for reject / revision (free text when it lists none)."""
    return decisions.reasons_for(config, "reject" if status == "rejected" else "revision")


def document_cards(*, runtime) -> list[dict]:
    """One card per document of the case's context, its pages with the stored file of each."""
    documents = runtime.context.get("documents") if isinstance(runtime.context, dict) else None
    documents = [document for document in documents or [] if isinstance(document, dict)]
    stored_files = stored_files_in(project=runtime.project_id, file_ids=_file_ids(documents))
    fetches = _fetches(runtime, documents)
    config = runtime.definition_version.config
    actions = [
        ("reject", "Reject", "btn-danger", reason_choices(config, "rejected")),
        ("revision", "Ask for revision", "btn-warning", reason_choices(config, "revision")),
    ]
    cards = []
    for document in documents:
        decision = document.get("decision") if isinstance(document.get("decision"), dict) else {}
        status = decision.get("status")
        cards.append(
            {
                "document": document,
                "id": str(document.get("id", "")),
                "label": document_label(document),
                "issuer": (document.get("issuer") or {}).get("country", "") if isinstance(document.get("issuer"), dict) else "",
                "version": document.get("version", 1),
                "properties": document.get("properties") if isinstance(document.get("properties"), dict) else {},
                "status": status or "",
                "reason": decision.get(REASON_FIELDS.get(status, ""), "") or "",
                "decision": decision,
                "pages": [
                    _page(page, stored_files, fetches.get((str(document.get("id", "")), number)))
                    for number, page in enumerate(document.get("pages") or [])
                ],
                "actions": actions,
            }
        )
    return cards
