from collections.abc import Mapping
from typing import Any

from rest_framework.renderers import JSONRenderer

from lms.api.pagination import bounded_list_meta


class EnvelopeJSONRenderer(JSONRenderer):
    """Wraps every success body as {"data": ..., "meta": {...}}.

    Error bodies (status >= 400) are problem documents and pass through untouched;
    paginated responses arrive already enveloped (see lms.api.pagination). A bare list is
    a bounded list and gets the one list `meta` (lms.api.pagination.bounded_list_meta).
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
            meta = bounded_list_meta(data) if isinstance(data, list) else {}
            data = {"data": data, "meta": meta}
        return super().render(data, accepted_media_type, renderer_context)
