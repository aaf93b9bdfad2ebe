"""Helpers shared by the courses API views."""

import json
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

from django.core.serializers.json import DjangoJSONEncoder
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from courses import selectors
from courses.models import Course

if TYPE_CHECKING:
    from accounts.models import User

SLUG_REGEX = r"[-a-zA-Z0-9_]+"
ID_REGEX = r"[0-9]+"
COURSE_SLUG_PARAMETER = OpenApiParameter(
    "course_slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="The course's slug."
)


def acting_user(request: Request) -> "User":
    """The signed-in user of a write (writes need a login: IsAuthenticated ran)."""
    return cast("User", request.user)


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


class _CourseScoped(_ReadOpenWriteAuthenticated):
    """Nested under courses/{course_slug}/: the course, if visible, else 404."""

    @cached_property
    def course(self) -> Course:
        request: Request = self.request  # type: ignore[attr-defined]
        slug = self.kwargs["course_slug"]  # type: ignore[attr-defined]
        return selectors.course_get_visible(slug=slug, user=request.user)

    def require(self, predicate: Callable[[Any, Course], bool], message: str) -> None:
        """403 with `message` (401 when anonymous) unless `predicate(user, course)`."""
        request: Request = self.request  # type: ignore[attr-defined]
        if not predicate(request.user, self.course):
            self.permission_denied(request, message=message)  # type: ignore[attr-defined]
