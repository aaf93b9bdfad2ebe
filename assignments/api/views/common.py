"""Shared pieces of the assignments API: problems from service refusals, throttles."""

from typing import Any, NoReturn

from django.core.exceptions import ValidationError
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error

from assignments.services import AssignmentError
from lms.api.problems import PROBLEM_CONTENT_TYPE, problem_body
from lms.api.throttling import UserRateThrottle


def problem(request: Request, status_code: int, code: str, detail: str, **extra: Any) -> Response:
    body = problem_body(status_code, code=code, detail=detail, instance=request.path)
    body.update(extra)
    return Response(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE)


class ServiceErrorsMixin:
    """Service refusals (AssignmentError) become problems with their status and code;
    Django ValidationErrors become 400 validation problems."""

    def handle_exception(self, exc: Exception) -> Response:
        request = self.request  # type: ignore[attr-defined]
        if isinstance(exc, AssignmentError):
            return problem(request, exc.status, exc.code, exc.message, **exc.extra)
        if isinstance(exc, ValidationError):
            exc = DRFValidationError(as_serializer_error(exc))
        return super().handle_exception(exc)  # type: ignore[misc,no-any-return]


def deny(request: Request, message: str) -> NoReturn:
    if not (request.user and request.user.is_authenticated):
        raise NotAuthenticated()
    raise PermissionDenied(message)


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
