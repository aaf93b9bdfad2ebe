"""The session pages: login with lockout and the MFA step, logout, password reset,
email verification, and the admin's login going through them."""

import re
from datetime import timedelta
from urllib.parse import quote

import pyotp
import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import TotpDevice, User
from accounts.services.mfa import mfa_confirm, mfa_setup_begin
from accounts.tests.factories import (
    TEST_PASSWORD,
    AdminFactory,
    InstructorFactory,
    UserFactory,
)
from accounts.tokens import email_verification_token_make

LOGIN = "/accounts/login/"
LOGIN_MFA = "/accounts/login/mfa/"
MFA_SETUP = "/accounts/mfa/setup/"
NEW_PASSWORD = "a-brand-new-passphrase-42"
CHROMIUM_PATH = (
    "/usr/bin/chromium"  # Debian's; the `browser` marker skips (or fails in CI) without it
)

pytestmark = pytest.mark.django_db


def login(client: Client, email: str, password: str = TEST_PASSWORD, next_url: str = ""):
    data = {"username": email, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(LOGIN, data)


def logged_in_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def page_without_csrf(response) -> bytes:
    """The page minus the CSRF token, which differs on every render."""
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", response.content)


def with_totp(user: User) -> pyotp.TOTP:
    secret = pyotp.random_base32()
    TotpDevice.objects.create(user=user, secret=secret, confirmed_at=timezone.now())
    return pyotp.TOTP(secret)


# --- login and lockout ----------------------------------------------------------------------


def test_login_page_renders_an_accessible_form():
    response = Client().get(LOGIN)

    assert response.status_code == 200
    assert b'<label for="id_username">Email' in response.content
    assert b'autocomplete="current-password"' in response.content
    assert b'<html lang="en">' in response.content


def test_login_with_the_right_password_logs_in_and_follows_a_local_next():
    user = UserFactory()
    client = Client()

    response = login(client, user.email.upper(), next_url="/admin/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert logged_in_id(client) == str(user.pk)


def test_login_ignores_a_next_url_to_another_site():
    user = UserFactory()

    response = login(Client(), user.email, next_url="https://evil.example/")

    assert response["Location"] == "/learn/"  # a student's home (accounts/tests/test_home.py)


def test_wrong_password_and_unknown_email_give_the_same_page():
    user = UserFactory()
    wrong_client, unknown_client = Client(), Client()

    wrong = login(wrong_client, user.email, "not-the-password")
    unknown = login(unknown_client, "nobody@example.test", "not-the-password")

    assert wrong.status_code == unknown.status_code == 200
    # The page echoes the typed email; with the same email the pages are identical.
    assert page_without_csrf(wrong).replace(user.email.encode(), b"X") == page_without_csrf(
        unknown
    ).replace(b"nobody@example.test", b"X")
    assert b"The email or password is not right" in wrong.content
    assert logged_in_id(wrong_client) is None
    assert logged_in_id(unknown_client) is None


def test_five_wrong_passwords_then_the_right_one_is_refused():
    user = UserFactory()
    client = Client()
    for _ in range(5):
        wrong = login(client, user.email, "not-the-password")
        assert wrong.status_code == 200

    right = login(client, user.email)

    assert right.status_code == 200
    assert page_without_csrf(right) == page_without_csrf(wrong)
    assert logged_in_id(client) is None
    user.refresh_from_db()
    assert user.is_locked()


def test_an_inactive_user_cannot_log_in():
    user = UserFactory(is_active=False)
    client = Client()

    response = login(client, user.email)

    assert response.status_code == 200
    assert b"The email or password is not right" in response.content
    assert logged_in_id(client) is None


# --- the MFA step ---------------------------------------------------------------------------


def test_mfa_user_is_not_logged_in_before_the_code():
    user = UserFactory()
    with_totp(user)
    client = Client()

    response = login(client, user.email)

    assert response.status_code == 302
    assert response["Location"] == LOGIN_MFA
    assert logged_in_id(client) is None
    assert b"authenticator app" in client.get(LOGIN_MFA).content


def test_mfa_code_completes_the_login_and_goes_to_next():
    user = UserFactory()
    totp = with_totp(user)
    client = Client()
    login(client, user.email, next_url="/accounts/password/reset/")

    response = client.post(LOGIN_MFA, {"code": totp.now()})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/"
    assert logged_in_id(client) == str(user.pk)


def test_a_wrong_code_is_refused_and_counts_as_a_failed_login():
    user = UserFactory()
    totp = with_totp(user)
    client = Client()
    login(client, user.email)
    wrong = str((int(totp.now()) + 1) % 1_000_000).zfill(6)

    response = client.post(LOGIN_MFA, {"code": wrong})

    assert response.status_code == 400
    assert b"That code is not right" in response.content
    assert logged_in_id(client) is None
    user.refresh_from_db()
    assert user.failed_login_count == 1


def test_a_code_is_accepted_once():
    user = UserFactory()
    totp = with_totp(user)
    code = totp.now()
    first = Client()
    login(first, user.email)
    assert first.post(LOGIN_MFA, {"code": code}).status_code == 302

    replay = Client()
    login(replay, user.email)
    response = replay.post(LOGIN_MFA, {"code": code})

    assert response.status_code == 400
    assert logged_in_id(replay) is None


def test_a_recovery_code_works_once():
    user = UserFactory()
    setup = mfa_setup_begin(user=user)
    codes = mfa_confirm(user=user, code=pyotp.TOTP(setup.secret).now())
    first = Client()
    login(first, user.email)
    assert first.post(LOGIN_MFA, {"code": codes[0]}).status_code == 302

    again = Client()
    login(again, user.email)
    assert again.post(LOGIN_MFA, {"code": codes[0]}).status_code == 400
    assert logged_in_id(again) is None


def test_the_mfa_step_cannot_be_skipped_or_reached_without_the_password():
    user = UserFactory()
    totp = with_totp(user)
    client = Client()

    response = client.post(LOGIN_MFA, {"code": totp.now()})

    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert logged_in_id(client) is None


def test_the_pending_mfa_login_expires(settings):
    user = UserFactory()
    totp = with_totp(user)
    client = Client()
    login(client, user.email)
    settings.MFA_TOKEN_TTL = timedelta(seconds=0)

    response = client.post(LOGIN_MFA, {"code": totp.now()})

    assert response["Location"] == LOGIN
    assert logged_in_id(client) is None


def test_five_wrong_codes_lock_the_account_even_for_the_right_code():
    user = UserFactory()
    totp = with_totp(user)
    client = Client()
    login(client, user.email)
    for _ in range(5):
        client.post(LOGIN_MFA, {"code": "000000" if totp.now() != "000000" else "111111"})

    response = client.post(LOGIN_MFA, {"code": totp.now()})

    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert logged_in_id(client) is None
    user.refresh_from_db()
    assert user.is_locked()


def test_a_required_role_without_mfa_must_set_it_up_before_the_login_completes(settings):
    settings.MFA_REQUIRED_ROLES = ["instructor", "admin"]
    user = InstructorFactory()
    client = Client()

    response = login(client, user.email)

    assert response["Location"] == MFA_SETUP
    assert logged_in_id(client) is None
    page = client.get(MFA_SETUP)
    assert b'src="data:image/svg+xml;base64,' in page.content
    assert "no-store" in page["Cache-Control"]
    secret = TotpDevice.objects.get(user=user).secret
    assert secret.encode() in page.content

    wrong = client.post(MFA_SETUP, {"code": "12345x"})
    assert wrong.status_code == 400
    assert logged_in_id(client) is None

    done = client.post(MFA_SETUP, {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    assert b"recovery codes" in done.content
    assert logged_in_id(client) == str(user.pk)
    assert user.recovery_codes.count() == 10


def test_a_required_role_is_not_asked_when_not_required(settings):
    settings.MFA_REQUIRED_ROLES = ["admin"]
    user = InstructorFactory()
    client = Client()

    response = login(client, user.email)

    assert response["Location"] == "/instructor/"
    assert logged_in_id(client) == str(user.pk)


# --- logout ---------------------------------------------------------------------------------


def test_logout_is_post_only():
    user = UserFactory()
    client = Client()
    client.force_login(user)

    assert client.get("/accounts/logout/").status_code == 405
    assert logged_in_id(client) == str(user.pk)

    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert logged_in_id(client) is None


# --- password reset -------------------------------------------------------------------------


def reset_link(message) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/reset/\S+)", message.body)
    assert match, message.body
    return match.group(1)


@pytest.mark.django_db(transaction=True)
def test_password_reset_answers_the_same_for_unknown_emails_and_sends_one_mail():
    user = UserFactory()

    known = Client().post("/accounts/password/reset/", {"email": user.email})
    unknown = Client().post("/accounts/password/reset/", {"email": "nobody@example.test"})

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/accounts/password/reset/done/"
    assert [m.to for m in mail.outbox] == [[user.email]]


@pytest.mark.django_db(transaction=True)
def test_the_reset_link_sets_a_new_password_once_and_ends_other_sessions():
    user = UserFactory()
    other_browser = Client()
    other_browser.force_login(user)
    Client().post("/accounts/password/reset/", {"email": user.email})
    (reset_mail,) = mail.outbox
    link = reset_link(reset_mail)
    client = Client()

    form_page = client.get(link, follow=True)
    set_password_url = form_page.redirect_chain[-1][0]
    assert set_password_url.endswith("/set-password/")
    done = client.post(
        set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert done["Location"] == "/accounts/reset/done/"
    assert login(Client(), user.email, NEW_PASSWORD).status_code == 302
    assert login(Client(), user.email, TEST_PASSWORD).status_code == 200
    # The password-changed notice followed through the outbox.
    assert mail.outbox[-1].subject == "Your password was changed"
    assert other_browser.get("/admin/").status_code == 302  # logged out
    assert logged_in_id(other_browser) is None
    reused = Client().get(link, follow=True)
    assert b"This link is invalid or has expired" in reused.content


def test_a_forged_reset_link_is_refused():
    user = UserFactory()

    response = Client().get(f"/accounts/reset/{user.pk}/not-a-token/", follow=True)

    assert b"This link is invalid or has expired" in response.content


# --- email verification ---------------------------------------------------------------------


def test_verify_email_page_confirms_once():
    user = UserFactory(email_verified_at=None)
    path = f"/accounts/verify-email/{email_verification_token_make(user)}/"

    first = Client().get(path)
    again = Client().get(path)

    assert first.status_code == 200
    assert b"Email address confirmed" in first.content
    user.refresh_from_db()
    assert user.email_verified_at is not None
    assert again.status_code == 400
    assert b"This link is invalid or has expired" in again.content


def test_verify_email_page_refuses_a_forged_token():
    response = Client().get("/accounts/verify-email/forged:token/")

    assert response.status_code == 400
    assert b"This link is invalid or has expired" in response.content


# --- the admin ------------------------------------------------------------------------------


def test_admin_login_redirects_to_the_session_login_keeping_next():
    response = Client().get("/admin/login/?next=/admin/accounts/user/")

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={quote('/admin/accounts/user/', safe='')}"


def test_admin_index_sends_anonymous_users_to_the_session_login():
    response = Client().get("/admin/", follow=True)

    assert response.redirect_chain[-1][0] == f"{LOGIN}?next={quote('/admin/', safe='')}"


def test_an_admin_signs_in_to_the_admin_through_the_mfa_step():
    admin_user = AdminFactory()
    totp = with_totp(admin_user)
    client = Client()

    login(client, admin_user.email, next_url="/admin/")
    assert client.get("/admin/").status_code == 302  # not yet
    response = client.post(LOGIN_MFA, {"code": totp.now()})

    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_student_cannot_use_the_admin():
    student = UserFactory()
    client = Client()
    assert login(client, student.email, next_url="/admin/").status_code == 302

    response = client.get("/admin/", follow=True)

    assert response.status_code == 403
    assert client.get("/admin/accounts/user/").status_code in (302, 403)
    assert client.get("/admin/accounts/user/", follow=True).status_code == 403


def test_a_signed_in_admin_visiting_admin_login_goes_to_the_admin():
    client = Client()
    client.force_login(AdminFactory())

    response = client.get("/admin/login/")

    assert response["Location"] == "/admin/"


def test_the_login_form_field_is_not_case_sensitive_for_the_lockout_either():
    user = UserFactory()
    client = Client()
    for _ in range(5):
        login(client, user.email.upper(), "not-the-password")

    assert login(client, user.email).status_code == 200
    user.refresh_from_db()
    assert user.is_locked()


# --- in a real browser ----------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_admin_signs_in_through_the_login_page_in_chromium(live_server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    # Set up before the browser starts: Playwright's sync API runs an event loop in this
    # thread, and Django refuses ORM calls from a thread with a running loop.
    admin_user = AdminFactory(email="browser.admin@example.test")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=["--no-sandbox"])
        page = browser.new_page()
        try:
            page.goto(f"{live_server.url}/admin/")
            expect(page).to_have_url(f"{live_server.url}{LOGIN}?next=%2Fadmin%2F")

            page.get_by_label("Email").fill(admin_user.email)
            page.get_by_label("Password").fill("not-the-password")
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("alert")).to_contain_text("The email or password is not right")

            page.get_by_label("Password").fill(TEST_PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page).to_have_url(f"{live_server.url}/admin/")
            expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
        except Exception:
            shot = tmp_path / "browser-login-failure.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot of the failure: {shot}")  # shown with the failure report
            raise
        finally:
            browser.close()
