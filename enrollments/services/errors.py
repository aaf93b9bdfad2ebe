"""Errors the enrollment services raise besides Django's ValidationError (400)."""

from typing import Any


class EnrollmentError(Exception):
    """A refusal with a stable machine-readable `code` and an HTTP status for the API."""

    status = 400

    def __init__(self, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra


class EnrollmentConflict(EnrollmentError):
    """409: already_enrolled, not_enrolled, not_active."""

    status = 409


class EnrollmentRefused(EnrollmentError):
    """403: enrollment_closed, course_archived, course_not_published, enrollment_revoked."""

    status = 403


class PaymentRequired(EnrollmentError):
    """402: payment_required, with `checkout` (where to pay) in `extra`."""

    status = 402
