"""OpenAPI: the success envelope on every 2xx body and problem responses on every operation."""

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import force_instance
from drf_spectacular.utils import OpenApiResponse

from lms.api.pagination import BOUNDED_LIST_META_SCHEMA
from lms.api.problems import PROBLEM_CONTENT_TYPE

META_SCHEMA = {"type": "object", "additionalProperties": True}

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {
            "type": "string",
            "format": "uri-reference",
            "example": "/problems/validation-error",
        },
        "title": {"type": "string", "example": "Bad Request"},
        "status": {"type": "integer", "example": 400},
        "detail": {"type": "string"},
        "code": {"type": "string", "example": "validation_error"},
        "instance": {"type": "string", "format": "uri-reference"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["attr", "pointer", "code", "detail"],
                "properties": {
                    "attr": {"type": "string", "nullable": True, "example": "email"},
                    "pointer": {
                        "type": "string",
                        "description": "RFC 6901 JSON pointer to the field; empty for the "
                        "request as a whole.",
                        "example": "/email",
                    },
                    "code": {"type": "string", "example": "required"},
                    "detail": {"type": "string", "example": "This field is required."},
                },
            },
        },
    },
}

# Status -> (description, methods it applies to; None = all).
PROBLEM_RESPONSES: dict[str, tuple[str, set[str] | None]] = {
    "400": ("Validation error or malformed request.", {"post", "put", "patch"}),
    "401": ("Not authenticated.", None),
    "403": ("Authenticated but not allowed.", None),
    "404": ("Not found, or not visible to you.", None),
    "405": ("Method not allowed.", None),
    "415": ("Unsupported media type.", {"post", "put", "patch"}),
    "429": ("Too many requests; see the Retry-After header.", None),
    "500": ("Unexpected server error.", None),
}


class EnvelopeAutoSchema(AutoSchema):
    def _get_response_for_code(
        self,
        serializer: Any,
        status_code: str,
        media_types: Any = None,
        direction: str = "response",
    ) -> dict[str, Any]:
        result = super()._get_response_for_code(serializer, status_code, media_types, direction)
        if not ("200" <= status_code < "300") or "content" not in result:
            return result
        target = serializer.response if isinstance(serializer, OpenApiResponse) else serializer
        if self._is_list_view(force_instance(target)) and self._get_paginator():
            return result  # the paginator's schema is already the envelope
        for media in result["content"].values():
            data_schema = media["schema"]
            if data_schema.get("type") == "array":
                # Not paginated: the list is bounded by design and says so.
                media["schema"] = {
                    "type": "object",
                    "required": ["data", "meta"],
                    "x-bounded": True,
                    "description": "A bounded list: it never grows with the data, so it "
                    "is not paginated; `meta` has the one list shape with `next` null.",
                    "properties": {"data": data_schema, "meta": BOUNDED_LIST_META_SCHEMA},
                }
                continue
            media["schema"] = {
                "type": "object",
                "required": ["data", "meta"],
                "properties": {"data": data_schema, "meta": META_SCHEMA},
            }
        return result


def add_problem_responses(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: document the problem+json error responses."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    ref = {"$ref": "#/components/schemas/Problem"}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status, (description, methods) in PROBLEM_RESPONSES.items():
                if methods is None or method in methods:
                    operation["responses"].setdefault(
                        status,
                        {
                            "description": description,
                            "content": {PROBLEM_CONTENT_TYPE: {"schema": ref}},
                        },
                    )
    return result


def problem_response(status_code: int, description: str) -> dict[Any, OpenApiResponse]:
    """An extra problem status for an operation's `responses` (e.g. 402 or 409, which the
    postprocessing hook does not add to every operation), as application/problem+json:
    `responses={201: Out, **problem_response(409, "already_enrolled.")}`."""
    return {
        (status_code, PROBLEM_CONTENT_TYPE): OpenApiResponse(
            response={"$ref": "#/components/schemas/Problem"}, description=description
        )
    }
