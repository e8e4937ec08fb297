"""Queue pagination that never counts a million rows to show the first pages."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property

# Past this many matches the count is shown as "10,000+" (SPEC section 5).
COUNT_CAP = 10_000
# From this offset on, a page's ids are found first (on the index alone) and only its rows
# are then read with their joins, instead of joining every skipped row.
IDS_FIRST_OFFSET = 500


class CappedPaginator(Paginator):
    """Counts at most COUNT_CAP + 1 rows (one query with LIMIT), unless the page asked for lies
    beyond them: only then, for that deep page, is the exact count taken."""

    def __init__(self, object_list, per_page, *, wanted_page: int = 1, known_count: int | None = None, **kwargs):
        """`known_count`: the capped count (at most COUNT_CAP + 1) when the caller has it already."""
        super().__init__(object_list, per_page, **kwargs)
        self.wanted_page = wanted_page
        self.known_count = known_count
        self.capped = False

    @cached_property
    def count(self) -> int:
        if (self.wanted_page - 1) * self.per_page >= COUNT_CAP:  # a page beyond the capped count
            return self.object_list.count()
        if self.known_count is not None:
            found = self.known_count
        else:
            # Without the order: a sliced queryset keeps it, and sorting to count is wasted.
            found = self.object_list.order_by()[: COUNT_CAP + 1].count()
        self.capped = found > COUNT_CAP
        return found

    @property
    def count_label(self) -> str:
        return f"{COUNT_CAP:,}+" if self.capped else f"{self.count:,}"

    @property
    def pages_label(self) -> str:
        return f"{self.num_pages - 1:,}+" if self.capped else f"{self.num_pages:,}"


def page_rows(page, ids: list | None = None) -> list:
    """The rows of a page; a deep page's ids are found first, then only those rows read. A
    page nearer the end of an exact count is read from the end, in the opposite order, so that
    the last page skips no row instead of all the others. `ids`: the primary keys of the page
    asked for (`wanted_page`), in order, when the caller has them already (a search's counting
    query gives them); a page past the last is shown as the last, and reads its own."""
    queryset = page.paginator.object_list
    if ids is not None and page.number == getattr(page.paginator, "wanted_page", None):
        return rows_in_order(queryset, ids)
    size = page.paginator.per_page
    bottom = (page.number - 1) * size
    if bottom < IDS_FIRST_OFFSET:
        return list(page.object_list)
    count = page.paginator.count
    shown = size if page.paginator.capped else min(size, count - bottom)
    after = count - bottom - shown  # the rows that follow this page
    if page.paginator.capped or after >= bottom:
        ids = list(queryset.values_list("pk", flat=True)[bottom : bottom + shown])
    else:
        # Every order ends with the primary key, so the reverse order is exactly reversed.
        backwards = queryset.reverse()
        if after < IDS_FIRST_OFFSET:
            return list(backwards[after : after + shown])[::-1]
        ids = list(backwards.values_list("pk", flat=True)[after : after + shown])[::-1]
    return rows_in_order(queryset, ids)


def rows_in_order(queryset, ids: list) -> list:
    """The rows of `queryset` with these primary keys, in the order of `ids`."""
    if not ids:
        return []
    rows = {row.pk: row for row in queryset.filter(pk__in=ids).order_by()}
    return [rows[pk] for pk in ids if pk in rows]
