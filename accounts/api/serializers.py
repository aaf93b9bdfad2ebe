"""Input and output shapes of the accounts API. Every one is strict: a field it does not
know is a 400 naming it."""

from typing import Any

from rest_framework import serializers

from accounts.models import User, validate_timezone
from lms.api.serializers import ModelSerializer, QuerySerializer, Serializer

AVATAR_MAX_BYTES = 2 * 1024 * 1024
AVATAR_FORMATS = {"JPEG", "PNG", "WEBP"}


class UserSerializer(ModelSerializer):
    mfa_enabled = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "first_name",
            "last_name",
            "role",
            "is_active",
            "email_verified_at",
            "timezone",
            "avatar",
            "date_joined",
            "mfa_enabled",
        ]
        read_only_fields = fields

    def get_mfa_enabled(self, user: User) -> bool:
        device = getattr(user, "totp_device", None)
        return bool(device and device.confirmed_at)


class AdminUserSerializer(UserSerializer):
    class Meta(UserSerializer.Meta):
        fields = [*UserSerializer.Meta.fields, "last_login", "locked_until", "failed_login_count"]
        read_only_fields = fields


class ProfileUpdateSerializer(Serializer):
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    timezone = serializers.CharField(max_length=64, required=False, validators=[validate_timezone])
    avatar = serializers.ImageField(required=False, allow_null=True)

    def validate_avatar(self, avatar: Any) -> Any:
        # ImageField has already opened it with Pillow: a real image, not a renamed file.
        if avatar is None:
            return None
        if avatar.size > AVATAR_MAX_BYTES:
            raise serializers.ValidationError(
                "The avatar must be 2 MB or smaller.", code="too_large"
            )
        image_format = getattr(getattr(avatar, "image", None), "format", None)
        if image_format not in AVATAR_FORMATS:
            raise serializers.ValidationError(
                "The avatar must be a JPEG, PNG or WebP image.", code="invalid_image"
            )
        return avatar


class RegisterSerializer(Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)


class TokenSerializer(Serializer):
    token = serializers.CharField(max_length=1024)


class EmailSerializer(Serializer):
    email = serializers.EmailField(max_length=254)


class LoginSerializer(Serializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False)
    mode = serializers.ChoiceField(choices=["bearer", "cookie"], default="bearer")


class LoginMfaSerializer(Serializer):
    mfa_token = serializers.CharField(max_length=1024)
    code = serializers.CharField(max_length=32)


class RefreshSerializer(Serializer):
    refresh = serializers.CharField(
        max_length=4096,
        required=False,
        help_text="Bearer mode. Cookie mode sends no body: the refresh cookie is used.",
    )


class PasswordChangeSerializer(Serializer):
    old_password = serializers.CharField(max_length=128, trim_whitespace=False)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


class PasswordResetConfirmSerializer(Serializer):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=128)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


class UserQuerySerializer(QuerySerializer):
    """Filters of the admins' user list."""

    role = serializers.ChoiceField(choices=User.Role.choices, required=False)
    is_active = serializers.BooleanField(required=False, allow_null=True, default=None)


class AdminUserUpdateSerializer(Serializer):
    role = serializers.ChoiceField(choices=User.Role.choices, required=False)
    is_active = serializers.BooleanField(required=False)


class InviteSerializer(Serializer):
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=User.Role.choices, default=User.Role.INSTRUCTOR)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)


# Response shapes, for the OpenAPI schema.
class TokenResponseSerializer(Serializer):
    token_type = serializers.CharField(help_text="Bearer mode only.", required=False)
    access = serializers.CharField(help_text="Bearer mode only.", required=False)
    refresh = serializers.CharField(help_text="Bearer mode only.", required=False)
    csrf_token = serializers.CharField(help_text="Cookie mode only.", required=False)
    access_expires_at = serializers.DateTimeField()
    refresh_expires_at = serializers.DateTimeField()
    user = UserSerializer(required=False)
    recovery_codes = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="After a first MFA setup."
    )


class LoginResponseSerializer(TokenResponseSerializer):
    mfa_required = serializers.BooleanField(required=False)
    mfa_setup_required = serializers.BooleanField(required=False)
    mfa_token = serializers.CharField(required=False, help_text="For auth/login/mfa/.")


class DetailSerializer(Serializer):
    detail = serializers.CharField()


class WsTicketSerializer(Serializer):
    ticket = serializers.CharField()
    expires_at = serializers.DateTimeField()
