"""MFA endpoints: enrol (also mid-login, with the MFA token), disable, recovery codes."""

from typing import Any, NoReturn

from django.utils.cache import add_never_cache_headers
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ErrorDetail, NotAuthenticated, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.services.login import mfa_challenge_read
from accounts.services.mfa import (
    MfaError,
    mfa_confirm,
    mfa_disable,
    mfa_enabled,
    mfa_recovery_codes_regenerate,
    mfa_recovery_codes_remaining,
    mfa_setup_begin,
)
from lms.api.exceptions import Conflict

# Error code -> (field it is reported on, message). Codes without a field are 409s.
MFA_ERRORS: dict[str, tuple[str | None, str]] = {
    "invalid_code": ("code", "The code is not valid."),
    "invalid_password": ("password", "The password is not correct."),
    "mfa_already_enabled": (None, "Multi-factor authentication is already enabled."),
    "mfa_not_started": (None, "Start the multi-factor setup first."),
    "mfa_not_enabled": (None, "Multi-factor authentication is not enabled."),
}

# Generous for typed codes ("abcde-fghij" plus spaces), small enough to refuse junk early.
CODE_MAX_LENGTH = 32


def _raise_mfa_error(exc: MfaError) -> NoReturn:
    field, message = MFA_ERRORS[exc.code]
    if field is None:
        raise Conflict(detail=message, code=exc.code) from exc
    raise ValidationError({field: [ErrorDetail(message, code=exc.code)]}) from exc


def _secret_response(data: dict[str, Any]) -> Response:
    """Secrets and recovery codes must not linger in any cache between client and server."""
    response = Response(data)
    add_never_cache_headers(response)
    return response


class EnrolInput(serializers.Serializer[Any]):
    mfa_token = serializers.CharField(required=False, max_length=1024)


class ConfirmInput(EnrolInput):
    code = serializers.CharField(max_length=CODE_MAX_LENGTH)


class DisableInput(serializers.Serializer[Any]):
    password = serializers.CharField(max_length=4096, trim_whitespace=False)
    code = serializers.CharField(max_length=CODE_MAX_LENGTH)


class CodeInput(serializers.Serializer[Any]):
    code = serializers.CharField(max_length=CODE_MAX_LENGTH)


class SetupOutput(serializers.Serializer[Any]):
    secret = serializers.CharField()
    otpauth_uri = serializers.CharField()
    qr_svg = serializers.CharField()


class RecoveryCodesOutput(serializers.Serializer[Any]):
    recovery_codes = serializers.ListField(child=serializers.CharField())


class RecoveryStatusOutput(serializers.Serializer[Any]):
    remaining = serializers.IntegerField()
    enabled = serializers.BooleanField()


def _enrolling_user(request: Request, data: dict[str, Any]) -> User:
    """The signed-in user, or the one halfway through a login whose role requires MFA."""
    if request.user.is_authenticated:
        return request.user
    challenge = mfa_challenge_read(token=data["mfa_token"]) if data.get("mfa_token") else None
    if challenge is None:
        raise NotAuthenticated()
    return challenge[0]


class MfaSetupView(APIView):
    permission_classes = [AllowAny]  # or an MFA token instead of a login: see _enrolling_user
    throttle_scope = "auth"

    @extend_schema(request=EnrolInput, responses={200: SetupOutput}, summary="Begin TOTP setup")
    def post(self, request: Request) -> Response:
        serializer = EnrolInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = _enrolling_user(request, serializer.validated_data)
        try:
            setup = mfa_setup_begin(user=user)
        except MfaError as exc:
            _raise_mfa_error(exc)
        return _secret_response(
            {"secret": setup.secret, "otpauth_uri": setup.otpauth_uri, "qr_svg": setup.qr_svg}
        )


class MfaConfirmView(APIView):
    permission_classes = [AllowAny]
    throttle_scope = "auth"

    @extend_schema(
        request=ConfirmInput, responses={200: RecoveryCodesOutput}, summary="Confirm TOTP setup"
    )
    def post(self, request: Request) -> Response:
        serializer = ConfirmInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = _enrolling_user(request, serializer.validated_data)
        try:
            codes = mfa_confirm(user=user, code=serializer.validated_data["code"], request=request)
        except MfaError as exc:
            _raise_mfa_error(exc)
        return _secret_response({"recovery_codes": codes})


class MfaDisableView(APIView):
    throttle_scope = "auth"

    @extend_schema(request=DisableInput, responses={204: None}, summary="Disable MFA")
    def post(self, request: Request) -> Response:
        serializer = DisableInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            mfa_disable(
                user=request.user,  # type: ignore[arg-type]
                password=serializer.validated_data["password"],
                code=serializer.validated_data["code"],
                request=request,
            )
        except MfaError as exc:
            _raise_mfa_error(exc)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MfaRecoveryCodesView(APIView):
    throttle_scope = "auth"

    @extend_schema(responses={200: RecoveryStatusOutput}, summary="Recovery codes left")
    def get(self, request: Request) -> Response:
        user: User = request.user  # type: ignore[assignment]
        return Response(
            {"remaining": mfa_recovery_codes_remaining(user=user), "enabled": mfa_enabled(user)}
        )

    @extend_schema(
        request=CodeInput, responses={200: RecoveryCodesOutput}, summary="New recovery codes"
    )
    def post(self, request: Request) -> Response:
        serializer = CodeInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            codes = mfa_recovery_codes_regenerate(
                user=request.user,  # type: ignore[arg-type]
                code=serializer.validated_data["code"],
                request=request,
            )
        except MfaError as exc:
            _raise_mfa_error(exc)
        return _secret_response({"recovery_codes": codes})
