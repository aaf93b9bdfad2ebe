"""Quizzes and their items: the course list, detail, settings, attempts, grading queue
and statistics."""

from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from courses.permissions import can_teach, is_learner
from courses.selectors import course_get_visible
from lms.errors import ServiceError
from quizzes import presenters, selectors, services
from quizzes.api import serializers as s
from quizzes.api.views.common import COURSE_SLUG, ID, QuizzesBase, quiz_fields
from quizzes.models import Quiz
from quizzes.permissions import can_grade, learner_enrollment

if TYPE_CHECKING:
    from courses.models import Course

# --- quizzes ----------------------------------------------------------------------------


@extend_schema(parameters=[COURSE_SLUG])
class CourseQuizViewSet(QuizzesBase):
    serializer_class = s.QuizOutSerializer

    @cached_property
    def course(self) -> "Course":
        return course_get_visible(slug=self.kwargs["course_slug"], user=self.request.user)

    def list(self, request: Request, course_slug: str) -> Response:
        """The course's quizzes: all for the team, published ones for learners."""
        if not can_teach(request.user, self.course) and not is_learner(request.user, self.course):
            raise ServiceError("not_enrolled", "Enroll in the course first.")
        rows = selectors.quiz_list(course=self.course, user=request.user)
        page = self.paginate_queryset(rows) or []
        return self.get_paginated_response([presenters.quiz_out(q) for q in page])

    @extend_schema(request=s.QuizInputSerializer, responses={201: s.QuizOutSerializer})
    def create(self, request: Request, course_slug: str) -> Response:
        self.author_only(self.course)
        data = quiz_fields(self.course, self.valid(s.QuizInputSerializer))
        quiz = services.quiz_create(course=self.course, by=request.user, **data)  # type: ignore[arg-type]
        return Response(presenters.quiz_out(quiz), status=status.HTTP_201_CREATED)


class QuizViewSet(QuizzesBase):
    serializer_class = s.QuizOutSerializer

    @cached_property
    def quiz(self) -> Quiz:
        return selectors.quiz_get(quiz_id=int(self.kwargs["pk"]), user=self.request.user)

    @extend_schema(parameters=[ID])
    def retrieve(self, request: Request, pk: str) -> Response:
        """Learners: settings and their attempts used/allowed. Team: also the items with
        their questions and keys, and the points possible."""
        quiz = self.quiz
        extra: dict[str, Any]
        if can_teach(request.user, quiz.course):
            extra = {
                "points_possible": str(services.points_possible(quiz)),
                "items": [presenters.item_out(i) for i in selectors.quiz_items(quiz=quiz)],
            }
        else:
            extra = {"me": selectors.learner_state(quiz=quiz, user=request.user)}
        return Response(presenters.quiz_out(quiz, extra=extra))

    @extend_schema(parameters=[ID], request=s.QuizInputSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        self.author_only(self.quiz.course)
        data = quiz_fields(self.quiz.course, self.valid(s.QuizInputSerializer, partial=True))
        quiz = services.quiz_update(quiz=self.quiz, by=request.user, **data)  # type: ignore[arg-type]
        return Response(presenters.quiz_out(quiz))

    @extend_schema(parameters=[ID])
    def destroy(self, request: Request, pk: str) -> Response:
        self.author_only(self.quiz.course)
        services.quiz_delete(quiz=self.quiz, by=request.user)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        parameters=[ID], request=s.ItemInputSerializer, responses={201: s.ItemOutSerializer}
    )
    @action(detail=True, methods=["post"])
    def items(self, request: Request, pk: str) -> Response:
        """Add a fixed question (`question`) or a draw (`draw_bank` and/or `draw_tag`,
        `draw_count`), each question worth `points`."""
        quiz = self.quiz
        self.author_only(quiz.course)
        data = self.valid(s.ItemInputSerializer)
        question = bank = None
        if data.get("question"):
            question = selectors.question_of_course(
                course=quiz.course, question_id=data["question"]
            )
            if question is None:
                raise ValidationError(
                    {"question": ValidationError("Pick a question of this course.")}
                )
        if data.get("draw_bank"):
            bank = selectors.bank_of_course(course=quiz.course, bank_id=data["draw_bank"])
            if bank is None:
                raise ValidationError({"draw_bank": ValidationError("Pick a bank of this course.")})
        item = services.quiz_item_add(
            quiz=quiz,
            question=question,
            draw_bank=bank,
            draw_tag=data.get("draw_tag", ""),
            draw_count=data.get("draw_count", 0),
            **({"points": data["points"]} if "points" in data else {}),
        )
        return Response(presenters.item_out(item), status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[ID],
        request=None,
        responses={200: s.AttemptOutSerializer, 201: s.AttemptOutSerializer},
        methods=["POST"],
    )
    @extend_schema(
        parameters=[ID], responses=s.AttemptSummarySerializer(many=True), methods=["GET"]
    )
    @action(detail=True, methods=["get", "post"])
    def attempts(self, request: Request, pk: str) -> Response:
        """GET: my attempts (the team: everyone's). POST: start an attempt (201), or get
        the one in progress back (200); its questions never carry answer data."""
        quiz = self.quiz
        now = timezone.now()
        staff = can_teach(request.user, quiz.course)
        if request.method == "GET":
            rows = selectors.attempt_list(quiz=quiz, user=request.user)
            page = self.paginate_queryset(rows) or []
            data = [presenters.attempt_summary(a, now=now, staff=staff) for a in page]
            return self.get_paginated_response(data)
        self.no_body()
        enrollment = learner_enrollment(request.user, quiz)
        if enrollment is None:
            raise ServiceError("not_enrolled", "Only enrolled learners take quizzes.")
        attempt, created = services.attempt_start(
            quiz=quiz,
            user=request.user,  # type: ignore[arg-type]
            enrollment=enrollment,
            now=now,
        )
        attempt.quiz = quiz
        body = presenters.attempt_for_learner(
            attempt, selectors.attempt_answers(attempt=attempt), now=now
        )
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(parameters=[ID], responses=s.QueueEntrySerializer(many=True))
    @action(detail=True, methods=["get"], url_path="grading-queue")
    def grading_queue(self, request: Request, pk: str) -> Response:
        """Essays of submitted attempts that wait for points (team, TAs included)."""
        if not can_grade(request.user, self.quiz):
            raise PermissionDenied("Only the course team grades.")
        rows = selectors.grading_queue(quiz=self.quiz)
        page = self.paginate_queryset(rows) or []
        return self.get_paginated_response([presenters.queue_entry(a) for a in page])

    @extend_schema(parameters=[ID], responses=s.StatisticsSerializer)
    @action(detail=True, methods=["get"])
    def statistics(self, request: Request, pk: str) -> Response:
        """Score histogram and per-question difficulty, discrimination, option counts."""
        if not can_grade(request.user, self.quiz):
            raise PermissionDenied("Only the course team sees statistics.")
        return Response(selectors.quiz_statistics(quiz=self.quiz))


class QuizItemViewSet(QuizzesBase):
    serializer_class = s.ItemOutSerializer

    @extend_schema(parameters=[ID])
    def destroy(self, request: Request, pk: str) -> Response:
        item = selectors.quiz_item_get(item_id=int(pk))
        self.author_only(item.quiz.course)
        services.quiz_item_remove(item=item)
        return Response(status=status.HTTP_204_NO_CONTENT)
