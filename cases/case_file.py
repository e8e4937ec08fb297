"""The case file for auditors (issue 16, item 6): one self-contained HTML document with the
case, its readable entity, its context, every decision with its reason and comment, the
documents (their decisions, file names and sizes, not the files), the notes and the whole
history, and who generated it when.

Streamed: the page's head is rendered once, then the decisions, the notes and the history are
each read with one query through a server-side cursor (`iterator`), a chunk at a time, and
written row by row, so a case with thousands of history rows costs a fixed number of queries
and bounded memory."""

import json

from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import format_html

from documents.review import document_cards
from workflows import decisions
from workflows.models import HistoryKind

from . import selectors
from .entity_selectors import case_entity_view

CHUNK_ROWS = 500
# Longest payload written for one history row (a context replaced whole can be large); the
# context itself is in the file in full.
MAX_PAYLOAD_CHARS = 20_000
DECISION_KINDS = (
    HistoryKind.DECISION_PROPOSED, HistoryKind.DECISION_CONFIRMED, HistoryKind.DECISION_RETURNED,
    HistoryKind.DECISION_DROPPED, HistoryKind.DOCUMENT_DECIDED,
)
HISTORY_FIELDS = ("id", "runtime", "kind", "event_name", "from_state", "to_state", "payload", "actor_label", "created_at")
# A content security policy that allows nothing but the document's own inline styles.
CASE_FILE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"


def _decision_rows(runtime):
    """Case decisions (events sent by a person or an API key, or with a reason), the four-eyes
    steps and the document decisions, oldest first."""
    by_someone = Q(actor_user__isnull=False) | Q(actor_api_key__isnull=False) | Q(payload__has_key="reason")
    condition = Q(kind__in=DECISION_KINDS) | (Q(kind=HistoryKind.TRANSITION) & by_someone)
    return runtime.history.filter(condition).only(*HISTORY_FIELDS).order_by("created_at", "id")


def _history_rows(runtime, **filters):
    return runtime.history.filter(**filters).only(*HISTORY_FIELDS).order_by("created_at", "id")


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S %Z") if moment else ""


def _text(value) -> str:
    return value if isinstance(value, str) else ("" if value is None else json.dumps(value, ensure_ascii=False))


def _payload_text(payload) -> str:
    rest = {k: v for k, v in payload.items() if k not in ("reason", "comment", "text")} if isinstance(payload, dict) else payload
    if not rest:
        return ""
    text = json.dumps(rest, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= MAX_PAYLOAD_CHARS else text[:MAX_PAYLOAD_CHARS] + f"… ({len(text):,} characters, cut)"


def _step(row, state_labels, event_labels) -> str:
    """What a history row did, in words."""
    label = row.get_kind_display()
    if row.event_name:
        label += f" {event_labels.get(row.event_name, row.event_name)} ({row.event_name})"
    if row.kind == HistoryKind.TRANSITION:
        label += f": {state_labels.get(row.from_state, row.from_state)} → {state_labels.get(row.to_state, row.to_state)}"
    elif row.kind == HistoryKind.CREATED and row.to_state:
        label += f": in {state_labels.get(row.to_state, row.to_state)}"
    payload = row.payload if isinstance(row.payload, dict) else {}
    if row.kind in (HistoryKind.DECISION_RETURNED, HistoryKind.DECISION_CONFIRMED) and payload.get("proposedBy"):
        label += f": proposed by {_text(payload.get('proposedBy'))}"
    if row.kind == HistoryKind.DOCUMENT_DECIDED:
        label += f": {_text(payload.get('document'))} {_text(payload.get('decision')) or 'undecided'}"
    if row.kind in (HistoryKind.ASSIGNED, HistoryKind.UNASSIGNED):
        label += f": {_text(payload.get('from')) or 'nobody'} → {_text(payload.get('to')) or 'nobody'}"
    return label


def _row_html(row, state_labels, event_labels, *, with_payload: bool) -> str:
    payload = row.payload if isinstance(row.payload, dict) else {}
    reason = _text(payload.get("reason")) if row.kind != HistoryKind.CONTEXT_CHANGED else ""
    comment = _text(payload.get("comment")) if row.kind != HistoryKind.CONTEXT_CHANGED else ""
    if row.kind == HistoryKind.NOTE:
        comment = _text(payload.get("text"))
    details = _payload_text(row.payload) if with_payload else ""
    return format_html(
        "<tr><td class=\"nowrap\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"pre\">{}</td>{}</tr>\n",
        _when(row.created_at), row.actor_label, _step(row, state_labels, event_labels), reason, comment,
        format_html('<td class="json">{}</td>', details) if with_payload else "",
    )


def _section(title: str, section_id: str, rows, render_row, columns: tuple[str, ...], empty: str):
    yield format_html('<section id="{}"><h2>{}</h2>\n', section_id, title)
    header = "".join(format_html("<th>{}</th>", column) for column in columns)
    written = 0
    for row in rows.iterator(chunk_size=CHUNK_ROWS):
        if not written:
            yield f"<table><thead><tr>{header}</tr></thead><tbody>\n"
        written += 1
        yield render_row(row)
    yield "</tbody></table>\n" if written else format_html('<p class="muted">{}</p>\n', empty)
    yield "</section>\n"


def _note_html(row) -> str:
    payload = row.payload if isinstance(row.payload, dict) else {}
    return format_html(
        '<tr><td class="nowrap">{}</td><td>{}</td><td class="pre">{}</td></tr>\n', _when(row.created_at), row.actor_label, _text(payload.get("text"))
    )


def case_file_parts(*, runtime, project, generated_by: str):
    """The case file's HTML, in parts (for a streaming response)."""
    statechart = runtime.definition_version.statechart
    state_labels, event_labels = decisions.state_labels(statechart), decisions.event_labels(statechart)
    family = selectors.case_family(runtime=runtime)
    data = selectors.case_entity_data(runtime)
    generated_at = timezone.now()
    yield render_to_string(
        "cases/case_file_head.html",
        {
            "case": runtime,
            "project": project,
            "case_name": selectors.case_name(runtime),
            "entity": runtime.entity,
            "entity_view": case_entity_view(runtime=runtime, data=data, children=family["children"]),
            "family": family,
            "outcome": decisions.case_outcome(runtime),
            "state_label": state_labels.get(runtime.state, runtime.state),
            "document_cards": document_cards(runtime=runtime),
            "generated_at": generated_at,
            "generated_by": generated_by,
        },
    )

    def decision_row(row):
        return _row_html(row, state_labels, event_labels, with_payload=False)

    def history_row(row):
        return _row_html(row, state_labels, event_labels, with_payload=True)

    yield from _section(
        "Decisions", "decisions", _decision_rows(runtime), decision_row, ("When", "By", "Decision", "Reason", "Comment"),
        "No decision has been taken on this case.",
    )
    yield from _section("Notes", "notes", _history_rows(runtime, kind=HistoryKind.NOTE), _note_html, ("When", "By", "Note"), "No notes.")
    yield from _section(
        "History", "history", _history_rows(runtime), history_row, ("When", "By", "What", "Reason", "Comment", "Details"), "No history."
    )
    yield render_to_string("cases/case_file_tail.html", {"case": runtime, "generated_at": generated_at, "generated_by": generated_by})
