"""The case file for auditors (issue 16, item 6): one self-contained HTML document with the
case, its readable entity, its context, every decision with its reason and comment, the
documents (their decisions, file names and sizes, not the files), the notes and the whole
history, and who generated it when.

Streamed: the page's head is rendered once, then the decisions, the notes and the history are
each read with one query through a server-side cursor (`iterator`), a chunk at a time, and
written row by row, so a case with thousands of history rows costs a fixed number of queries
and bounded memory."""

import html
import json

from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from documents.review import document_cards
from workflows import decisions
from workflows.models import HistoryEvent, HistoryKind

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
# Read as plain tuples (no model instance per row), in this order.
HISTORY_FIELDS = ("kind", "event_name", "from_state", "to_state", "payload", "actor_label", "created_at")
KIND_LABELS = dict(HistoryKind.choices)
# A content security policy that allows nothing but the document's own inline styles.
CASE_FILE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"


def _decision_rows(runtime):
    """Case decisions (events sent by a person or an API key, or with a reason), the four-eyes
    steps and the document decisions, oldest first."""
    by_someone = Q(actor_user__isnull=False) | Q(actor_api_key__isnull=False) | Q(payload__has_key="reason")
    condition = Q(kind__in=DECISION_KINDS) | (Q(kind=HistoryKind.TRANSITION) & by_someone)
    return _history_rows(runtime).filter(condition)


def _history_rows(runtime, **filters):
    return HistoryEvent.objects.filter(runtime_id=runtime.pk, **filters).order_by("created_at", "id").values_list(*HISTORY_FIELDS)


def _esc(value) -> str:
    """Escaped for HTML text and attribute values (what Django's escape does, without its lazy
    wrappers: this runs for every cell of thousands of rows)."""
    return html.escape(value if isinstance(value, str) else str(value), quote=True)


def _text(value) -> str:
    return value if isinstance(value, str) else ("" if value is None else json.dumps(value, ensure_ascii=False))


def _payload_text(payload) -> str:
    rest = {k: v for k, v in payload.items() if k not in ("reason", "comment", "text")} if isinstance(payload, dict) else payload
    if not rest:
        return ""
    text = json.dumps(rest, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= MAX_PAYLOAD_CHARS else text[:MAX_PAYLOAD_CHARS] + f"… ({len(text):,} characters, cut)"


def _step(kind, event_name, from_state, to_state, payload, state_labels, event_labels) -> str:
    """What a history row did, in words."""
    label = KIND_LABELS.get(kind, kind)
    if event_name:
        label += f" {event_labels.get(event_name, event_name)} ({event_name})"
    if kind == HistoryKind.TRANSITION:
        label += f": {state_labels.get(from_state, from_state)} → {state_labels.get(to_state, to_state)}"
    elif kind == HistoryKind.CREATED and to_state:
        label += f": in {state_labels.get(to_state, to_state)}"
    if kind in (HistoryKind.DECISION_RETURNED, HistoryKind.DECISION_CONFIRMED) and payload.get("proposedBy"):
        label += f": proposed by {_text(payload.get('proposedBy'))}"
    elif kind == HistoryKind.DOCUMENT_DECIDED:
        label += f": {_text(payload.get('document'))} {_text(payload.get('decision')) or 'undecided'}"
    elif kind in (HistoryKind.ASSIGNED, HistoryKind.UNASSIGNED):
        label += f": {_text(payload.get('from')) or 'nobody'} → {_text(payload.get('to')) or 'nobody'}"
    return label


class _Rows:
    """Writes history rows as table rows, every value escaped; times in the server's zone."""

    def __init__(self, state_labels, event_labels):
        self.state_labels, self.event_labels = state_labels, event_labels
        self.zone = timezone.get_current_timezone()

    def when(self, moment) -> str:
        return moment.astimezone(self.zone).strftime("%Y-%m-%d %H:%M:%S %Z") if moment else ""

    def step(self, row, *, with_payload: bool) -> str:
        kind, event_name, from_state, to_state, payload, actor_label, created_at = row
        payload = payload if isinstance(payload, dict) else {}
        decided = kind != HistoryKind.CONTEXT_CHANGED
        reason = _text(payload.get("reason")) if decided else ""
        comment = _text(payload.get("text") if kind == HistoryKind.NOTE else payload.get("comment")) if decided else ""
        what = _step(kind, event_name, from_state, to_state, payload, self.state_labels, self.event_labels)
        details = f'<td class="json">{_esc(_payload_text(row[4]))}</td>' if with_payload else ""
        return (
            f'<tr><td class="nowrap">{_esc(self.when(created_at))}</td><td>{_esc(actor_label)}</td><td>{_esc(what)}</td>'
            f'<td>{_esc(reason)}</td><td class="pre">{_esc(comment)}</td>{details}</tr>\n'
        )

    def decision(self, row) -> str:
        return self.step(row, with_payload=False)

    def history(self, row) -> str:
        return self.step(row, with_payload=True)

    def note(self, row) -> str:
        payload = row[4] if isinstance(row[4], dict) else {}
        return f'<tr><td class="nowrap">{_esc(self.when(row[6]))}</td><td>{_esc(row[5])}</td><td class="pre">{_esc(_text(payload.get("text")))}</td></tr>\n'


def _section(title: str, section_id: str, rows, render_row, columns: tuple[str, ...], empty: str):
    """A section's table, read through one server-side cursor and written a chunk at a time."""
    yield f'<section id="{_esc(section_id)}"><h2>{_esc(title)}</h2>\n'
    header = "".join(f"<th>{_esc(column)}</th>" for column in columns)
    written, chunk = 0, []
    for row in rows.iterator(chunk_size=CHUNK_ROWS):
        if not written:
            chunk.append(f"<table><thead><tr>{header}</tr></thead><tbody>\n")
        written += 1
        chunk.append(render_row(row))
        if len(chunk) >= CHUNK_ROWS:
            yield "".join(chunk)
            chunk = []
    chunk.append("</tbody></table>\n" if written else f'<p class="muted">{_esc(empty)}</p>\n')
    chunk.append("</section>\n")
    yield "".join(chunk)


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

    rows = _Rows(state_labels, event_labels)
    yield from _section(
        "Decisions", "decisions", _decision_rows(runtime), rows.decision, ("When", "By", "Decision", "Reason", "Comment"),
        "No decision has been taken on this case.",
    )
    yield from _section("Notes", "notes", _history_rows(runtime, kind=HistoryKind.NOTE), rows.note, ("When", "By", "Note"), "No notes.")
    yield from _section(
        "History", "history", _history_rows(runtime), rows.history, ("When", "By", "What", "Reason", "Comment", "Details"), "No history."
    )
    yield render_to_string("cases/case_file_tail.html", {"case": runtime, "generated_at": generated_at, "generated_by": generated_by})
