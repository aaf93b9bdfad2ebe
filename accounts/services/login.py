"""API logins (password step, MFA step), password checks with lockout, and the
short-lived MFA challenge between the two steps."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import LoginSession, User, normalize_email
from accounts.services.mfa import mfa_confirm, mfa_enabled, mfa_verify
from accounts.services.sessions import TokenPair, session_start
from lms.audit.services import audit_log_record
from lms.concurrency import race_point
from lms.errors import ServiceError
from lms.outbox.services import outbox_publish
from lms.request_context import current_client_ip

MFA_CHALLENGE_SALT = "accounts.mfa-challenge"
LOCK_CHECKED = "login.lock_checked"  # race point: between the lock check and the password check
NEW_LOGIN_LOOKBACK = timedelta(days=90)


@dataclass(frozen=True)
class LoginResult:
    """A finished login (`pair`, and `recovery_codes` after a first MFA setup), or the
    MFA step still to come (`mfa_token`; `mfa_setup_required` when MFA must be set up)."""

    user: User
    kind: str
    pair: TokenPair | None = None
    mfa_token: str | None = None
    mfa_setup_required: bool = False
    recovery_codes: list[str] | None = None


def login_with_password(
    *, email: str, password: str, kind: str, user_agent: str = ""
) -> LoginResult:
    """Step one of an API login. Not atomic: a failed guess stays counted when it refuses."""
    user = credentials_check(email=email, password=password)
    if user is None:
        raise ServiceError("invalid_credentials", "Invalid email or password.")
    if user.email_verified_at is None:
        raise ServiceError("email_not_verified", "Verify your email address first.")
    if mfa_enabled(user):
        token = mfa_challenge_issue(user=user, kind=kind)
        return LoginResult(user=user, kind=kind, mfa_token=token)
    if user.role in settings.MFA_REQUIRED_ROLES:
        token = mfa_challenge_issue(user=user, kind=kind)
        return LoginResult(user=user, kind=kind, mfa_token=token, mfa_setup_required=True)
    pair = login_complete(user=user, kind=kind, mfa_used=False, user_agent=user_agent)
    return LoginResult(user=user, kind=kind, pair=pair)


def login_with_mfa(*, mfa_token: str, code: str, user_agent: str = "") -> LoginResult:
    """Step two: a TOTP or recovery code, or for a role that must use MFA the code that
    confirms its first setup (auth/mfa/setup/ first). A wrong code counts towards the
    lockout, and that count is committed before the refusal."""
    user, kind = mfa_challenge_require(token=mfa_token)
    with transaction.atomic():
        recovery_codes: list[str] | None = None
        if mfa_enabled(user):
            accepted = mfa_verify(user=user, code=code)
        else:
            try:
                recovery_codes = mfa_confirm(user=user, code=code)
            except (ValidationError, ServiceError):  # a wrong code, or setup not started
                accepted = False
            else:
                accepted = True
        if accepted:
            login_failures_clear(user=user)
            pair = login_complete(user=user, kind=kind, mfa_used=True, user_agent=user_agent)
            return LoginResult(user=user, kind=kind, pair=pair, recovery_codes=recovery_codes)
        login_failure_record(user=user)
    raise ServiceError("invalid_code", "The code is not valid.")


@transaction.atomic
def login_complete(*, user: User, kind: str, mfa_used: bool, user_agent: str = "") -> TokenPair:
    """The last step of every API login: a new session, last_login, the new-sign-in notice."""
    pair = session_start(user=user, kind=kind, user_agent=user_agent)
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    if not mfa_used:
        _login_notice_publish(user=user, session_id=pair.session_id, user_agent=user_agent)
    return pair


def _login_notice_publish(*, user: User, session_id: Any, user_agent: str) -> None:
    """Tell users without MFA about a sign-in from a browser or app not seen recently."""
    user_agent = user_agent[:256]
    seen = (
        LoginSession.objects.filter(
            user=user,
            user_agent=user_agent,
            created_at__gte=timezone.now() - NEW_LOGIN_LOOKBACK,
        )
        .exclude(pk=session_id)
        .exists()
    )
    if not seen:
        outbox_publish(
            topic="accounts.new_login",
            payload={
                "user_id": user.pk,
                "ip": current_client_ip(),
                "user_agent": user_agent,
                "at": timezone.now().isoformat(),
            },
        )


@transaction.atomic
def credentials_check(*, email: str, password: str) -> User | None:
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
        audit_log_record(actor=None, action="user.login_locked", target=user)
        return None
    race_point(LOCK_CHECKED)
    if not user.check_password(password):
        login_failure_record(user=user)
        return None
    if not user.is_active:
        return None
    login_failures_clear(user=user)
    return user


def login_failure_record(*, user: User) -> None:
    """Count a failed password or MFA code; the threshold locks the account for a while
    and tells its owner (once per lock: attempts refused while locked are not counted).

    The caller holds the user's row lock (credentials_check) or takes it here.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    user.failed_login_count += 1
    fields = ["failed_login_count"]
    if user.failed_login_count >= settings.LOCKOUT_THRESHOLD:
        attempts = user.failed_login_count
        user.locked_until = timezone.now() + settings.LOCKOUT_DURATION
        user.failed_login_count = 0
        fields.append("locked_until")
        audit_log_record(
            actor=None,
            action="user.locked",
            target=user,
            changes={"locked_until": [None, user.locked_until.isoformat()]},
        )
        outbox_publish(
            topic="accounts.account_locked",
            payload={
                "user_id": user.pk,
                "locked_until": user.locked_until.isoformat(),
                "attempts": attempts,
            },
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


def mfa_challenge_require(*, token: str) -> tuple[User, str]:
    """mfa_challenge_read, refusing with `mfa_expired` when there is no valid challenge."""
    challenge = mfa_challenge_read(token=token)
    if challenge is None:
        raise ServiceError("mfa_expired", "The MFA step has expired; log in again.")
    return challenge
