"""API authentication: bearer JWTs (mobile), HttpOnly cookie JWTs with CSRF (browser SPAs).

Both accept an access token only while its login session is live and the user active, so
logout, logout-all, password changes and deactivation take effect on the next request.
"""

from typing import Any

from django.conf import settings
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.tokens import Token

from accounts.models import User
from accounts.services.sessions import SESSION_CLAIM, user_for_access_token

# A real access token is ~400 bytes; anything far larger is not worth decoding.
MAX_TOKEN_LENGTH = 4096


class BearerJWTAuthentication(JWTAuthentication):
    def authenticate(self, request: Request) -> tuple[User, Token] | None:  # type: ignore[override]
        header = self.get_header(request)
        if header is None:
            return None
        raw = self.get_raw_token(header)
        if raw is None:
            return None
        return self._authenticate_raw(raw)

    def _authenticate_raw(self, raw: bytes | str) -> tuple[User, Token]:
        if len(raw) > MAX_TOKEN_LENGTH:
            raise AuthenticationFailed("Token is invalid.", code="token_not_valid")
        validated = self.get_validated_token(raw)  # type: ignore[arg-type]
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
        SessionAuthentication().enforce_csrf(request)  # 403 without a valid token
        return result

    def authenticate_header(self, request: Any) -> str:
        return 'Bearer realm="api"'
