"""TOTP multi-factor authentication (RFC 6238) and single-use recovery codes.

Verification never counts failures: the callers (login step two, the session login pages)
feed wrong codes into the lockout counter, so guessing is bounded there.
"""

import hmac
import secrets
import time
from dataclasses import dataclass

import pyotp
import qrcode
from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from qrcode.image.svg import SvgPathImage

from accounts.models import RecoveryCode, TotpDevice, User
from lms.audit.services import audit_log_record
from lms.concurrency import race_point
from lms.errors import ServiceError

RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_LENGTH = 10
# Lower-case, without look-alikes (0/o, 1/l/i): codes are read off paper and typed by hand.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
TOTP_DIGITS = 6  # pyotp's default, what every authenticator app shows
# Steps either side of now that are still accepted, for clock drift and typing time.
TOTP_WINDOW = 1
CODE_CHECKED = "mfa.code_checked"  # race point: between matching a code and spending it


def _invalid_code() -> ValidationError:
    return ValidationError({"code": ValidationError("The code is not valid.", code="invalid_code")})


def _not_enabled() -> ServiceError:
    return ServiceError("mfa_not_enabled", "Multi-factor authentication is not enabled.")


def _already_enabled() -> ServiceError:
    return ServiceError("mfa_already_enabled", "Multi-factor authentication is already enabled.")


@dataclass(frozen=True)
class MfaSetup:
    secret: str
    otpauth_uri: str
    qr_svg: str


def mfa_enabled(user: User) -> bool:
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


@transaction.atomic
def mfa_setup_begin(*, user: User) -> MfaSetup:
    """Start (or restart) enrolment with a fresh secret; a confirmed device is never replaced,
    or anyone holding a session could silently move the second factor to their own phone."""
    secret = pyotp.random_base32()
    # get_or_create with the row lock: two concurrent setups cannot both insert or overwrite.
    device, created = TotpDevice.objects.select_for_update().get_or_create(
        user=user, defaults={"secret": secret}
    )
    if device.confirmed_at is not None:
        raise _already_enabled()
    if not created:
        device.secret = secret
        device.last_used_step = None
        device.created_at = timezone.now()
        device.save(update_fields=["secret", "last_used_step", "created_at"])
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=settings.MFA_ISSUER)
    qr_svg = qrcode.make(uri, image_factory=SvgPathImage).to_string(encoding="unicode")
    return MfaSetup(secret=secret, otpauth_uri=uri, qr_svg=qr_svg)


@transaction.atomic
def mfa_confirm(*, user: User, code: str) -> list[str]:
    """Enable MFA once the user proves the authenticator works; returns the recovery codes,
    the only time they exist in plain text."""
    device = TotpDevice.objects.select_for_update().filter(user=user).first()
    if device is None:
        raise ServiceError("mfa_not_started", "Start the multi-factor setup first.")
    if device.confirmed_at is not None:
        raise _already_enabled()
    step = _totp_step_matched(device, _normalise(code), now=time.time())
    if step is None:
        raise _invalid_code()
    # Recording the step means the confirming code cannot be replayed at login either.
    device.last_used_step = step
    device.confirmed_at = timezone.now()
    device.save(update_fields=["last_used_step", "confirmed_at"])
    codes = _recovery_codes_replace(user)
    audit_log_record(actor=user, action="user.mfa_enabled", target=user)
    return codes


@transaction.atomic
def mfa_verify(*, user: User, code: str, now: float | None = None) -> bool:
    """True for a TOTP code newer than the last accepted one, or an unused recovery code.

    The device row lock serialises every verification of this user, so of two concurrent
    requests with the same code exactly one sees it unused. `now` (unix time) is for tests.
    """
    device = (
        TotpDevice.objects.select_for_update().filter(user=user, confirmed_at__isnull=False).first()
    )
    if device is None:
        return False
    cleaned = _normalise(code)
    if len(cleaned) != TOTP_DIGITS:
        return _recovery_code_use(user, cleaned)
    step = _totp_step_matched(device, cleaned, now=time.time() if now is None else now)
    if step is None:
        return False
    race_point(CODE_CHECKED)
    device.last_used_step = step
    device.save(update_fields=["last_used_step"])
    return True


@transaction.atomic
def mfa_disable(*, user: User, password: str, code: str) -> None:
    """Both factors are required, so neither a stolen session plus password nor a stolen
    phone alone can remove the second factor."""
    if not mfa_enabled(user):
        raise _not_enabled()
    if not user.check_password(password):
        raise ValidationError(
            {"password": ValidationError("The password is not correct.", code="invalid_password")}
        )
    if not mfa_verify(user=user, code=code):
        raise _invalid_code()
    RecoveryCode.objects.filter(user=user).delete()
    TotpDevice.objects.filter(user=user).delete()
    audit_log_record(actor=user, action="user.mfa_disabled", target=user)


@transaction.atomic
def mfa_recovery_codes_regenerate(*, user: User, code: str) -> list[str]:
    """Replace every recovery code (used or not) with ten new ones, shown once."""
    if not mfa_enabled(user):
        raise _not_enabled()
    if not mfa_verify(user=user, code=code):
        raise _invalid_code()
    codes = _recovery_codes_replace(user)
    audit_log_record(actor=user, action="user.mfa_recovery_codes_regenerated", target=user)
    return codes


def mfa_recovery_codes_remaining(*, user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def _normalise(code: str) -> str:
    """How users type codes: with spaces, the dash we print, or in capitals."""
    return "".join(code.split()).replace("-", "").lower()


def _totp_step_matched(device: TotpDevice, code: str, *, now: float) -> int | None:
    """The time step within the window whose code this is, if newer than the last used one."""
    if len(code) != TOTP_DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(device.secret)
    current = totp.timecode(now)
    floor = -1 if device.last_used_step is None else device.last_used_step
    for step in range(current - TOTP_WINDOW, current + TOTP_WINDOW + 1):
        if step > floor and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _recovery_code_use(user: User, code: str) -> bool:
    """Mark the matching unused code as used, under its row lock: a concurrent use of the
    same code waits, then no longer finds it unused (PostgreSQL re-checks the filter)."""
    if len(code) != RECOVERY_CODE_LENGTH or not set(code) <= set(RECOVERY_ALPHABET):
        return False  # not a recovery code: spare the (deliberately slow) hash checks
    for row in RecoveryCode.objects.select_for_update().filter(user=user, used_at__isnull=True):
        if check_password(code, row.code_hash):
            race_point(CODE_CHECKED)
            row.used_at = timezone.now()
            row.save(update_fields=["used_at"])
            return True
    return False


def _recovery_codes_replace(user: User) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    raw = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    RecoveryCode.objects.bulk_create(
        [RecoveryCode(user=user, code_hash=make_password(code)) for code in raw]
    )
    half = RECOVERY_CODE_LENGTH // 2
    return [f"{code[:half]}-{code[half:]}" for code in raw]
