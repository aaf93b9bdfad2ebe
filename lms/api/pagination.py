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


def list_meta(
    *, count: int | None, page_size: int | None, next_link: str | None, previous: str | None
) -> dict[str, Any]:
    """The one `meta` of every list: the same four keys whatever the pagination."""
    return {"count": count, "page_size": page_size, "next": next_link, "previous": previous}


def bounded_list_meta(data: list[Any]) -> dict[str, Any]:
    """A list bounded by design (never grows with the data): one page, all of it."""
    return list_meta(count=len(data), page_size=None, next_link=None, previous=None)


def _meta_schema(*, count: dict[str, Any], page_size: dict[str, Any]) -> dict[str, Any]:
    return {"count": count, "page_size": page_size, "next": _LINK, "previous": _LINK}


PAGE_META_PROPERTIES = _meta_schema(
    count={"type": "integer", "example": 123, "description": "Items in the whole list."},
    page_size={"type": "integer", "example": 20},
)
CURSOR_META_PROPERTIES = _meta_schema(
    count={
        "type": "integer",
        "nullable": True,
        "description": "Always null: a cursor-paginated list is not counted (it would cost "
        "a scan of the table). Follow `next` until it is null.",
    },
    page_size={"type": "integer", "example": 20},
)
BOUNDED_LIST_META_SCHEMA = {
    "type": "object",
    "required": ["count", "page_size", "next", "previous"],
    "properties": _meta_schema(
        count={"type": "integer", "description": "Items in the list (all of them)."},
        page_size={"type": "integer", "nullable": True, "description": "Always null."},
    ),
}


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=N&page_size=M`; meta carries the total `count`."""

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_paginated_response(self, data: Any) -> Response:
        if self.page is None or self.request is None:
            raise RuntimeError("paginate_queryset() must run before get_paginated_response()")
        return envelope_response(
            data,
            list_meta(
                count=self.page.paginator.count,
                page_size=self.get_page_size(self.request),
                next_link=self.get_next_link(),
                previous=self.get_previous_link(),
            ),
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        result = _enveloped_schema(schema, PAGE_META_PROPERTIES)
        result["x-pagination"] = "page"
        return result


class CursorPagination(pagination.CursorPagination):
    """Keyset pagination; a viewset sets `ordering` to a unique, indexed column list.
    `count` is null: counting would scan the table this pagination exists to avoid."""

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    ordering = "-id"

    def get_paginated_response(self, data: Any) -> Response:
        return envelope_response(
            data,
            list_meta(
                count=None,
                page_size=self.page_size,
                next_link=self.get_next_link(),
                previous=self.get_previous_link(),
            ),
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        result = _enveloped_schema(schema, CURSOR_META_PROPERTIES)
        result["x-pagination"] = "cursor"
        result["description"] = (
            "Cursor-paginated: follow `next` until it is null; `count` is always null."
        )
        return result
