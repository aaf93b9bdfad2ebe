"""TOTP services: enrolment, replay and window rules, recovery codes, disable, concurrency."""

import base64
import time
from urllib.parse import parse_qs, unquote, urlsplit

import pyotp
import pytest
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.db import connection

from accounts.models import RecoveryCode, TotpDevice
from accounts.services.mfa import (
    CODE_CHECKED,
    mfa_confirm,
    mfa_disable,
    mfa_enabled,
    mfa_recovery_codes_regenerate,
    mfa_recovery_codes_remaining,
    mfa_setup_begin,
    mfa_verify,
)
from accounts.tests.factories import TEST_PASSWORD, UserFactory
from lms.audit.models import AuditLog
from lms.errors import ServiceError
from lms.testing import run_together, unchanged

pytestmark = pytest.mark.django_db

STEP = 30


@pytest.fixture
def later() -> float:
    """A time well after the step the confirming code used: no step there is spent yet."""
    return time.time() + 10 * STEP


def enable_mfa(user) -> tuple[pyotp.TOTP, list[str]]:
    totp = pyotp.TOTP(mfa_setup_begin(user=user).secret)
    return totp, mfa_confirm(user=user, code=totp.now())


def refusal(call) -> tuple[str | None, str]:
    """What a service refused with: (None, code) for a ServiceError, (field, code) for an
    error of one input (a 400 naming the field in the API)."""
    try:
        call()
    except ServiceError as exc:
        return None, exc.code
    except ValidationError as exc:
        ((field, errors),) = exc.error_dict.items()
        return field, str(errors[0].code)
    pytest.fail("the service did not refuse")


def audited(action: str, user) -> bool:
    return AuditLog.objects.filter(action=action, target_id=str(user.pk), actor=user).exists()


# --- setup and confirm ---------------------------------------------------------------------


def test_setup_returns_an_otpauth_uri_for_the_secret_and_an_svg(settings):
    settings.MFA_ISSUER = "Test LMS"
    user = UserFactory(email="ada@example.test")
    setup = mfa_setup_begin(user=user)

    uri = urlsplit(setup.otpauth_uri)
    query = parse_qs(uri.query)
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert unquote(uri.path) == "/Test LMS:ada@example.test"
    assert query["secret"] == [setup.secret]
    assert query["issuer"] == ["Test LMS"]
    assert len(base64.b32decode(setup.secret)) >= 20  # 160 bits, RFC 4226
    assert setup.qr_svg.startswith("<svg") and "<path" in setup.qr_svg
    device = TotpDevice.objects.get(user=user)
    assert device.secret == setup.secret and device.confirmed_at is None
    assert not mfa_enabled(user)


def test_setup_again_replaces_the_unconfirmed_secret():
    user = UserFactory()
    first = mfa_setup_begin(user=user)
    second = mfa_setup_begin(user=user)
    assert first.secret != second.secret
    assert TotpDevice.objects.filter(user=user).count() == 1
    assert refusal(lambda: mfa_confirm(user=user, code=pyotp.TOTP(first.secret).now())) == (
        "code",
        "invalid_code",
    )
    assert mfa_confirm(user=user, code=pyotp.TOTP(second.secret).now())


def test_setup_when_enabled_is_refused_and_keeps_the_device():
    user = UserFactory()
    totp, _ = enable_mfa(user)
    assert refusal(lambda: mfa_setup_begin(user=user)) == (None, "mfa_already_enabled")
    assert TotpDevice.objects.get(user=user).secret == totp.secret


def test_confirm_without_setup_is_refused():
    assert refusal(lambda: mfa_confirm(user=UserFactory(), code="123456")) == (
        None,
        "mfa_not_started",
    )


def test_confirm_with_a_wrong_code_leaves_mfa_off():
    user = UserFactory()
    secret = mfa_setup_begin(user=user).secret
    wrong = pyotp.TOTP(secret).at(time.time(), counter_offset=5)
    device = TotpDevice.objects.get(user=user)
    with unchanged(device, counts=(RecoveryCode, AuditLog)):
        assert refusal(lambda: mfa_confirm(user=user, code=wrong)) == ("code", "invalid_code")
    assert not mfa_enabled(user)
    assert not RecoveryCode.objects.filter(user=user).exists()


def test_confirm_enables_mfa_and_returns_ten_distinct_codes_stored_hashed():
    user = UserFactory()
    _, codes = enable_mfa(user)

    assert mfa_enabled(user)
    assert len(set(codes)) == 10
    assert all(len(code) == 11 and code[5] == "-" for code in codes)
    hashes = list(RecoveryCode.objects.filter(user=user).values_list("code_hash", flat=True))
    assert len(hashes) == 10
    for code in codes:
        plain = code.replace("-", "")
        assert not any(plain in h or code in h for h in hashes)
        assert sum(check_password(plain, h) for h in hashes) == 1
    assert audited("user.mfa_enabled", user)


def test_the_confirming_code_cannot_be_replayed():
    user = UserFactory()
    totp = pyotp.TOTP(mfa_setup_begin(user=user).secret)
    now = time.time()
    mfa_confirm(user=user, code=totp.at(now))
    assert not mfa_verify(user=user, code=totp.at(now), now=now)


def test_confirm_twice_is_refused(later):
    user = UserFactory()
    totp, _ = enable_mfa(user)
    assert refusal(lambda: mfa_confirm(user=user, code=totp.at(later))) == (
        None,
        "mfa_already_enabled",
    )


# --- verify: TOTP ----------------------------------------------------------------------------


def test_a_code_is_accepted_once(later):
    user = UserFactory()
    totp, _ = enable_mfa(user)
    code = totp.at(later)
    assert mfa_verify(user=user, code=code, now=later)
    assert not mfa_verify(user=user, code=code, now=later)
    assert TotpDevice.objects.get(user=user).last_used_step == totp.timecode(later)


@pytest.mark.parametrize("offset", [-1, 1])
def test_a_code_one_step_away_is_accepted(offset, later):
    user = UserFactory()
    totp, _ = enable_mfa(user)
    assert mfa_verify(user=user, code=totp.at(later, counter_offset=offset), now=later)


@pytest.mark.parametrize("offset", [-2, 2])
def test_a_code_two_steps_away_is_refused(offset, later):
    user = UserFactory()
    totp, _ = enable_mfa(user)
    assert not mfa_verify(user=user, code=totp.at(later, counter_offset=offset), now=later)


def test_an_older_code_is_refused_after_a_newer_one(later):
    """Replay protection is by step: a code from before the last accepted one is spent too."""
    user = UserFactory()
    totp, _ = enable_mfa(user)
    assert mfa_verify(user=user, code=totp.at(later), now=later)
    assert not mfa_verify(user=user, code=totp.at(later - STEP), now=later)
    assert mfa_verify(user=user, code=totp.at(later + STEP), now=later + STEP)


def test_codes_are_accepted_with_spaces(later):
    user = UserFactory()
    totp, _ = enable_mfa(user)
    code = totp.at(later)
    assert mfa_verify(user=user, code=f" {code[:3]} {code[3:]} ", now=later)


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "zzzzz-zzzzz"])
def test_garbage_is_refused(code, later):
    user = UserFactory()
    enable_mfa(user)
    assert not mfa_verify(user=user, code=code, now=later)


def test_verify_refuses_users_without_a_confirmed_device(later):
    assert not mfa_verify(user=UserFactory(), code="123456")
    user = UserFactory()
    totp = pyotp.TOTP(mfa_setup_begin(user=user).secret)
    assert not mfa_verify(user=user, code=totp.at(later), now=later)


# --- verify: recovery codes ------------------------------------------------------------------


def test_a_recovery_code_works_once():
    user = UserFactory()
    _, codes = enable_mfa(user)
    assert mfa_verify(user=user, code=codes[3])
    assert not mfa_verify(user=user, code=codes[3])
    assert mfa_recovery_codes_remaining(user=user) == 9
    assert mfa_verify(user=user, code=codes[4])  # the others still work


def test_recovery_codes_are_accepted_as_typed():
    user = UserFactory()
    _, codes = enable_mfa(user)
    assert mfa_verify(user=user, code=codes[0].upper())
    assert mfa_verify(user=user, code=codes[1].replace("-", ""))
    assert mfa_verify(user=user, code=codes[2].replace("-", " - "))


def test_recovery_codes_of_another_user_are_refused():
    user, other = UserFactory(), UserFactory()
    enable_mfa(user)
    _, other_codes = enable_mfa(other)
    assert not mfa_verify(user=user, code=other_codes[0])


# --- disable and regenerate ------------------------------------------------------------------


def test_disable_needs_the_password():
    user = UserFactory()
    totp, _ = enable_mfa(user)
    device = TotpDevice.objects.get(user=user)
    with unchanged(device, counts=(RecoveryCode, AuditLog)):
        assert refusal(
            lambda: mfa_disable(user=user, password="wrong", code=totp.at(time.time() + STEP))
        ) == ("password", "invalid_password")
    assert mfa_enabled(user)


def test_disable_needs_a_code():
    user = UserFactory()
    enable_mfa(user)
    device = TotpDevice.objects.get(user=user)
    with unchanged(device, counts=(RecoveryCode, AuditLog)):
        assert refusal(lambda: mfa_disable(user=user, password=TEST_PASSWORD, code="000000")) == (
            "code",
            "invalid_code",
        )
    assert mfa_enabled(user)


def test_disable_with_password_and_code_removes_device_and_codes():
    user = UserFactory()
    totp, _ = enable_mfa(user)
    mfa_disable(user=user, password=TEST_PASSWORD, code=totp.at(time.time() + STEP))
    assert not mfa_enabled(user)
    assert not TotpDevice.objects.filter(user=user).exists()
    assert not RecoveryCode.objects.filter(user=user).exists()
    assert audited("user.mfa_disabled", user)


def test_disable_without_mfa_is_refused():
    assert refusal(
        lambda: mfa_disable(user=UserFactory(), password=TEST_PASSWORD, code="123456")
    ) == (None, "mfa_not_enabled")


def test_regenerate_replaces_every_code():
    user = UserFactory()
    _, old = enable_mfa(user)
    new = mfa_recovery_codes_regenerate(user=user, code=old[0])
    assert len(new) == 10 and not set(new) & set(old)
    assert mfa_recovery_codes_remaining(user=user) == 10
    assert not any(mfa_verify(user=user, code=code) for code in old[1:])
    assert mfa_verify(user=user, code=new[0])
    assert audited("user.mfa_recovery_codes_regenerated", user)


def test_regenerate_needs_a_valid_code():
    user = UserFactory()
    _, old = enable_mfa(user)
    device = TotpDevice.objects.get(user=user)
    with unchanged(device, counts=(RecoveryCode, AuditLog)):
        assert refusal(lambda: mfa_recovery_codes_regenerate(user=user, code="000000")) == (
            "code",
            "invalid_code",
        )
    assert mfa_verify(user=user, code=old[0])


# --- concurrency -----------------------------------------------------------------------------


def _race(verify) -> list[bool]:
    """Four verifications (the DB pool's size), each held after matching its code until
    all have matched: without the device row lock, every one would accept the code."""
    connection.close()  # hand the test's pooled connection to the racers
    return run_together([verify] * 4, hold_at=CODE_CHECKED)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_uses_of_one_totp_code_let_exactly_one_through(later):
    user = UserFactory()
    totp, _ = enable_mfa(user)
    code = totp.at(later)
    results = _race(lambda: mfa_verify(user=user, code=code, now=later))
    assert results.count(True) == 1 and len(results) > 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_uses_of_one_recovery_code_let_exactly_one_through():
    user = UserFactory()
    _, codes = enable_mfa(user)
    results = _race(lambda: mfa_verify(user=user, code=codes[0]))
    assert results.count(True) == 1 and len(results) > 1
    assert mfa_recovery_codes_remaining(user=user) == 9
