"""The error codes the accounts app declares (docs/api-errors.md is generated from them).

Refusals that concern one field of the request (a taken email, a wrong current password,
an invalid emailed token, a wrong MFA code on the MFA endpoints) are not codes here: they
are 400 `validation_error` items naming the field (`email_taken`, `invalid_password`,
`invalid_token`, `invalid_code`). Malformed, forged or expired tokens answer the platform's
`authentication_failed`; a CSRF failure the platform's `csrf_failed`.
"""

from lms.errors import declare_error_codes

declare_error_codes(
    "accounts",
    {
        "invalid_credentials": (
            401,
            "Login: the email and password do not match an active account, or the account "
            "is locked for a while after too many failed attempts (the answer is the same "
            "for each).",
        ),
        "mfa_expired": (
            401,
            "Login step two (or MFA setup during login): the `mfa_token` is invalid or has "
            "expired; log in again.",
        ),
        "invalid_code": (
            401,
            "Login step two: the MFA code is wrong or was already used; it counts towards "
            "the lockout.",
        ),
        "session_ended": (
            401,
            "The login session is over (logout, logout everywhere, password change, "
            "deactivation, or reuse of a rotated refresh token); log in again.",
        ),
        "email_not_verified": (403, "Login: verify the email address first."),
        "own_role": (403, "Nobody can change their own role."),
        "own_account": (403, "Admins cannot deactivate themselves."),
        "mfa_already_enabled": (409, "Multi-factor authentication is already enabled."),
        "mfa_not_started": (409, "Confirming MFA needs a setup started first."),
        "mfa_not_enabled": (409, "Multi-factor authentication is not enabled."),
    },
)
