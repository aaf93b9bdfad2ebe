from collections.abc import Mapping
from typing import Any

from rest_framework.renderers import JSONRenderer


class EnvelopeJSONRenderer(JSONRenderer):
    """Wraps every success body as {"data": ..., "meta": {...}}.

    Error bodies (status >= 400) are problem documents and pass through untouched;
    paginated responses arrive already enveloped (see lms.api.pagination).
    """

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        response = (renderer_context or {}).get("response")
        if (
            response is not None
            and response.status_code < 400
            and data is not None
            and not getattr(response, "enveloped", False)
        ):
            data = {"data": data, "meta": {}}
        return super().render(data, accepted_media_type, renderer_context)
