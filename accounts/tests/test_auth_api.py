"""Registration, verification, passwords and MFA login through the API."""

import re
import time

import pyotp
import pytest
from django.core import mail
from rest_framework.test import APIClient

from accounts.models import LoginSession, User
from accounts.services import mfa
from accounts.tests.auth_helpers import api_login, bearer
from accounts.tests.factories import TEST_PASSWORD, InstructorFactory, UserFactory
from lms.audit.models import AuditLog
from lms.outbox.services import outbox_relay
from lms.testing import unchanged

pytestmark = pytest.mark.django_db
STRONG = "a-long-and-unusual-passphrase-42"


def post(path: str, data: dict | None = None, client: APIClient | None = None):
    return (client or APIClient()).post(f"/api/v1/auth/{path}", data or {})


def deliver_mail() -> list:
    """Relay the outbox (eager Celery runs the email handlers) and return what was sent."""
    mail.outbox.clear()
    outbox_relay()
    return list(mail.outbox)


def link_token(message, pattern: str) -> str:
    match = re.search(pattern, message.body)
    assert match, message.body
    return match.group(1)


def error_codes(response) -> dict:
    return {e["attr"]: e["code"] for e in response.json().get("errors", [])}


def test_register_validates_the_password_and_refuses_a_taken_email():
    taken_by = UserFactory(email="taken@example.test")
    with unchanged(taken_by, counts=(User,)):
        weak = post("register/", {"email": "a@example.test", "password": "123"})
        taken = post("register/", {"email": "Taken@Example.test", "password": STRONG})
        unknown = post(
            "register/", {"email": "b@example.test", "password": STRONG, "role": "admin"}
        )
    assert weak.status_code == 400 and set(error_codes(weak)) == {"password"}
    assert taken.status_code == 400 and error_codes(taken) == {"email": "email_taken"}
    assert unknown.status_code == 400 and error_codes(unknown) == {"role": "unknown_field"}


def test_a_wrong_password_is_401_invalid_credentials_with_a_challenge():
    user = UserFactory()
    response = post("login/", {"email": user.email, "password": "wrong"})
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_register_verify_then_login():
    created = post("register/", {"email": "New@Example.test", "password": STRONG})
    assert created.status_code == 201
    assert created.json()["data"]["role"] == "student"
    unverified = post("login/", {"email": "new@example.test", "password": STRONG})
    assert unverified.status_code == 403
    assert unverified.json()["code"] == "email_not_verified"

    (message,) = deliver_mail()
    assert message.to == ["new@example.test"]
    token = link_token(message, r"/accounts/verify-email/([^/\s]+)/")
    assert post("email/verify/", {"token": token}).status_code == 200
    again = post("email/verify/", {"token": token})  # single use
    assert again.status_code == 400 and error_codes(again) == {"token": "invalid_token"}
    assert post("login/", {"email": "new@example.test", "password": STRONG}).status_code == 200


def test_resend_answers_the_same_for_unknown_and_unverified_addresses():
    User.objects.create_user("pending@example.test", STRONG)
    known = post("email/resend/", {"email": "pending@example.test"})
    unknown = post("email/resend/", {"email": "ghost@example.test"})
    assert known.status_code == unknown.status_code == 202
    assert known.json()["data"] == unknown.json()["data"]
    assert [m.to for m in deliver_mail()] == [["pending@example.test"]]


def test_password_change_revokes_every_token_and_returns_a_new_pair():
    user = UserFactory()
    other_device = api_login(APIClient(), user)
    tokens = api_login(APIClient(), user)
    client = bearer(APIClient(), tokens["access"])
    with unchanged(user, counts=(LoginSession,)):
        wrong = client.post(
            "/api/v1/auth/password/change/", {"old_password": "nope", "new_password": STRONG}
        )
        weak = client.post(
            "/api/v1/auth/password/change/", {"old_password": TEST_PASSWORD, "new_password": "1"}
        )
    assert wrong.status_code == 400 and error_codes(wrong) == {"old_password": "invalid_password"}
    assert weak.status_code == 400 and set(error_codes(weak)) == {"new_password"}
    changed = client.post(
        "/api/v1/auth/password/change/", {"old_password": TEST_PASSWORD, "new_password": STRONG}
    )
    assert changed.status_code == 200
    for old in (tokens, other_device):
        assert bearer(APIClient(), old["access"]).get("/api/v1/users/me/").status_code == 401
        assert post("refresh/", {"refresh": old["refresh"]}).status_code == 401
    fresh = changed.json()["data"]["access"]
    assert bearer(APIClient(), fresh).get("/api/v1/users/me/").status_code == 200
    assert any("password" in m.subject.lower() for m in deliver_mail())


def test_password_reset_is_silent_about_unknown_emails_and_single_use():
    user = UserFactory()
    tokens = api_login(APIClient(), user)
    known = post("password/reset/", {"email": user.email})
    unknown = post("password/reset/", {"email": "ghost@example.test"})
    assert known.status_code == unknown.status_code == 202
    assert known.json()["data"] == unknown.json()["data"]
    (message,) = [m for m in deliver_mail() if "/accounts/reset/" in m.body]
    uid, token = re.search(r"/accounts/reset/([^/\s]+)/([^/\s]+)/", message.body).groups()
    body = {"uid": uid, "token": token, "new_password": STRONG}
    assert post("password/reset/confirm/", body).status_code == 204
    again = post("password/reset/confirm/", body)
    assert again.status_code == 400 and error_codes(again) == {"token": "invalid_token"}
    assert bearer(APIClient(), tokens["access"]).get("/api/v1/users/me/").status_code == 401
    assert post("login/", {"email": user.email, "password": STRONG}).status_code == 200


def enable_mfa(user: User) -> pyotp.TOTP:
    setup = mfa.mfa_setup_begin(user=user)
    totp = pyotp.TOTP(setup.secret)
    # Confirm with the previous step's code (inside the window) so the current one stays unused.
    mfa.mfa_confirm(user=user, code=totp.at(time.time() - 30))
    return totp


def test_mfa_login_needs_a_fresh_code_and_refuses_replay():
    user = UserFactory()
    totp = enable_mfa(user)
    step_one = post("login/", {"email": user.email, "password": TEST_PASSWORD}).json()["data"]
    assert step_one["mfa_required"] and "access" not in step_one
    code = totp.now()
    ok = post("login/mfa/", {"mfa_token": step_one["mfa_token"], "code": code})
    assert ok.status_code == 200 and ok.json()["data"]["access"]
    again = post("login/", {"email": user.email, "password": TEST_PASSWORD}).json()["data"]
    replay = post("login/mfa/", {"mfa_token": again["mfa_token"], "code": code})
    assert replay.status_code == 401 and replay.json()["code"] == "invalid_code"
    forged = post("login/mfa/", {"mfa_token": "forged", "code": code})
    assert forged.status_code == 401 and forged.json()["code"] == "mfa_expired"


def test_wrong_mfa_codes_count_towards_the_lockout():
    user = UserFactory()
    enable_mfa(user)
    token = post("login/", {"email": user.email, "password": TEST_PASSWORD}).json()["data"]
    for _ in range(5):
        post("login/mfa/", {"mfa_token": token["mfa_token"], "code": "000000"})
    user.refresh_from_db()
    assert user.is_locked()


def test_required_mfa_is_set_up_during_login(settings):
    settings.MFA_REQUIRED_ROLES = ["instructor", "admin"]
    user = InstructorFactory()
    step_one = post("login/", {"email": user.email, "password": TEST_PASSWORD}).json()["data"]
    assert step_one == {"mfa_setup_required": True, "mfa_token": step_one["mfa_token"]}
    setup = post("mfa/setup/", {"mfa_token": step_one["mfa_token"]}).json()["data"]
    code = pyotp.TOTP(setup["secret"]).now()
    done = post("login/mfa/", {"mfa_token": step_one["mfa_token"], "code": code})
    assert done.status_code == 200
    assert len(done.json()["data"]["recovery_codes"]) == 10
    assert mfa.mfa_enabled(user)
    student = UserFactory()
    assert (
        "access"
        in post("login/", {"email": student.email, "password": TEST_PASSWORD}).json()["data"]
    )


def test_auth_endpoints_share_the_auth_throttle(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "auth": "3/min",
        },
    }
    for _ in range(3):
        post("password/reset/", {"email": "a@example.test"})
    limited = post("login/", {"email": "a@example.test", "password": "x"})
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) > 0


@pytest.mark.django_db(transaction=True)  # real commits: the outbox relays after each one
def test_whole_flow_through_a_real_smtp_server(smtp_server):
    email = "whole.flow@example.test"
    assert post("register/", {"email": email, "password": STRONG}).status_code == 201
    (verification,) = smtp_server.wait_for(1)
    assert verification["To"] == email
    text = verification.get_body(preferencelist=("plain",)).get_content()
    token = re.search(r"/accounts/verify-email/([^/\s]+)/", text).group(1)
    assert post("email/verify/", {"token": token}).status_code == 200

    tokens = post("login/", {"email": email, "password": STRONG}).json()["data"]
    me = bearer(APIClient(), tokens["access"]).get("/api/v1/users/me/")
    assert me.status_code == 200 and me.json()["data"]["email"] == email
    rotated = post("refresh/", {"refresh": tokens["refresh"]}).json()["data"]
    client = bearer(APIClient(), rotated["access"])
    assert client.post("/api/v1/auth/logout/", {"refresh": rotated["refresh"]}).status_code == 204

    for access in (tokens["access"], rotated["access"]):
        assert bearer(APIClient(), access).get("/api/v1/users/me/").status_code == 401
    for refresh in (tokens["refresh"], rotated["refresh"]):
        assert post("refresh/", {"refresh": refresh}).status_code == 401


def test_the_client_address_reaches_the_session_and_the_audit_log_from_the_request_context():
    """Services take no request: the address travels in the request context."""
    user = UserFactory()
    APIClient().post(
        "/api/v1/auth/login/",
        {"email": user.email, "password": TEST_PASSWORD},
        REMOTE_ADDR="203.0.113.7",
        HTTP_USER_AGENT="test-agent/1.0",
    )
    session = LoginSession.objects.get(user=user)
    assert (session.ip, session.user_agent) == ("203.0.113.7", "test-agent/1.0")
    for _ in range(5):
        APIClient().post(
            "/api/v1/auth/login/",
            {"email": user.email, "password": "wrong"},
            REMOTE_ADDR="198.51.100.9",
        )
    locked = AuditLog.objects.get(action="user.locked", target_id=str(user.pk))
    assert locked.ip == "198.51.100.9"
