import django_filters
from django_filters.constants import EMPTY_VALUES


class StableOrderingFilter(django_filters.OrderingFilter):
    """Sorting by a column with repeated values (state, status, ...) ends with the primary
    key, so pages never repeat or skip a row between requests."""

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        return qs.order_by(*(self.get_ordering_value(param) for param in value), "-pk")
