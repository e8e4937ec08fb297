import re

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response


WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")


class PageLimitPagination(PageNumberPagination):
    """`?page=2&limit=50`; answers `{"data": [...], "meta": {total, page, limit, pages}}`."""

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
            # ASCII digits only: str.isdigit() also accepts "²" or "①", which int() refuses.
            if len(raw) > 1 or not WHOLE_NUMBER.fullmatch(value) or int(value) < 1 or (maximum and int(value) > maximum):
                errors[name] = [f"Must be a whole number from 1{f' to {maximum}' if maximum else ''}."]
        if errors:
            raise ValidationError(errors)
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
        return parameters

    def get_paginated_response(self, data):
        paginator = self.page.paginator
        return Response(
            {
                "data": data,
                "meta": {
                    "total": paginator.count,
                    "page": self.page.number,
                    "limit": paginator.per_page,
                    "pages": paginator.num_pages,
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
                    "required": ["total", "page", "limit", "pages"],
                    "properties": {
                        "total": {"type": "integer"},
                        "page": {"type": "integer"},
                        "limit": {"type": "integer"},
                        "pages": {"type": "integer"},
                    },
                },
            },
        }
