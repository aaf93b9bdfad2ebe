"""Shared pieces of the assignments API: throttles and the body size check."""

from typing import Any

from rest_framework.request import Request

from lms.api.throttling import UserRateThrottle
from lms.errors import ServiceError

# Room for the text fields and multipart framing on top of the files themselves.
BODY_OVERHEAD = 1024 * 1024


def refuse_large_body(request: Request, limit: int, message: str) -> None:
    """413 from the declared length, before a byte of the body is read."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        raise ServiceError("payload_too_large", message)


class SubmissionsThrottle(UserRateThrottle):
    """60/min per user on handing in (THROTTLE_SUBMISSIONS)."""

    scope = "submissions"


class UploadsThrottle(UserRateThrottle):
    """100/hour per user on requests that carry files (THROTTLE_UPLOADS)."""

    scope = "uploads"

    def allow_request(self, request: Any, view: Any) -> bool:
        if not str(request.META.get("CONTENT_TYPE", "")).startswith("multipart/"):
            return True
        return super().allow_request(request, view)
