"""Question banks and questions (the course team only)."""

from functools import cached_property
from typing import TYPE_CHECKING

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from courses.permissions import can_teach
from courses.selectors import course_get_visible
from quizzes import presenters, selectors, services
from quizzes.api import serializers as s
from quizzes.api.views.common import COURSE_SLUG, ID, QuizzesBase
from quizzes.models import Question, QuestionBank

if TYPE_CHECKING:
    from courses.models import Course

# --- banks and questions ----------------------------------------------------------------


@extend_schema(parameters=[COURSE_SLUG])
class CourseBankViewSet(QuizzesBase):
    serializer_class = s.BankOutSerializer

    @cached_property
    def course(self) -> "Course":
        return course_get_visible(slug=self.kwargs["course_slug"], user=self.request.user)

    def list(self, request: Request, course_slug: str) -> Response:
        if not can_teach(request.user, self.course):
            raise PermissionDenied("Only the course team sees question banks.")
        page = self.paginate_queryset(selectors.bank_list(course=self.course)) or []
        return self.get_paginated_response(
            [{"id": b.pk, "title": b.title, "question_count": b.question_count} for b in page]
        )

    @extend_schema(request=s.BankInputSerializer, responses={201: s.BankOutSerializer})
    def create(self, request: Request, course_slug: str) -> Response:
        self.author_only(self.course)
        bank = services.bank_create(course=self.course, **self.valid(s.BankInputSerializer))
        return Response({"id": bank.pk, "title": bank.title}, status=status.HTTP_201_CREATED)


class BankViewSet(QuizzesBase):
    serializer_class = s.BankOutSerializer

    @cached_property
    def bank(self) -> QuestionBank:
        return selectors.bank_get(bank_id=int(self.kwargs["pk"]), user=self.request.user)

    @extend_schema(parameters=[ID])
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response({"id": self.bank.pk, "title": self.bank.title})

    @extend_schema(parameters=[ID], request=s.BankInputSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        self.author_only(self.bank.course)
        bank = services.bank_update(bank=self.bank, **self.valid(s.BankInputSerializer))
        return Response({"id": bank.pk, "title": bank.title})

    @extend_schema(parameters=[ID])
    def destroy(self, request: Request, pk: str) -> Response:
        self.author_only(self.bank.course)
        services.bank_delete(bank=self.bank)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        parameters=[ID],
        request=s.QUESTION_INPUT,
        responses={201: s.QUESTION},
        methods=["POST"],
    )
    @extend_schema(parameters=[ID], responses=s.QUESTION_LIST, methods=["GET"])
    @action(detail=True, methods=["get", "post"])
    def questions(self, request: Request, pk: str) -> Response:
        """GET: the bank's questions with their keys. POST: a new question; `data` and
        `key` have the shapes of its `kind`."""
        bank = self.bank
        if request.method == "GET":
            page = self.paginate_queryset(selectors.question_list(bank=bank)) or []
            return self.get_paginated_response([presenters.question_out(q) for q in page])
        self.author_only(bank.course)
        question = services.question_create(bank=bank, **self.valid(s.QuestionInputSerializer))
        return Response(presenters.question_out(question), status=status.HTTP_201_CREATED)


class QuestionViewSet(QuizzesBase):
    serializer_class = s.QuestionInputSerializer  # documented per kind by each action

    @cached_property
    def question(self) -> Question:
        return selectors.question_get(question_id=int(self.kwargs["pk"]), user=self.request.user)

    @extend_schema(parameters=[ID], responses=s.QUESTION)
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(presenters.question_out(self.question))

    @extend_schema(parameters=[ID], request=s.QUESTION_PATCH, responses=s.QUESTION)
    def partial_update(self, request: Request, pk: str) -> Response:
        """Any of the fields; `data` and `key` have the shapes of `kind` (the question's
        own when it is not sent). Changing the key (or data) regrades submitted attempts
        in the background."""
        self.author_only(self.question.course)
        data = self.valid(s.QuestionInputSerializer, partial=True)
        question = services.question_update(question=self.question, **data)
        return Response(presenters.question_out(question))

    @extend_schema(parameters=[ID])
    def destroy(self, request: Request, pk: str) -> Response:
        self.author_only(self.question.course)
        services.question_delete(question=self.question)
        return Response(status=status.HTTP_204_NO_CONTENT)
