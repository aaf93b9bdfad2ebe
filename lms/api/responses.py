from typing import Any

from django.http import HttpResponse
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response


def envelope_response(data: Any, meta: dict[str, Any], status: int = 200) -> Response:
    """A response whose body is already {"data", "meta"}; the renderer leaves it as is."""
    response = Response({"data": data, "meta": meta}, status=status)
    response.enveloped = True  # type: ignore[attr-defined]
    return response


def envelope_bytes(data: Any, meta: dict[str, Any] | None = None) -> bytes:
    """{"data", "meta"} rendered exactly as the API's renderer renders it: for bodies that
    are cached whole, so a cache hit skips serialising again."""
    return JSONRenderer().render({"data": data, "meta": meta or {}})


def prerendered_response(body: bytes, status: int = 200) -> HttpResponse:
    """A body from envelope_bytes. DRF passes an HttpResponse through untouched (its
    renderer is skipped); middleware still adds its headers."""
    return HttpResponse(body, status=status, content_type="application/json")
