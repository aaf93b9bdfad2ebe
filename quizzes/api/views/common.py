"""Helpers shared by the quizzes API views: problems, service refusals, the base viewset."""

from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

from django.core.exceptions import ValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import viewsets
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from courses.models import Course, Lesson
from lms.api.problems import PROBLEM_CONTENT_TYPE, problem_body
from quizzes import services
from quizzes.models import Quiz
from quizzes.permissions import can_author

T = TypeVar("T")
ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)
COURSE_SLUG = OpenApiParameter("course_slug", OpenApiTypes.STR, OpenApiParameter.PATH)


def problem(request: Request, status_code: int, code: str, detail: str, **extra: Any) -> Response:
    body = problem_body(status_code, code=code, detail=detail, instance=request.path)
    body.update({k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in extra.items()})
    return Response(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE)


class Refusal(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def run(request: Request, service: Callable[..., T], **kwargs: Any) -> T:
    """Calls a service; its refusals become problems (caught in `handle_exception`)."""
    try:
        return service(**kwargs)
    except services.QuizError as exc:
        raise Refusal(problem(request, exc.status, exc.code, exc.message, **exc.extra)) from exc


def deny(request: Request, message: str) -> NoReturn:
    if not (request.user and request.user.is_authenticated):
        raise NotAuthenticated()
    raise PermissionDenied(message)


class QuizzesBase(viewsets.GenericViewSet[Any]):
    permission_classes = [IsAuthenticated]
    queryset = Quiz.objects.none()  # every action reads through quizzes.selectors
    lookup_value_regex = r"[0-9]+"

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, Refusal):
            return exc.response
        return super().handle_exception(exc)

    def valid(self, serializer_class: type, *, partial: bool = False) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def author_only(self, course: Course) -> None:
        """The object is visible (its selector answered 404 otherwise); acting on it is
        for authors only."""
        if not can_author(self.request.user, course):
            deny(self.request, "Only the course's owners and instructors author quizzes.")


def lesson_of_course(course: Course, lesson_id: int | None) -> Lesson | None:
    if lesson_id is None:
        return None
    lesson = Lesson.objects.select_related("module").filter(pk=lesson_id).first()
    if lesson is None or lesson.module.course_id != course.pk:
        raise ValidationError({"lesson": ValidationError("Pick a lesson of this course.")})
    return lesson


def quiz_fields(course: Course, data: dict[str, Any]) -> dict[str, Any]:
    if "lesson" in data:
        data["lesson"] = lesson_of_course(course, data["lesson"])
    return data
