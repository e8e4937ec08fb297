import django_filters
from django_filters.constants import EMPTY_VALUES


class StableOrderingFilter(django_filters.OrderingFilter):
    """Sorting by a column with repeated values (state, status, ...) ends with the primary
    key, so pages never repeat or skip a row between requests."""

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        ordering = [self.get_ordering_value(param) for param in value]
        # The tie-breaker goes the way of the first key, so one index (key, id) serves the
        # whole order in either direction.
        return qs.order_by(*ordering, "-pk" if ordering[0].startswith("-") else "pk")
