"""Helpers shared by the courses API views."""

import json
from collections.abc import Callable
from functools import cached_property
from typing import Any, NoReturn, TypeVar

from django.core.serializers.json import DjangoJSONEncoder
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from courses import selectors, services
from courses.models import Course
from lms.api.exceptions import Conflict

T = TypeVar("T")
SLUG_REGEX = r"[-a-zA-Z0-9_]+"
ID_REGEX = r"[0-9]+"
COURSE_SLUG_PARAMETER = OpenApiParameter(
    "course_slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="The course's slug."
)


def run(service: Callable[..., T], **kwargs: Any) -> T:
    """Calls a service; its state conflicts become 409 problems (ValidationErrors become
    400 problems in the exception handler)."""
    try:
        return service(**kwargs)
    except services.CourseConflict as exc:
        raise Conflict(exc.message, code=exc.code) from exc


def plain(data: Any) -> Any:
    """Serializer output as plain JSON types, ready for the cache."""
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


class _ReadOpenWriteAuthenticated:
    """Reads are open (visibility is the selectors' job); writes need a login."""

    def get_permissions(self) -> list[BasePermission]:
        request: Request = self.request  # type: ignore[attr-defined]
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return [AllowAny()]
        return [IsAuthenticated()]


class _UploadThrottle:
    """Multipart writes (cover images, lesson files) count against the `uploads` scope."""

    def get_throttles(self) -> list[BaseThrottle]:
        request: Request = self.request  # type: ignore[attr-defined]
        if request.method in ("POST", "PATCH") and (request.content_type or "").startswith(
            "multipart/"
        ):
            self.throttle_scope = "uploads"
        return super().get_throttles()  # type: ignore[misc,no-any-return]


def _deny(request: Request, message: str) -> NoReturn:
    if not (request.user and request.user.is_authenticated):
        raise NotAuthenticated()
    raise PermissionDenied(message)


class _CourseScoped(_ReadOpenWriteAuthenticated):
    """Nested under courses/{course_slug}/: the course, if visible, else 404."""

    @cached_property
    def course(self) -> Course:
        request: Request = self.request  # type: ignore[attr-defined]
        slug = self.kwargs["course_slug"]  # type: ignore[attr-defined]
        return selectors.course_get_visible(slug=slug, user=request.user)

    def require(self, predicate: Callable[[Any, Course], bool], message: str) -> None:
        request: Request = self.request  # type: ignore[attr-defined]
        if not predicate(request.user, self.course):
            _deny(request, message)


# --- courses ---------------------------------------------------------------------------
