"""Authentication endpoints under /api/v1/auth/. Views are thin: services do the work."""

from typing import Any

from django.conf import settings
from django.contrib.auth import logout as session_logout
from django.contrib.auth import update_session_auth_hash
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.middleware.csrf import get_token
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated, PermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import serializers as s
from accounts.api.errors import raise_account_error, raise_password_invalid
from accounts.models import LoginSession, User
from accounts.services import mfa
from accounts.services.login import (
    credentials_check,
    login_failure_record,
    login_failures_clear,
    mfa_challenge_issue,
    mfa_challenge_read,
)
from accounts.services.sessions import (
    SESSION_CLAIM,
    TokenPair,
    TokenRejected,
    session_end,
    session_refresh,
    session_start,
    sessions_end_all,
    ws_ticket_issue,
)
from accounts.services.users import (
    AccountError,
    email_verification_resend,
    email_verify,
    login_complete,
    password_change,
    password_reset_confirm,
    password_reset_request,
    user_register,
)

BEARER, COOKIE = LoginSession.Kind.BEARER, LoginSession.Kind.COOKIE
INVALID_CREDENTIALS = "Invalid email or password."


class AuthView(APIView):
    throttle_scope = "auth"
    permission_classes = [AllowAny]
    # Credentials arrive in the body; a stale token or cookie must not block a fresh login.
    authentication_classes: Any = []

    def get_authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'  # keeps 401 a 401 (DRF turns it into 403 without one)

    def body(self, serializer_class: type[Any]) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


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


def _complete_login(
    request: Request, user: User, kind: str, *, mfa_used: bool, **extra: Any
) -> Response:
    pair = login_complete(user=user, kind=kind, mfa_used=mfa_used, request=request)
    return _token_response(request, pair, kind, user, **extra)


class RegisterView(AuthView):
    @extend_schema(request=s.RegisterSerializer, responses={201: s.UserSerializer})
    def post(self, request: Request) -> Response:
        data = self.body(s.RegisterSerializer)
        try:
            user = user_register(**data, request=request)
        except AccountError as exc:
            raise_account_error(exc, field="email")
        except DjangoValidationError as exc:
            raise_password_invalid(exc, field="password")
        return Response(s.UserSerializer(user).data, status=status.HTTP_201_CREATED)


class EmailVerifyView(AuthView):
    @extend_schema(request=s.TokenSerializer, responses={200: s.UserSerializer})
    def post(self, request: Request) -> Response:
        data = self.body(s.TokenSerializer)
        try:
            user = email_verify(token=data["token"], request=request)
        except AccountError as exc:
            raise_account_error(exc, field="token")
        return Response(s.UserSerializer(user).data)


class EmailResendView(AuthView):
    @extend_schema(request=s.EmailSerializer, responses={202: s.DetailSerializer})
    def post(self, request: Request) -> Response:
        email_verification_resend(email=self.body(s.EmailSerializer)["email"])
        return Response(
            {"detail": "If the address needs verifying, a new link is on its way."},
            status=status.HTTP_202_ACCEPTED,
        )


class LoginView(AuthView):
    @extend_schema(request=s.LoginSerializer, responses={200: s.LoginResponseSerializer})
    def post(self, request: Request) -> Response:
        data = self.body(s.LoginSerializer)
        user = credentials_check(email=data["email"], password=data["password"], request=request)
        if user is None:
            raise AuthenticationFailed(INVALID_CREDENTIALS, code="invalid_credentials")
        if user.email_verified_at is None:
            raise PermissionDenied("Verify your email address first.", code="email_not_verified")
        if mfa.mfa_enabled(user):
            token = mfa_challenge_issue(user=user, kind=data["mode"])
            return Response({"mfa_required": True, "mfa_token": token})
        if user.role in settings.MFA_REQUIRED_ROLES:
            token = mfa_challenge_issue(user=user, kind=data["mode"])
            return Response({"mfa_setup_required": True, "mfa_token": token})
        return _complete_login(request, user, data["mode"], mfa_used=False)


class LoginMfaView(AuthView):
    """Step two. Also finishes a required first-time MFA setup (auth/mfa/setup/ first)."""

    @extend_schema(request=s.LoginMfaSerializer, responses={200: s.TokenResponseSerializer})
    def post(self, request: Request) -> Response:
        data = self.body(s.LoginMfaSerializer)
        challenge = mfa_challenge_read(token=data["mfa_token"])
        if challenge is None:
            raise AuthenticationFailed(
                "The MFA step has expired; log in again.", code="mfa_expired"
            )
        user, kind = challenge
        extra: dict[str, Any] = {}
        with transaction.atomic():
            if mfa.mfa_enabled(user):
                accepted = mfa.mfa_verify(user=user, code=data["code"])
            else:
                try:
                    extra["recovery_codes"] = mfa.mfa_confirm(
                        user=user, code=data["code"], request=request
                    )
                    accepted = True
                except mfa.MfaError:
                    accepted = False
            if accepted:
                login_failures_clear(user=user)
                return _complete_login(request, user, kind, mfa_used=True, **extra)
            login_failure_record(user=user, request=request)
        raise AuthenticationFailed("The code is not valid.", code="invalid_code")


class RefreshView(AuthView):
    @extend_schema(request=s.RefreshSerializer, responses={200: s.TokenResponseSerializer})
    def post(self, request: Request) -> Response:
        raw = self.body(s.RefreshSerializer).get("refresh")
        kind = BEARER
        if not raw:
            raw = request.COOKIES.get(settings.AUTH_COOKIE_REFRESH)
            if not raw:
                raise NotAuthenticated("No refresh token was sent.")
            SessionAuthentication().enforce_csrf(request)  # the cookie is ambient
            kind = COOKIE
        try:
            pair = session_refresh(raw_refresh=raw, request=request)
        except TokenRejected as exc:
            raise AuthenticationFailed(str(exc), code="token_not_valid") from exc
        return _token_response(request, pair, kind)


def _session_id(request: Request) -> Any:
    """The login session of a JWT request; None for a Django session (pages, admin)."""
    token: Any = request.auth
    return token.get(SESSION_CLAIM) if token is not None else None


class LogoutView(AuthenticatedAuthView):
    @extend_schema(request=s.RefreshSerializer, responses={204: None})
    def post(self, request: Request) -> Response:
        session_id = _session_id(request)
        if session_id is not None:
            session_end(session_id=session_id, raw_refresh=request.data.get("refresh"))
        else:
            session_logout(request._request)
        response = Response(status=status.HTTP_204_NO_CONTENT)
        _clear_auth_cookies(response)
        return response


class LogoutAllView(AuthenticatedAuthView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
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
        data = self.body(s.PasswordChangeSerializer)
        user: User = request.user  # type: ignore[assignment]
        session_id = _session_id(request)
        kind = LoginSession.objects.filter(pk=session_id).values_list("kind", flat=True).first()
        try:
            with transaction.atomic():
                password_change(
                    user=user,
                    old_password=data["old_password"],
                    new_password=data["new_password"],
                    request=request,
                )
                pair = session_start(user=user, kind=kind, request=request) if kind else None
        except AccountError as exc:
            raise_account_error(exc, field="old_password")
        except DjangoValidationError as exc:
            raise_password_invalid(exc, field="new_password")
        if pair is None:  # a Django session (pages, admin) stays signed in
            update_session_auth_hash(request._request, user)
            return Response({"user": s.UserSerializer(user).data})
        return _token_response(request, pair, str(kind), user)


class PasswordResetView(AuthView):
    @extend_schema(request=s.EmailSerializer, responses={202: s.DetailSerializer})
    def post(self, request: Request) -> Response:
        password_reset_request(email=self.body(s.EmailSerializer)["email"])
        return Response(
            {"detail": "If an account uses this address, a reset link is on its way."},
            status=status.HTTP_202_ACCEPTED,
        )


class PasswordResetConfirmView(AuthView):
    @extend_schema(request=s.PasswordResetConfirmSerializer, responses={204: None})
    def post(self, request: Request) -> Response:
        data = self.body(s.PasswordResetConfirmSerializer)
        try:
            password_reset_confirm(
                uidb64=data["uid"],
                token=data["token"],
                new_password=data["new_password"],
                request=request,
            )
        except AccountError as exc:
            raise_account_error(exc, field="token")
        except DjangoValidationError as exc:
            raise_password_invalid(exc, field="new_password")
        return Response(status=status.HTTP_204_NO_CONTENT)


class WsTicketView(AuthenticatedAuthView):
    @extend_schema(request=None, responses={201: s.WsTicketSerializer})
    def post(self, request: Request) -> Response:
        ticket, expires_at = ws_ticket_issue(user=request.user)  # type: ignore[arg-type]
        return Response(
            {"ticket": ticket, "expires_at": expires_at}, status=status.HTTP_201_CREATED
        )
