"""Tokens for emailed links.

Password reset uses Django's generator: single-use (it hashes the password and last
login) and expiring (PASSWORD_RESET_TIMEOUT). Email verification signs the user id, the
address and the verification state, so a link dies once used or once the address changes.
"""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from accounts.models import User

EMAIL_VERIFICATION_SALT = "accounts.email-verification"
password_reset_token = default_token_generator


def email_verification_token_make(user: User) -> str:
    state = [user.pk, user.email, str(user.email_verified_at)]
    return signing.dumps(state, salt=EMAIL_VERIFICATION_SALT, compress=True)


def email_verification_token_user(token: str) -> User | None:
    """The user the token was made for, if it is genuine, fresh and still unused."""
    try:
        user_id, email, verified_at = signing.loads(
            token, salt=EMAIL_VERIFICATION_SALT, max_age=settings.EMAIL_VERIFICATION_TIMEOUT
        )
        user = User.objects.get(pk=user_id)
    except (signing.BadSignature, ValueError, TypeError, User.DoesNotExist):
        return None
    if user.email != email or str(user.email_verified_at) != verified_at:
        return None
    return user


def uid_encode(user: User) -> str:
    return urlsafe_base64_encode(force_bytes(user.pk))


def uid_decode(uidb64: str) -> User | None:
    try:
        return User.objects.get(pk=int(force_str(urlsafe_base64_decode(uidb64))))
    except (TypeError, ValueError, OverflowError, User.DoesNotExist):
        return None
