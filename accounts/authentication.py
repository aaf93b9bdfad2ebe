"""API authentication: bearer JWTs (mobile), HttpOnly cookie JWTs with CSRF (browser SPAs),
and Django sessions (pages, admin) with CSRF.

Both JWT classes accept an access token only while its login session is live and the user
active, so logout, logout-all, password changes and deactivation take effect on the next
request. Every refusal carries a declared code (docs/api-errors.md), never simplejwt's or
DRF's own: `authentication_failed` for a malformed, forged or expired token,
`session_ended` for a token whose session is over, `csrf_failed` for a missing CSRF token.
"""

from typing import Any

from django.conf import settings
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.tokens import Token

from accounts.models import User
from accounts.services.sessions import SESSION_CLAIM, user_for_access_token

# A real access token is ~400 bytes; anything far larger is not worth decoding.
MAX_TOKEN_LENGTH = 4096
TOKEN_NOT_VALID = "The token is invalid or expired."  # noqa: S105 - a message


def csrf_check(request: Request) -> None:
    """Django's CSRF check for a request that carries ambient credentials (a cookie);
    a failure is a 403 `csrf_failed` (DRF would say `permission_denied`)."""
    try:
        SessionAuthentication().enforce_csrf(request)
    except PermissionDenied as exc:
        raise PermissionDenied(str(exc.detail), code="csrf_failed") from exc


class CsrfSessionAuthentication(SessionAuthentication):
    """DRF's session authentication, its CSRF failures answered as `csrf_failed`."""

    def enforce_csrf(self, request: Request) -> None:
        csrf_check(request)


class BearerJWTAuthentication(JWTAuthentication):
    def authenticate(self, request: Request) -> tuple[User, Token] | None:  # type: ignore[override]
        header = self.get_header(request)
        if header is None:
            return None
        raw = self.get_raw_token(header)
        if raw is None:
            return None
        return self._authenticate_raw(raw)

    def get_raw_token(self, header: bytes) -> bytes | None:
        try:
            return super().get_raw_token(header)
        except AuthenticationFailed as exc:  # simplejwt's `bad_authorization_header`
            raise AuthenticationFailed(
                "The Authorization header must be `Bearer <token>`.",
                code="authentication_failed",
            ) from exc

    def _authenticate_raw(self, raw: bytes | str) -> tuple[User, Token]:
        if len(raw) > MAX_TOKEN_LENGTH:
            raise AuthenticationFailed(TOKEN_NOT_VALID, code="authentication_failed")
        try:
            validated = self.get_validated_token(raw)  # type: ignore[arg-type]
        except InvalidToken as exc:
            raise AuthenticationFailed(TOKEN_NOT_VALID, code="authentication_failed") from exc
        return self.get_user(validated), validated

    def get_user(self, validated_token: Token) -> User:  # type: ignore[override]
        user = user_for_access_token(
            user_id=validated_token.get(settings.SIMPLE_JWT["USER_ID_CLAIM"]),
            session_id=validated_token.get(SESSION_CLAIM),
        )
        if user is None:
            raise AuthenticationFailed("The session has ended.", code="session_ended")
        return user


class CookieJWTAuthentication(BearerJWTAuthentication):
    """The access token from an HttpOnly cookie. Cookies ride along on every request, so
    unsafe methods must also carry Django's CSRF token (DRF's JWT classes do not check it)."""

    def authenticate(self, request: Request) -> tuple[User, Token] | None:  # type: ignore[override]
        raw = request.COOKIES.get(settings.AUTH_COOKIE_ACCESS)
        if not raw:
            return None
        result = self._authenticate_raw(raw)
        csrf_check(request)  # 403 csrf_failed without a valid token
        return result

    def authenticate_header(self, request: Any) -> str:
        return 'Bearer realm="api"'
