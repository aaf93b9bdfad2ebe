"""MFA endpoints: enrol (also mid-login, with the MFA token), disable, recovery codes."""

from typing import Any

from django.utils.cache import add_never_cache_headers
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.common import validated
from accounts.models import User
from accounts.services.login import mfa_challenge_require
from accounts.services.mfa import (
    mfa_confirm,
    mfa_disable,
    mfa_enabled,
    mfa_recovery_codes_regenerate,
    mfa_recovery_codes_remaining,
    mfa_setup_begin,
)
from lms.api.serializers import Serializer

# Generous for typed codes ("abcde-fghij" plus spaces), small enough to refuse junk early.
CODE_MAX_LENGTH = 32


def _secret_response(data: dict[str, Any]) -> Response:
    """Secrets and recovery codes must not linger in any cache between client and server."""
    response = Response(data)
    add_never_cache_headers(response)
    return response


class EnrolInput(Serializer):
    mfa_token = serializers.CharField(
        required=False,
        max_length=1024,
        help_text="From auth/login/, when the role requires MFA and there is no login yet.",
    )


class ConfirmInput(EnrolInput):
    code = serializers.CharField(max_length=CODE_MAX_LENGTH)


class DisableInput(Serializer):
    password = serializers.CharField(max_length=4096, trim_whitespace=False)
    code = serializers.CharField(max_length=CODE_MAX_LENGTH)


class CodeInput(Serializer):
    code = serializers.CharField(max_length=CODE_MAX_LENGTH)


class SetupOutput(Serializer):
    secret = serializers.CharField()
    otpauth_uri = serializers.CharField()
    qr_svg = serializers.CharField()


class RecoveryCodesOutput(Serializer):
    recovery_codes = serializers.ListField(child=serializers.CharField())


class RecoveryStatusOutput(Serializer):
    remaining = serializers.IntegerField()
    enabled = serializers.BooleanField()


def _enrolling_user(request: Request, data: dict[str, Any]) -> User:
    """The signed-in user, or the one halfway through a login whose role requires MFA."""
    if request.user.is_authenticated:
        return request.user
    token = data.get("mfa_token")
    if not token:
        raise NotAuthenticated()
    return mfa_challenge_require(token=token)[0]


class MfaView(APIView):
    throttle_scope = "auth"


class MfaSetupView(MfaView):
    # A login, or instead the MFA token of a login that must set up MFA first.
    permission_classes = [AllowAny]

    @extend_schema(request=EnrolInput, responses={200: SetupOutput}, summary="Begin TOTP setup")
    def post(self, request: Request) -> Response:
        user = _enrolling_user(request, validated(request, EnrolInput))
        setup = mfa_setup_begin(user=user)
        return _secret_response(
            {"secret": setup.secret, "otpauth_uri": setup.otpauth_uri, "qr_svg": setup.qr_svg}
        )


class MfaConfirmView(MfaView):
    permission_classes = [AllowAny]

    @extend_schema(
        request=ConfirmInput, responses={200: RecoveryCodesOutput}, summary="Confirm TOTP setup"
    )
    def post(self, request: Request) -> Response:
        data = validated(request, ConfirmInput)
        codes = mfa_confirm(user=_enrolling_user(request, data), code=data["code"])
        return _secret_response({"recovery_codes": codes})


class MfaDisableView(MfaView):
    @extend_schema(request=DisableInput, responses={204: None}, summary="Disable MFA")
    def post(self, request: Request) -> Response:
        mfa_disable(user=request.user, **validated(request, DisableInput))  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


class MfaRecoveryCodesView(MfaView):
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
        codes = mfa_recovery_codes_regenerate(
            user=request.user,  # type: ignore[arg-type]
            code=validated(request, CodeInput)["code"],
        )
        return _secret_response({"recovery_codes": codes})
