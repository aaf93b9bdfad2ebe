"""The error codes the payments app declares (docs/api-errors.md is generated from them).

The join refusals a checkout shares with enrolling (`course_archived`,
`course_not_published`, `enrollment_closed`, `already_enrolled`, `enrollment_revoked`)
are enrollments' codes, raised by its join check.
"""

from lms.errors import declare_error_codes

declare_error_codes(
    "payments",
    {
        "coupon_unknown": (400, "No active coupon has this code."),
        "coupon_expired": (400, "The coupon is not valid at this time."),
        "coupon_not_applicable": (400, "The coupon is for another course or currency."),
        "coupon_exhausted": (400, "The coupon has been redeemed as often as it may be."),
        "coupon_used": (400, "The learner has already used this coupon as often as allowed."),
        "invalid_signature": (
            400,
            "A Stripe webhook whose `Stripe-Signature` is missing, does not match, or is "
            "outside the timestamp tolerance; nothing was stored.",
        ),
        "invalid_payload": (400, "A signed Stripe webhook body that is not a Stripe event."),
        "course_is_free": (
            409,
            "The course is free: there is nothing to pay; `enroll` names the endpoint to use.",
        ),
        "not_refundable": (
            409,
            "The order is not paid (or paid nothing, or is fully refunded): nothing to refund.",
        ),
        "stripe_error": (
            502,
            "Stripe refused the request or could not be reached; nothing was stored.",
        ),
        "payments_not_configured": (
            503,
            "Payments are not configured on this server (no Stripe keys): paid courses "
            "cannot be bought or refunded; free courses still enroll.",
        ),
    },
)
