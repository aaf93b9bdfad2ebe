"""Authentication endpoints under /api/v1/auth/. Views are thin: services do the work and
raise the refusals (lms.errors.ServiceError, or field errors), which the API's exception
handler turns into problems."""

from typing import Any

from django.conf import settings
from django.contrib.auth import logout as session_logout
from django.contrib.auth import update_session_auth_hash
from django.db import transaction
from django.middleware.csrf import get_token
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import serializers as s
from accounts.api.common import CHALLENGE, user_agent, validated
from accounts.authentication import csrf_check
from accounts.models import LoginSession, User
from accounts.services.login import LoginResult, login_with_mfa, login_with_password
from accounts.services.sessions import (
    SESSION_CLAIM,
    TokenPair,
    session_end,
    session_kind,
    session_refresh,
    session_start,
    sessions_end_all,
    ws_ticket_issue,
)
from accounts.services.users import (
    email_verification_resend,
    email_verify,
    password_change,
    password_reset_confirm,
    password_reset_request,
    user_register,
)
from lms.api.serializers import EmptySerializer

BEARER, COOKIE = LoginSession.Kind.BEARER, LoginSession.Kind.COOKIE


class AuthView(APIView):
    throttle_scope = "auth"
    permission_classes = [AllowAny]
    # Credentials arrive in the body; a stale token or cookie must not block a fresh login.
    authentication_classes: Any = []

    def get_authenticate_header(self, request: Request) -> str:
        return CHALLENGE  # keeps 401 a 401 (DRF turns it into 403 without one)


class AuthenticatedAuthView(AuthView):
    permission_classes = [IsAuthenticated]
    authentication_classes = APIView.authentication_classes


def _set_auth_cookies(response: Response, pair: TokenPair) -> None:
    common = {
        "httponly": True,
        "secure": settings.AUTH_COOKIE_SECURE,
        "samesite": settings.AUTH_COOKIE_SAMESITE,
    }
    access_age = int((pair.access_expires_at - timezone.now()).total_seconds())
    refresh_age = int((pair.refresh_expires_at - timezone.now()).total_seconds())
    response.set_cookie(
        settings.AUTH_COOKIE_ACCESS, pair.access, max_age=access_age, path="/", **common
    )
    response.set_cookie(
        settings.AUTH_COOKIE_REFRESH,
        pair.refresh,
        max_age=refresh_age,
        path=settings.AUTH_COOKIE_REFRESH_PATH,
        **common,
    )


def _clear_auth_cookies(response: Response) -> None:
    samesite: Any = settings.AUTH_COOKIE_SAMESITE
    response.delete_cookie(settings.AUTH_COOKIE_ACCESS, path="/", samesite=samesite)
    response.delete_cookie(
        settings.AUTH_COOKIE_REFRESH, path=settings.AUTH_COOKIE_REFRESH_PATH, samesite=samesite
    )


def _token_response(
    request: Request, pair: TokenPair, kind: str, user: User | None = None, **extra: Any
) -> Response:
    """Bearer mode: tokens in the body. Cookie mode: HttpOnly cookies plus a CSRF token."""
    data: dict[str, Any] = {
        "access_expires_at": pair.access_expires_at,
        "refresh_expires_at": pair.refresh_expires_at,
        **extra,
    }
    if user is not None:
        data["user"] = s.UserSerializer(user).data
    if kind == COOKIE:
        data["csrf_token"] = get_token(request)
        response = Response(data)
        _set_auth_cookies(response, pair)
        return response
    data.update(token_type="Bearer", access=pair.access, refresh=pair.refresh)  # noqa: S106
    return Response(data)


def _login_response(request: Request, result: LoginResult) -> Response:
    if result.pair is None:  # the MFA step comes next
        flag = "mfa_setup_required" if result.mfa_setup_required else "mfa_required"
        return Response({flag: True, "mfa_token": result.mfa_token})
    extra = {} if result.recovery_codes is None else {"recovery_codes": result.recovery_codes}
    return _token_response(request, result.pair, result.kind, result.user, **extra)


class RegisterView(AuthView):
    @extend_schema(request=s.RegisterSerializer, responses={201: s.UserSerializer})
    def post(self, request: Request) -> Response:
        user = user_register(**validated(request, s.RegisterSerializer))
        return Response(s.UserSerializer(user).data, status=status.HTTP_201_CREATED)


class EmailVerifyView(AuthView):
    @extend_schema(request=s.TokenSerializer, responses={200: s.UserSerializer})
    def post(self, request: Request) -> Response:
        user = email_verify(token=validated(request, s.TokenSerializer)["token"])
        return Response(s.UserSerializer(user).data)


class EmailResendView(AuthView):
    @extend_schema(request=s.EmailSerializer, responses={202: s.DetailSerializer})
    def post(self, request: Request) -> Response:
        email_verification_resend(email=validated(request, s.EmailSerializer)["email"])
        return Response(
            {"detail": "If the address needs verifying, a new link is on its way."},
            status=status.HTTP_202_ACCEPTED,
        )


class LoginView(AuthView):
    """Step one. With MFA on (or required for the role) the answer is an `mfa_token` for
    auth/login/mfa/ instead of tokens."""

    @extend_schema(request=s.LoginSerializer, responses={200: s.LoginResponseSerializer})
    def post(self, request: Request) -> Response:
        data = validated(request, s.LoginSerializer)
        result = login_with_password(
            email=data["email"],
            password=data["password"],
            kind=data["mode"],
            user_agent=user_agent(request),
        )
        return _login_response(request, result)


class LoginMfaView(AuthView):
    """Step two. Also finishes a required first-time MFA setup (auth/mfa/setup/ first)."""

    @extend_schema(request=s.LoginMfaSerializer, responses={200: s.TokenResponseSerializer})
    def post(self, request: Request) -> Response:
        data = validated(request, s.LoginMfaSerializer)
        result = login_with_mfa(
            mfa_token=data["mfa_token"], code=data["code"], user_agent=user_agent(request)
        )
        return _login_response(request, result)


class RefreshView(AuthView):
    """Bearer mode sends `refresh`; cookie mode sends no body (and the CSRF token)."""

    @extend_schema(request=s.RefreshSerializer, responses={200: s.TokenResponseSerializer})
    def post(self, request: Request) -> Response:
        raw = validated(request, s.RefreshSerializer).get("refresh")
        kind = BEARER
        if not raw:
            raw = request.COOKIES.get(settings.AUTH_COOKIE_REFRESH)
            if not raw:
                raise NotAuthenticated("No refresh token was sent.")
            csrf_check(request)  # the cookie is ambient
            kind = COOKIE
        return _token_response(request, session_refresh(raw_refresh=raw), kind)


def _session_id(request: Request) -> Any:
    """The login session of a JWT request; None for a Django session (pages, admin)."""
    token: Any = request.auth
    return token.get(SESSION_CLAIM) if token is not None else None


class LogoutView(AuthenticatedAuthView):
    @extend_schema(request=s.RefreshSerializer, responses={204: None})
    def post(self, request: Request) -> Response:
        raw_refresh = validated(request, s.RefreshSerializer).get("refresh")
        session_id = _session_id(request)
        if session_id is not None:
            session_end(session_id=session_id, raw_refresh=raw_refresh)
        else:
            session_logout(request._request)
        response = Response(status=status.HTTP_204_NO_CONTENT)
        _clear_auth_cookies(response)
        return response


class LogoutAllView(AuthenticatedAuthView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        validated(request, EmptySerializer)
        sessions_end_all(user=request.user, reason="logout_all")  # type: ignore[arg-type]
        if _session_id(request) is None:
            session_logout(request._request)
        response = Response(status=status.HTTP_204_NO_CONTENT)
        _clear_auth_cookies(response)
        return response


class PasswordChangeView(AuthenticatedAuthView):
    """Ends every token session; a JWT client gets a fresh pair in its own mode."""

    @extend_schema(request=s.PasswordChangeSerializer, responses={200: s.TokenResponseSerializer})
    def post(self, request: Request) -> Response:
        data = validated(request, s.PasswordChangeSerializer)
        user: User = request.user  # type: ignore[assignment]
        session_id = _session_id(request)
        kind = session_kind(session_id=session_id) if session_id is not None else None
        pair = None
        with transaction.atomic():
            password_change(user=user, **data)
            if kind is not None:
                pair = session_start(user=user, kind=kind, user_agent=user_agent(request))
        if pair is None:  # a Django session (pages, admin) stays signed in
            update_session_auth_hash(request._request, user)
            return Response({"user": s.UserSerializer(user).data})
        return _token_response(request, pair, str(kind), user)


class PasswordResetView(AuthView):
    @extend_schema(request=s.EmailSerializer, responses={202: s.DetailSerializer})
    def post(self, request: Request) -> Response:
        password_reset_request(email=validated(request, s.EmailSerializer)["email"])
        return Response(
            {"detail": "If an account uses this address, a reset link is on its way."},
            status=status.HTTP_202_ACCEPTED,
        )


class PasswordResetConfirmView(AuthView):
    @extend_schema(request=s.PasswordResetConfirmSerializer, responses={204: None})
    def post(self, request: Request) -> Response:
        data = validated(request, s.PasswordResetConfirmSerializer)
        password_reset_confirm(
            uidb64=data["uid"], token=data["token"], new_password=data["new_password"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class WsTicketView(AuthenticatedAuthView):
    @extend_schema(request=None, responses={201: s.WsTicketSerializer})
    def post(self, request: Request) -> Response:
        validated(request, EmptySerializer)
        ticket, expires_at = ws_ticket_issue(user=request.user)  # type: ignore[arg-type]
        return Response(
            {"ticket": ticket, "expires_at": expires_at}, status=status.HTTP_201_CREATED
        )
