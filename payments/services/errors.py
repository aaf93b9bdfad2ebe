"""Refusals of the payments services, each with a stable code and an HTTP status."""

from typing import Any


class PaymentError(Exception):
    status = 400

    def __init__(self, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra


class PaymentConflict(PaymentError):
    """409: already_enrolled, course_is_free, course_full, not_refundable."""

    status = 409


class PaymentRefused(PaymentError):
    """403: enrollment_closed, course_not_published, course_archived, enrollment_revoked."""

    status = 403


class CouponInvalid(PaymentError):
    """400: coupon_unknown, coupon_expired, coupon_not_applicable, coupon_exhausted, ..."""

    status = 400


class PaymentsNotConfigured(PaymentError):
    """503: Stripe keys are not set."""

    status = 503


class GatewayFailed(PaymentError):
    """502: Stripe refused or could not be reached; nothing was stored."""

    status = 502
