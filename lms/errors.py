"""One service error for every app, and the one list of error codes.

Services raise `ServiceError(code, message, **extra)` when a request is valid in form but
refused by the rules (a full course, a closed quiz, a last owner). The API's exception
handler (lms.api.exceptions) turns it into an RFC 9457 problem with the code's status;
the server-rendered pages show `message`. Field errors stay Django/DRF ValidationErrors
(400 `validation_error` with `errors`).

Every code is declared once, with its HTTP status and meaning, in the owning app's
`errors.py` (`declare_error_codes`), so a code answers the same status everywhere and
docs/api-errors.md is generated from this registry (`manage.py api_errors_doc`). Raising
an undeclared code is a bug and fails loudly.
"""

from dataclasses import dataclass
from typing import Any

from django.utils.module_loading import autodiscover_modules


@dataclass(frozen=True)
class ErrorCode:
    code: str
    status: int
    meaning: str
    owner: str


_CODES: dict[str, ErrorCode] = {}


def declare_error_codes(owner: str, codes: dict[str, tuple[int, str]]) -> None:
    """Declares `{code: (status, meaning)}` for `owner` (an app label or "platform").

    Declaring a code again with the same status is allowed (module reloads); with another
    status it is a bug: one code, one status."""
    for code, (status, meaning) in codes.items():
        known = _CODES.get(code)
        if known is not None and known.status != status:
            raise ValueError(
                f"Error code {code!r} is declared with status {known.status} by "
                f"{known.owner} and {status} by {owner}."
            )
        _CODES[code] = ErrorCode(code=code, status=status, meaning=meaning, owner=owner)


def error_code(code: str) -> ErrorCode:
    try:
        return _CODES[code]
    except KeyError:
        raise LookupError(
            f"Undeclared error code {code!r}: declare it in its app's errors.py."
        ) from None


def all_error_codes() -> list[ErrorCode]:
    """Every declared code, after importing each installed app's `errors` module."""
    autodiscover_modules("errors")
    return sorted(_CODES.values(), key=lambda c: (c.status, c.owner != "platform", c.code))


class ServiceError(Exception):
    """A refusal: stable `code`, human `message`, the code's HTTP `status`, and `extra`
    members added to the problem document (e.g. `checkout`, `deadline`)."""

    def __init__(self, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = error_code(code).status
        self.extra = extra

    def __repr__(self) -> str:
        return f"ServiceError({self.code!r}, {self.message!r})"


# The platform's own codes: what DRF, Django and the platform core answer on their own.
declare_error_codes(
    "platform",
    {
        "validation_error": (400, "The body or query failed validation; see `errors`."),
        "parse_error": (400, "The body is not valid JSON (or the declared type)."),
        "bad_request": (400, "A malformed request rejected before the API (e.g. a bad `Host`)."),
        "not_authenticated": (401, "No credentials were given."),
        "authentication_failed": (401, "Credentials were given but are wrong or expired."),
        "permission_denied": (403, "Authenticated, but not allowed to do this."),
        "csrf_failed": (
            403,
            "A cookie- or session-authenticated unsafe request without a valid CSRF token.",
        ),
        "not_found": (404, "No such resource, or one the caller may not know exists."),
        "method_not_allowed": (405, "The path does not support this method."),
        "not_acceptable": (406, "The `Accept` header asks for a format the API does not produce."),
        "payload_too_large": (413, "The body exceeds the configured limit."),
        "unsupported_media_type": (415, "The body's content type is not accepted here."),
        "throttled": (429, "Rate limit hit; retry after `Retry-After` seconds."),
        "server_error": (500, "An unexpected error; the detail is generic, the trace is logged."),
        "service_unavailable": (503, "A dependency the request needs is unavailable; retry."),
    },
)
