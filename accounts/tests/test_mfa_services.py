"""TOTP services: enrolment, replay and window rules, recovery codes, disable, concurrency."""

import base64
import threading
import time
from urllib.parse import parse_qs, unquote, urlsplit

import pyotp
import pytest
from django.contrib.auth.hashers import check_password
from django.db import connection

from accounts.models import RecoveryCode, TotpDevice
from accounts.services.mfa import (
    MfaError,
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

pytestmark = pytest.mark.django_db

STEP = 30


@pytest.fixture
def later() -> float:
    """A time well after the step the confirming code used: no step there is spent yet."""
    return time.time() + 10 * STEP


def enable_mfa(user) -> tuple[pyotp.TOTP, list[str]]:
    totp = pyotp.TOTP(mfa_setup_begin(user=user).secret)
    return totp, mfa_confirm(user=user, code=totp.now())


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
    with pytest.raises(MfaError) as err:
        mfa_confirm(user=user, code=pyotp.TOTP(first.secret).now())
    assert err.value.code == "invalid_code"
    assert mfa_confirm(user=user, code=pyotp.TOTP(second.secret).now())


def test_setup_when_enabled_is_refused_and_keeps_the_device():
    user = UserFactory()
    totp, _ = enable_mfa(user)
    with pytest.raises(MfaError) as err:
        mfa_setup_begin(user=user)
    assert err.value.code == "mfa_already_enabled"
    assert TotpDevice.objects.get(user=user).secret == totp.secret


def test_confirm_without_setup_is_refused():
    with pytest.raises(MfaError) as err:
        mfa_confirm(user=UserFactory(), code="123456")
    assert err.value.code == "mfa_not_started"


def test_confirm_with_a_wrong_code_leaves_mfa_off():
    user = UserFactory()
    secret = mfa_setup_begin(user=user).secret
    wrong = pyotp.TOTP(secret).at(time.time(), counter_offset=5)
    with pytest.raises(MfaError) as err:
        mfa_confirm(user=user, code=wrong)
    assert err.value.code == "invalid_code"
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
    with pytest.raises(MfaError) as err:
        mfa_confirm(user=user, code=totp.at(later))
    assert err.value.code == "mfa_already_enabled"


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
    with pytest.raises(MfaError) as err:
        mfa_disable(user=user, password="wrong", code=totp.at(time.time() + STEP))
    assert err.value.code == "invalid_password"
    assert mfa_enabled(user)


def test_disable_needs_a_code():
    user = UserFactory()
    enable_mfa(user)
    with pytest.raises(MfaError) as err:
        mfa_disable(user=user, password=TEST_PASSWORD, code="000000")
    assert err.value.code == "invalid_code"
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
    with pytest.raises(MfaError) as err:
        mfa_disable(user=UserFactory(), password=TEST_PASSWORD, code="123456")
    assert err.value.code == "mfa_not_enabled"


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
    with pytest.raises(MfaError) as err:
        mfa_recovery_codes_regenerate(user=user, code="000000")
    assert err.value.code == "invalid_code"
    assert mfa_verify(user=user, code=old[0])


# --- concurrency -----------------------------------------------------------------------------


def _race(verify) -> list[bool]:
    """Run `verify` in as many threads as the connection pool holds, released together.

    Each thread takes its connection before the barrier: a thread still waiting for the
    pool would start after the others finished, and nothing would overlap.
    """
    connection.close()  # hand the test's own pooled connection back for the workers
    calls = connection.settings_dict["OPTIONS"]["pool"]["max_size"]
    barrier = threading.Barrier(calls, timeout=30)  # a broken run fails, never hangs
    results: list[bool] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            connection.ensure_connection()
            barrier.wait()
            outcome = verify()
            with lock:
                results.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == calls, "a worker failed; see its traceback above"
    return results


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
