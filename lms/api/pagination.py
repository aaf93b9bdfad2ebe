"""Pagination that puts its bookkeeping in the envelope's meta.

Page numbers for small lists; cursor (keyset) pagination for big tables, where COUNT(*)
and OFFSET would grow with the table.
"""

from typing import Any

from rest_framework import pagination
from rest_framework.response import Response

from lms.api.responses import envelope_response

MAX_PAGE_SIZE = 100


def _enveloped_schema(schema: dict[str, Any], meta_properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["data", "meta"],
        "properties": {
            "data": schema,
            "meta": {
                "type": "object",
                "required": list(meta_properties),
                "properties": meta_properties,
            },
        },
    }


_LINK = {"type": "string", "format": "uri", "nullable": True}


class PageNumberPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_paginated_response(self, data: Any) -> Response:
        if self.page is None or self.request is None:
            raise RuntimeError("paginate_queryset() must run before get_paginated_response()")
        return envelope_response(
            data,
            {
                "count": self.page.paginator.count,
                "page": self.page.number,
                "page_size": self.get_page_size(self.request),
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
            },
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return _enveloped_schema(
            schema,
            {
                "count": {"type": "integer", "example": 123},
                "page": {"type": "integer", "example": 1},
                "page_size": {"type": "integer", "example": 20},
                "next": _LINK,
                "previous": _LINK,
            },
        )


class CursorPagination(pagination.CursorPagination):
    """Keyset pagination; a viewset sets `ordering` to a unique, indexed column list."""

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    ordering = "-id"

    def get_paginated_response(self, data: Any) -> Response:
        return envelope_response(
            data,
            {
                "page_size": self.page_size,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
            },
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return _enveloped_schema(
            schema,
            {"page_size": {"type": "integer", "example": 20}, "next": _LINK, "previous": _LINK},
        )
