from typing import Any

from rest_framework.response import Response


def envelope_response(data: Any, meta: dict[str, Any], status: int = 200) -> Response:
    """A response whose body is already {"data", "meta"}; the renderer leaves it as is."""
    response = Response({"data": data, "meta": meta}, status=status)
    response.enveloped = True  # type: ignore[attr-defined]
    return response
