"""Attempts (detail, autosave, submit) and hand grading of answers."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from courses.permissions import can_teach
from quizzes import presenters, selectors, services
from quizzes.api import serializers as s
from quizzes.api.views.common import ID, QuizzesBase
from quizzes.models import Attempt

# --- attempts ---------------------------------------------------------------------------


class AttemptViewSet(QuizzesBase):
    serializer_class = s.AttemptOutSerializer

    def _attempt(self) -> Attempt:
        """Own attempts (the team: any); an expired one is submitted first (on read)."""
        attempt = selectors.attempt_get(attempt_id=int(self.kwargs["pk"]), user=self.request.user)
        quiz = attempt.quiz
        attempt = services.attempt_expire_if_due(attempt=attempt)
        attempt.quiz = quiz
        return attempt

    def _out(self, attempt: Attempt, status_code: int = 200) -> Response:
        staff = can_teach(self.request.user, attempt.quiz.course)
        body = presenters.attempt_for_learner(
            attempt, selectors.attempt_answers(attempt=attempt), now=timezone.now(), staff=staff
        )
        return Response(body, status=status_code)

    @extend_schema(parameters=[ID])
    def retrieve(self, request: Request, pk: str) -> Response:
        return self._out(self._attempt())

    def _own(self, attempt: Attempt) -> None:
        if attempt.user_id != getattr(self.request.user, "pk", None):
            raise PermissionDenied("Only the learner answers their attempt.")

    @extend_schema(
        parameters=[ID], request=s.AnswersInputSerializer, responses=s.AutosaveOutSerializer
    )
    @action(detail=True, methods=["put"])
    def answers(self, request: Request, pk: str) -> Response:
        """Autosave: `{"answers": [{"answer_id", "response"}]}`, partial and idempotent;
        each `response` has the shape of its question's kind (a wrong one is a 400 naming
        the field, e.g. `/answers/0/response/choice`, and the shape expected).
        409 `deadline_passed` after the deadline plus grace (the attempt is then
        submitted with what was saved), 409 `attempt_submitted` after submitting."""
        data = self.valid(s.AnswersInputSerializer)
        # Not expired on read here: the service answers `deadline_passed` first.
        attempt = selectors.attempt_get(attempt_id=int(pk), user=request.user)
        self._own(attempt)
        saved, rows = services.attempt_answers_save(attempt=attempt, answers=data["answers"])
        # A small body for the hottest endpoint: what was saved, not the whole attempt.
        return Response(presenters.autosave_out(saved, rows))

    @extend_schema(parameters=[ID], request=None)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        """Submit and grade. Idempotent: a repeat returns the same result (200)."""
        self.no_body()
        attempt = self._attempt()
        self._own(attempt)
        quiz = attempt.quiz
        submitted, _ = services.attempt_submit(attempt=attempt)
        submitted.quiz = quiz
        return self._out(submitted)


class AttemptAnswerViewSet(QuizzesBase):
    serializer_class = s.GradeResultSerializer

    @extend_schema(parameters=[ID], request=s.GradeInputSerializer)
    @action(detail=True, methods=["post"])
    def grade(self, request: Request, pk: str) -> Response:
        """A grader sets points (0..possible) and feedback on an essay."""
        answer = selectors.attempt_answer_get(answer_id=int(pk), user=request.user)
        data = self.valid(s.GradeInputSerializer)
        graded = services.answer_grade(
            answer=answer,
            points=data["points"],
            feedback=data.get("feedback", ""),
            by=request.user,  # type: ignore[arg-type]
        )
        attempt = graded.attempt
        return Response(
            {
                "answer_id": graded.pk,
                "points_awarded": str(graded.points_awarded),
                "feedback": graded.feedback,
                "attempt": {
                    "id": attempt.pk,
                    "score": str(attempt.score),
                    "final": attempt.is_final,
                    "passed": attempt.passed,
                },
            }
        )
