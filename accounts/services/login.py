"""Password checks with lockout, and the short-lived MFA challenge between login steps."""

from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from accounts.models import User, normalize_email
from lms.audit.services import audit_log_record

MFA_CHALLENGE_SALT = "accounts.mfa-challenge"


@transaction.atomic
def credentials_check(*, email: str, password: str, request: Any = None) -> User | None:
    """The user if the password is right and the account is active and not locked.

    Unknown email, wrong password, locked and inactive all give None, so callers cannot
    answer differently. The row lock serialises guesses: however many arrive at once, no
    more than LOCKOUT_THRESHOLD passwords are evaluated before the lock.
    """
    user = User.objects.select_for_update().filter(email=normalize_email(email)).first()
    if user is None:
        User().set_password(password)  # the same hashing cost as a real check
        return None
    if user.is_locked():
        audit_log_record(actor=None, action="user.login_locked", target=user, request=request)
        return None
    if not user.check_password(password):
        login_failure_record(user=user, request=request)
        return None
    if not user.is_active:
        return None
    login_failures_clear(user=user)
    return user


def login_failure_record(*, user: User, request: Any = None) -> None:
    """Count a failed password or MFA code; the threshold locks the account for a while.

    The caller holds the user's row lock (credentials_check) or takes it here.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    user.failed_login_count += 1
    fields = ["failed_login_count"]
    if user.failed_login_count >= settings.LOCKOUT_THRESHOLD:
        user.locked_until = timezone.now() + settings.LOCKOUT_DURATION
        user.failed_login_count = 0
        fields.append("locked_until")
        audit_log_record(
            actor=None,
            action="user.locked",
            target=user,
            changes={"locked_until": [None, user.locked_until.isoformat()]},
            request=request,
        )
    user.save(update_fields=fields)


def login_failures_clear(*, user: User) -> None:
    if user.failed_login_count or user.locked_until:
        user.failed_login_count = 0
        user.locked_until = None
        user.save(update_fields=["failed_login_count", "locked_until"])


def mfa_challenge_issue(*, user: User, kind: str) -> str:
    """A signed token for login step two: who passed step one, and in which client mode.

    Wrong codes count as failed logins (login_failure_record), so the lockout also bounds
    guessing at this step.
    """
    return signing.dumps({"uid": user.pk, "kind": kind}, salt=MFA_CHALLENGE_SALT)


def mfa_challenge_read(*, token: str) -> tuple[User, str] | None:
    """The challenge's user and client mode; None if forged, expired, or the user can't log in."""
    try:
        data = signing.loads(token, salt=MFA_CHALLENGE_SALT, max_age=settings.MFA_TOKEN_TTL)
        user = User.objects.get(pk=data["uid"], is_active=True)
    except (signing.BadSignature, User.DoesNotExist, KeyError, TypeError):
        return None
    if user.is_locked():
        return None
    return user, str(data["kind"])
