"""Errors the quiz services raise besides Django's ValidationError (400)."""

from typing import Any


class QuizError(Exception):
    """A refusal with a stable machine-readable `code` and an HTTP status for the API."""

    status = 400

    def __init__(self, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra


class QuizConflict(QuizError):
    """409: deadline_passed, attempt_submitted, question_in_use, not_enough_questions,
    not_manual, not_submitted."""

    status = 409


class QuizRefused(QuizError):
    """403: quiz_not_open, quiz_closed, no_attempts_left, not_enrolled."""

    status = 403
