import base64
import hashlib
import json
import re

from django.db.models import Q
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response


WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")
# From this offset on, a page's ids are found first (on an index alone), then only its rows
# are read with their joins, instead of joining every skipped row.
IDS_FIRST_OFFSET = 500
# `meta.total` is exact up to this many matches. Past it, counting would read every match (a
# million index entries for an unfiltered list), so it says how many are known to exist and
# `meta.totalIsExact` is false; the last page is the one that says true.
COUNT_CAP = 10_000
# Page numbers reach this many matches deep. A page skips every match before it (an OFFSET:
# about 130 ms for a million index entries), so past this depth the rows are reached with
# `cursor`, which starts at its row whatever the depth (as search APIs cap result windows).
PAGE_DEPTH_CAP = 100_000


def _ordering(queryset) -> list[tuple[str, bool]]:
    """The queryset's order as (field, descending) pairs, ending with the primary key."""
    names = [str(name) for name in (queryset.query.order_by or queryset.model._meta.ordering)]
    pairs = [(name.lstrip("-"), name.startswith("-")) for name in names]
    pairs = [("id" if name == "pk" else name, desc) for name, desc in pairs]
    if not pairs or pairs[-1][0] != "id":
        pairs.append(("id", pairs[0][1] if pairs else True))
    return pairs


# Query parameters that move through a list rather than choose what it lists.
PAGING_PARAMS = ("cursor", "page", "limit")


def filter_signature(query_params) -> str:
    """A short digest of the list's filters and order as the request gives them: a cursor made
    for one list is refused by another instead of answering rows of the other list."""
    chosen = sorted((name, value) for name in query_params if name not in PAGING_PARAMS for value in query_params.getlist(name))
    return hashlib.sha256(json.dumps(chosen).encode()).hexdigest()[:16]


def encode_cursor(queryset, row, signature: str = "") -> str:
    ordering = _ordering(queryset)
    values = [queryset.model._meta.get_field(name).value_to_string(row) for name, _ in ordering]
    raw = json.dumps({"o": [("-" if desc else "") + name for name, desc in ordering], "v": values, "f": signature}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def after_cursor(queryset, cursor: str, signature: str = ""):
    """The rows after `cursor` in the queryset's order (keyset pagination), for the list (its
    filters' `signature`) the cursor was made for."""
    ordering = _ordering(queryset)
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        names, values = raw["o"], raw["v"]
        if (
            names != [("-" if desc else "") + name for name, desc in ordering]
            or len(values) != len(ordering)
            or raw.get("f", "") != signature
        ):
            raise ValidationError({"cursor": ["This cursor belongs to another order or filter; start again without it."]})
        parsed = [queryset.model._meta.get_field(name).to_python(value) for (name, _), value in zip(ordering, values)]
    except ValidationError:
        raise
    except Exception as error:  # anything not made by encode_cursor
        raise ValidationError({"cursor": ["Not a cursor this API gave out."]}) from error
    after = Q()
    for i, (name, desc) in enumerate(ordering):
        step = Q(**{f"{name}__{'lt' if desc else 'gt'}": parsed[i]})
        for j, (earlier, _) in enumerate(ordering[:i]):
            step &= Q(**{earlier: parsed[j]})
        after |= step
    first, first_desc = ordering[0]
    # The bound on the first key alone lets an index on (key, id) start at the cursor.
    bound = Q(**{f"{first}__{'lte' if first_desc else 'gte'}": parsed[0]})
    return queryset.filter(bound).filter(after)


def capped_count(queryset) -> int:
    """The number of matches, at most COUNT_CAP + 1 (one query that stops there)."""
    return queryset.order_by()[: COUNT_CAP + 1].count()


def page_rows(queryset, bottom: int, size: int) -> list:
    if bottom < IDS_FIRST_OFFSET:
        return list(queryset[bottom : bottom + size])
    ids = list(queryset.values_list("pk", flat=True)[bottom : bottom + size])
    rows = {row.pk: row for row in queryset.filter(pk__in=ids).order_by()}
    return [rows[pk] for pk in ids if pk in rows]


class PageLimitPagination(PageNumberPagination):
    """`?page=2&limit=50`; answers `{"data": [...], "meta": {total, totalIsExact, page, limit,
    pages, nextCursor}}`. Each page reads one row more than it shows, so it knows whether
    another follows without counting."""

    page_size = 20
    page_size_query_param = "limit"
    max_page_size = 100

    def paginate_queryset(self, queryset, request, view=None):
        # A bad page or limit is the caller's mistake (400), not a silent default.
        errors = {}
        for name, maximum in ((self.page_query_param, None), (self.page_size_query_param, self.max_page_size)):
            raw = request.query_params.getlist(name)
            if not raw:
                continue
            value = raw[-1]
            if len(raw) > 1:
                errors[name] = [f"Give {name} once (it was given {len(raw)} times)."]
                continue
            # ASCII digits only: str.isdigit() also accepts "²" or "①", which int() refuses.
            if not WHOLE_NUMBER.fullmatch(value) or int(value) < 1 or (maximum and int(value) > maximum):
                errors[name] = [f"Must be a whole number from 1{f' to {maximum}' if maximum else ''}."]
        cursor = request.query_params.getlist("cursor")
        if len(cursor) > 1 or (cursor and not cursor[0]):
            errors["cursor"] = ["Give one cursor, as the last response's meta.nextCursor."]
        elif cursor and request.query_params.get(self.page_query_param):
            errors["cursor"] = ["Give either page or cursor, not both."]
        if errors:
            raise ValidationError(errors)
        self.request = request
        self.cursor = cursor[0] if cursor else None
        size = self.get_page_size(request)
        signature = filter_signature(request.query_params)  # what a cursor given or made belongs to
        if self.cursor is not None:
            # Keyset pagination: the rows after the cursor, however deep, on the order's index.
            self.page_number = None
            found = capped_count(queryset)
            rows = list(after_cursor(queryset, self.cursor, signature)[: size + 1])
            self.total, self.total_is_exact = min(found, COUNT_CAP + 1), found <= COUNT_CAP
        else:
            self.page_number = int(request.query_params.get(self.page_query_param) or 1)
            bottom = (self.page_number - 1) * size
            if bottom >= PAGE_DEPTH_CAP:
                raise ValidationError({self.page_query_param: [
                    f"Page numbers reach the first {PAGE_DEPTH_CAP:,} matches; this page starts after match {bottom:,}. "
                    "Read further with cursor: pass the meta.nextCursor of a page before it."
                ]})
            # A page within the capped count is checked against it; a deeper one needs no
            # count at all: it exists if it has rows, and a page with no next row is the last.
            found = capped_count(queryset) if bottom < COUNT_CAP else None
            if found is not None and self.page_number > 1 and bottom >= found:
                raise NotFound(self.invalid_page_message.format(page_number=self.page_number, message="That page contains no results"))
            rows = page_rows(queryset, bottom, size + 1)
            if not rows and self.page_number > 1:
                raise NotFound(self.invalid_page_message.format(page_number=self.page_number, message="That page contains no results"))
            if found is not None and found <= COUNT_CAP:
                self.total, self.total_is_exact = found, True
            elif len(rows) <= size:
                self.total, self.total_is_exact = bottom + len(rows), True
            else:
                self.total, self.total_is_exact = max(COUNT_CAP + 1, bottom + len(rows)), False
        self.page_size_used = size
        self.next_cursor = encode_cursor(queryset, rows[size - 1], signature) if len(rows) > size else None
        return rows[:size]

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_query_param:
                parameter["description"] = (
                    f"A page number (from 1). Pages reach the first {PAGE_DEPTH_CAP:,} matches; "
                    "past them, 400: follow meta.nextCursor with `cursor` instead."
                )
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
        return parameters + [
            {
                "name": "cursor",
                "required": False,
                "in": "query",
                "description": "meta.nextCursor of the previous response: the rows after it, in the same order (instead of page).",
                "schema": {"type": "string"},
            }
        ]

    def get_paginated_response(self, data):
        size = self.page_size_used
        return Response(
            {
                "data": data,
                "meta": {
                    "total": self.total,
                    "totalIsExact": self.total_is_exact,
                    "page": self.page_number,
                    "limit": size,
                    "pages": max(1, -(-self.total // size)),
                    "nextCursor": self.next_cursor,
                },
            }
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["data", "meta"],
            "properties": {
                "data": schema,
                "meta": {
                    "type": "object",
                    "required": ["total", "totalIsExact", "page", "limit", "pages", "nextCursor"],
                    "properties": {
                        "total": {
                            "type": "integer",
                            "description": "The number of matches when totalIsExact; otherwise how many are known to exist (more than 10,000, or up to the row after this page).",
                        },
                        "totalIsExact": {
                            "type": "boolean",
                            "description": "False when total is a lower bound: past 10,000 matches only the last page counts exactly.",
                        },
                        "page": {"type": "integer", "nullable": True, "description": "null when paging by cursor"},
                        "nextCursor": {
                            "type": "string",
                            "nullable": True,
                            "description": "Pass as `cursor` for the rows after this page (keyset paging, fast at any depth); null on the last page.",
                        },
                        "limit": {"type": "integer"},
                        "pages": {"type": "integer", "description": "From total: at least this many when totalIsExact is false."},
                    },
                },
            },
        }
