"""RFC 9457 problem documents, shared by the DRF exception handler and Django's handlers."""

from http import HTTPStatus
from typing import Any

from django.http import HttpResponse
from rest_framework.renderers import JSONRenderer

from lms.request_context import current_request_id

PROBLEM_CONTENT_TYPE = "application/problem+json"
# Relative references resolve against the API's own origin (RFC 9457 section 3.1.1);
# docs/api-errors.md describes each type.
PROBLEM_TYPE_PREFIX = "/problems/"


def problem_body(
    status: int,
    *,
    code: str,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    instance: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_PREFIX + code.replace("_", "-"),
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors is not None:
        body["errors"] = errors
    if instance:
        body["instance"] = instance
    request_id = current_request_id()
    if request_id:
        body["request_id"] = request_id
    return body


def problem_json_response(status: int, *, code: str, detail: str, path: str = "") -> HttpResponse:
    """A problem response for Django-level handlers (404/500/CSRF) outside DRF, rendered
    by DRF's JSON renderer so it reads byte for byte like the API's own problems."""
    return HttpResponse(
        JSONRenderer().render(
            problem_body(status, code=code, detail=detail, instance=path or None)
        ),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
    )
