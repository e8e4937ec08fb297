"""The queue's CSV export: the rows of the filtered list, streamed in chunks, so a list of any
length is written without holding it in memory (one query per chunk, not per row)."""

import csv

EXPORT_CHUNK = 2000
COLUMNS = (
    "case id", "name", "entity id", "registration number", "workflow", "version", "state", "status", "assignee",
    "created at", "updated at", "due at", "resolved at",
)
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Line:
    """What csv.writer writes into: it hands the line back instead of keeping it."""

    def write(self, value):
        return value


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _iso(moment) -> str:
    return moment.isoformat()


def export_rows(queryset):
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow(COLUMNS)  # the BOM: spreadsheets then read UTF-8 names right
    fields = (
        "pk", "entity_name", "entity_correlation_id", "entity_registration_number", "definition__key",
        "definition_version__version", "state", "status", "assignee_username", "created_at", "updated_at", "due_at", "resolved_at",
    )
    for values in queryset.values_list(*fields).iterator(chunk_size=EXPORT_CHUNK):
        yield writer.writerow([_cell(_iso(value) if hasattr(value, "isoformat") else value) for value in values])
