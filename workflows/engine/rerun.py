"""How a re-run's context lands on an open case (SPEC section 4, step 3)."""

from __future__ import annotations

import copy

from .js import deep_equals

__all__ = ["rerun_context"]


def rerun_context(previous: dict, incoming: dict) -> dict:
    """The context a re-run leaves: `incoming`'s top-level keys over `previous`, as
    UPDATE_CONTEXT merges them, except `documents`, which merge by `id`.

    A document with a known id is updated key by key and keeps what the new one leaves out
    (its `decision`, its earlier versions); a new one is added; one sent again unchanged is
    not added twice; an empty or missing list removes nothing (Ballerine's seed body sends
    `"documents": []` on every run)."""
    merged = {**copy.deepcopy(previous), **copy.deepcopy(incoming)}
    if "documents" in incoming and isinstance(previous.get("documents"), list):
        merged["documents"] = _merge_documents(previous["documents"], incoming["documents"])
    return merged


def _document_id(document):
    if isinstance(document, dict) and isinstance(document.get("id"), str) and document["id"]:
        return document["id"]
    return None


def _merge_documents(previous: list, incoming) -> list:
    if not isinstance(incoming, list):
        return copy.deepcopy(incoming)  # not a list: the context schema decides whether that is allowed
    documents = copy.deepcopy(previous)
    for document in incoming:
        document_id = _document_id(document)
        known = next((i for i, old in enumerate(documents) if document_id and _document_id(old) == document_id), None)
        if known is not None:
            documents[known] = {**documents[known], **copy.deepcopy(document)}
        elif not any(deep_equals(old, document) for old in documents):
            documents.append(copy.deepcopy(document))
    return documents
