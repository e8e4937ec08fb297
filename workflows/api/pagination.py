from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response


class PageLimitPagination(PageNumberPagination):
    """`?page=2&limit=50`; answers `{"data": [...], "meta": {total, page, limit, pages}}`."""

    page_size = 20
    page_size_query_param = "limit"
    max_page_size = 100

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
