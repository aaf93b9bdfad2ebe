"""MFA endpoints: enrol (signed in or mid-login), confirm, disable, recovery codes, errors."""

import time

import pyotp
import pytest
import qrcode
from django.urls import reverse
from qrcode.image.svg import SvgPathImage

from accounts.models import RecoveryCode, TotpDevice
from accounts.services.login import mfa_challenge_issue
from accounts.services.mfa import mfa_enabled, mfa_verify
from accounts.tests.factories import TEST_PASSWORD, InstructorFactory, UserFactory
from lms.testing import unchanged

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def next_code(totp: pyotp.TOTP) -> str:
    """The next step's code: inside the +-1 window, and never the step confirm just spent."""
    return totp.at(time.time(), counter_offset=1)


def enrol(api_client, user) -> tuple[pyotp.TOTP, list[str]]:
    api_client.force_authenticate(user)
    secret = api_client.post(reverse("mfa-setup")).json()["data"]["secret"]
    totp = pyotp.TOTP(secret)
    response = api_client.post(reverse("mfa-confirm"), {"code": totp.now()})
    assert response.status_code == 200, response.content
    return totp, response.json()["data"]["recovery_codes"]


def error_codes(response) -> list[tuple[str | None, str]]:
    assert response["Content-Type"].startswith(PROBLEM)
    return [(error["attr"], error["code"]) for error in response.json()["errors"]]


def test_setup_returns_the_secret_its_uri_and_a_qr_svg_uncached(api_client, settings):
    user = UserFactory(email="grace@example.test")
    api_client.force_authenticate(user)
    response = api_client.post(reverse("mfa-setup"))

    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) == {"secret", "otpauth_uri", "qr_svg"}
    assert data["otpauth_uri"] == pyotp.TOTP(data["secret"]).provisioning_uri(
        name="grace@example.test", issuer_name=settings.MFA_ISSUER
    )
    # The picture encodes exactly that URI.
    expected = qrcode.make(data["otpauth_uri"], image_factory=SvgPathImage)
    assert data["qr_svg"] == expected.to_string(encoding="unicode")
    assert "no-store" in response["Cache-Control"]
    assert not mfa_enabled(user)


def test_confirm_enables_mfa_and_returns_the_recovery_codes_once(api_client):
    user = UserFactory()
    api_client.force_authenticate(user)
    secret = api_client.post(reverse("mfa-setup")).json()["data"]["secret"]
    response = api_client.post(reverse("mfa-confirm"), {"code": pyotp.TOTP(secret).now()})

    assert response.status_code == 200
    codes = response.json()["data"]["recovery_codes"]
    assert len(codes) == 10
    assert "no-store" in response["Cache-Control"]
    assert mfa_enabled(user)
    stored = " ".join(RecoveryCode.objects.filter(user=user).values_list("code_hash", flat=True))
    assert not any(code.replace("-", "") in stored for code in codes)
    status = api_client.get(reverse("mfa-recovery-codes"))
    assert status.json()["data"] == {"remaining": 10, "enabled": True}


def test_confirm_with_a_wrong_code_is_a_400_problem(api_client):
    user = UserFactory()
    api_client.force_authenticate(user)
    secret = api_client.post(reverse("mfa-setup")).json()["data"]["secret"]
    wrong = pyotp.TOTP(secret).at(time.time(), counter_offset=5)
    with unchanged(TotpDevice.objects.get(user=user), counts=(RecoveryCode,)):
        response = api_client.post(reverse("mfa-confirm"), {"code": wrong})
    assert response.status_code == 400
    assert error_codes(response) == [("code", "invalid_code")]
    assert not mfa_enabled(user)


def test_confirm_before_setup_is_a_409(api_client):
    api_client.force_authenticate(UserFactory())
    response = api_client.post(reverse("mfa-confirm"), {"code": "123456"})
    assert response.status_code == 409
    assert response["Content-Type"].startswith(PROBLEM)
    assert response.json()["code"] == "mfa_not_started"


def test_setup_when_already_enabled_is_a_409(api_client):
    user = UserFactory()
    enrol(api_client, user)
    with unchanged(TotpDevice.objects.get(user=user)):
        response = api_client.post(reverse("mfa-setup"))
    assert response.status_code == 409
    assert response.json()["code"] == "mfa_already_enabled"


def test_the_same_code_twice_is_refused_the_second_time(api_client):
    user = UserFactory()
    totp, _ = enrol(api_client, user)
    code = next_code(totp)
    first = api_client.post(reverse("mfa-recovery-codes"), {"code": code})
    second = api_client.post(reverse("mfa-recovery-codes"), {"code": code})
    assert first.status_code == 200
    assert second.status_code == 400
    assert error_codes(second) == [("code", "invalid_code")]


def test_a_recovery_code_works_once(api_client):
    user = UserFactory()
    _, codes = enrol(api_client, user)
    first = api_client.post(reverse("mfa-recovery-codes"), {"code": codes[0]})
    assert first.status_code == 200
    new_codes = first.json()["data"]["recovery_codes"]
    assert len(new_codes) == 10 and not set(new_codes) & set(codes)
    # Regenerating spent the code and replaced all the others: none of the old ones work.
    for old in (codes[0], codes[1]):
        again = api_client.post(reverse("mfa-recovery-codes"), {"code": old})
        assert again.status_code == 400
    assert mfa_verify(user=user, code=new_codes[0])
    assert not mfa_verify(user=user, code=new_codes[0])


def test_disable_with_a_wrong_password_is_a_400_problem(api_client):
    user = UserFactory()
    totp, _ = enrol(api_client, user)
    with unchanged(TotpDevice.objects.get(user=user), counts=(RecoveryCode,)):
        response = api_client.post(
            reverse("mfa-disable"), {"password": "not-the-password", "code": next_code(totp)}
        )
    assert response.status_code == 400
    assert error_codes(response) == [("password", "invalid_password")]
    assert mfa_enabled(user)


def test_disable_with_a_wrong_code_is_a_400_problem(api_client):
    user = UserFactory()
    enrol(api_client, user)
    with unchanged(TotpDevice.objects.get(user=user), counts=(RecoveryCode,)):
        response = api_client.post(
            reverse("mfa-disable"), {"password": TEST_PASSWORD, "code": "000000"}
        )
    assert response.status_code == 400
    assert error_codes(response) == [("code", "invalid_code")]
    assert mfa_enabled(user)


def test_disable_with_password_and_code(api_client):
    user = UserFactory()
    totp, _ = enrol(api_client, user)
    response = api_client.post(
        reverse("mfa-disable"), {"password": TEST_PASSWORD, "code": next_code(totp)}
    )
    assert response.status_code == 204
    assert not mfa_enabled(user)
    status = api_client.get(reverse("mfa-recovery-codes"))
    assert status.json()["data"] == {"remaining": 0, "enabled": False}


def test_disable_without_mfa_is_a_409(api_client):
    api_client.force_authenticate(UserFactory())
    response = api_client.post(
        reverse("mfa-disable"), {"password": TEST_PASSWORD, "code": "123456"}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "mfa_not_enabled"


@pytest.mark.parametrize(
    ("method", "name", "body"),
    [
        ("post", "mfa-disable", {"password": "x", "code": "123456"}),
        ("get", "mfa-recovery-codes", {}),
        ("post", "mfa-recovery-codes", {"code": "123456"}),
        ("post", "mfa-setup", {}),
        ("post", "mfa-confirm", {"code": "123456"}),
    ],
)
def test_anonymous_is_401(api_client, method, name, body):
    response = getattr(api_client, method)(reverse(name), body)
    assert response.status_code == 401
    assert response["Content-Type"].startswith(PROBLEM)
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_setup_and_confirm_with_an_mfa_token_need_no_login(api_client):
    """The login of a user whose role requires MFA hands out only an MFA token; enrolment
    must work with it, since there is no access token yet."""
    user = InstructorFactory()
    token = mfa_challenge_issue(user=user, kind="bearer")

    setup = api_client.post(reverse("mfa-setup"), {"mfa_token": token})
    assert setup.status_code == 200
    totp = pyotp.TOTP(setup.json()["data"]["secret"])
    confirm = api_client.post(reverse("mfa-confirm"), {"mfa_token": token, "code": totp.now()})
    assert confirm.status_code == 200
    assert len(confirm.json()["data"]["recovery_codes"]) == 10
    assert mfa_enabled(user)


@pytest.mark.parametrize("name", ["mfa-setup", "mfa-confirm"])
def test_a_garbage_mfa_token_is_401(api_client, name):
    user = UserFactory()
    forged = mfa_challenge_issue(user=user, kind="bearer")[:-2] + "xx"
    body = {"code": "123456"} if name == "mfa-confirm" else {}
    for token in ("garbage", forged):
        response = api_client.post(reverse(name), {"mfa_token": token, **body})
        assert response.status_code == 401
        assert response.json()["code"] == "mfa_expired"
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert not TotpDevice.objects.filter(user=user).exists()


def test_unknown_fields_are_refused_by_name(api_client):
    user = UserFactory()
    api_client.force_authenticate(user)
    response = api_client.post(reverse("mfa-setup"), {"code": "123456"})
    assert response.status_code == 400
    assert error_codes(response) == [("code", "unknown_field")]
    assert not TotpDevice.objects.filter(user=user).exists()


@pytest.mark.parametrize(
    ("method", "name", "body"),
    [
        ("post", "mfa-setup", {}),
        ("post", "mfa-confirm", {"code": "123456"}),
        ("post", "mfa-disable", {"password": "x", "code": "123456"}),
        ("get", "mfa-recovery-codes", {}),
        ("post", "mfa-recovery-codes", {"code": "123456"}),
    ],
)
def test_every_endpoint_uses_the_auth_throttle(api_client, settings, method, name, body):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "auth": "2/min",
        },
    }
    api_client.force_authenticate(UserFactory())
    statuses = [getattr(api_client, method)(reverse(name), body).status_code for _ in range(3)]
    assert 429 not in statuses[:2] and statuses[2] == 429
