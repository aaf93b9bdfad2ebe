"""Helpers shared by the quizzes API views: the base viewset, path parameters, lessons."""

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated

from courses.selectors import lesson_list
from lms.api.serializers import EmptySerializer
from quizzes.models import Quiz
from quizzes.permissions import can_author

if TYPE_CHECKING:
    from courses.models import Course, Lesson

ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)
COURSE_SLUG = OpenApiParameter("course_slug", OpenApiTypes.STR, OpenApiParameter.PATH)


class QuizzesBase(viewsets.GenericViewSet[Any]):
    # Service refusals (lms.errors.ServiceError) and permission refusals are rendered by
    # the platform's exception handler; views neither catch them nor build problems.
    permission_classes = [IsAuthenticated]
    queryset = Quiz.objects.none()  # every action reads through quizzes.selectors
    lookup_value_regex = r"[0-9]+"

    def valid(self, serializer_class: type, *, partial: bool = False) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def no_body(self) -> None:
        """An action that takes no body refuses one (a field it names is unknown)."""
        EmptySerializer(data=self.request.data).is_valid(raise_exception=True)

    def author_only(self, course: "Course") -> None:
        """The object is visible (its selector answered 404 otherwise); acting on it is
        for authors only."""
        if not can_author(self.request.user, course):
            raise PermissionDenied("Only the course's owners and instructors author quizzes.")


def lesson_of_course(course: "Course", lesson_id: int | None) -> "Lesson | None":
    if lesson_id is None:
        return None
    lesson = lesson_list(course=course).filter(pk=lesson_id).first()
    if lesson is None:
        raise ValidationError({"lesson": ValidationError("Pick a lesson of this course.")})
    return lesson


def quiz_fields(course: "Course", data: dict[str, Any]) -> dict[str, Any]:
    if "lesson" in data:
        data["lesson"] = lesson_of_course(course, data["lesson"])
    return data
