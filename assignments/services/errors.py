"""Refusals of the assignments services besides Django's ValidationError (400)."""

from typing import Any


class AssignmentError(Exception):
    """A refusal with a stable machine-readable `code` and an HTTP status for the API."""

    status = 400

    def __init__(self, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra


class SubmissionRefused(AssignmentError):
    """403: not_enrolled, not_published, not_available, closed, late_refused,
    no_resubmissions."""

    status = 403


class GradingConflict(AssignmentError):
    """409: not_latest (only the newest version is graded), conflict."""

    status = 409


class PayloadTooLarge(AssignmentError):
    """413: the body is over the assignment's limit; refused before it is read."""

    status = 413
