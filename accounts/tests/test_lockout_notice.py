"""When an account locks, its owner hears about it: one email per lock, through the outbox
and a real SMTP server, with a link that sets a new password (and so unlocks). Whoever is
guessing learns nothing: the answer to a locked, an unknown and a wrong login is the same,
on the page and in the API, the locking attempt included.

These tests commit for real (transaction=True): the outbox relays on commit, as in
production.
"""

import json
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pyotp
import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import TotpDevice, User
from accounts.tests.factories import TEST_PASSWORD, UserFactory
from lms.testing.smtp import SmtpSink, message_links, text_and_html

pytestmark = [pytest.mark.django_db(transaction=True)]

BASE = "https://lms.example.test"
NEW_PASSWORD = "after-the-lock-passphrase-7"
LOGIN_PAGE = "/accounts/login/"
LOGIN_API = "/api/v1/auth/login/"
SUBJECT = "Your account was locked after failed sign-ins"


@pytest.fixture(autouse=True)
def _public_base_url(settings):
    settings.PUBLIC_BASE_URL = BASE
    settings.LINK_TEMPLATES = {}


def page_login(client: Client, email: str, password: str):
    return client.post(LOGIN_PAGE, {"username": email, "password": password})


def api_login(email: str, password: str):
    return APIClient().post(LOGIN_API, {"email": email, "password": password}, format="json")


def lock_notices(smtp: SmtpSink, user: User) -> list:
    return [m for m in smtp.messages if m["To"] == user.email and m["Subject"] == SUBJECT]


def test_the_fifth_wrong_password_on_the_page_sends_one_notice_whose_link_unlocks(
    smtp_server, settings
):
    user = UserFactory(timezone="Europe/Paris")
    client = Client()
    for _ in range(settings.LOCKOUT_THRESHOLD - 1):
        page_login(client, user.email, "not-the-password")
    assert lock_notices(smtp_server, user) == []  # not locked yet: nothing to say

    page_login(client, user.email, "not-the-password")

    (notice,) = smtp_server.wait_for(1)
    assert notice["To"] == user.email and notice["Subject"] == SUBJECT
    text, html = text_and_html(notice)
    user.refresh_from_db()
    assert user.locked_until is not None
    assert f"failed {settings.LOCKOUT_THRESHOLD} times" in text
    # Until when, in the owner's own time zone.
    until = user.locked_until.astimezone(ZoneInfo("Europe/Paris"))
    assert f"locked it until {until:%Y-%m-%d %H:%M %Z}." in text
    reset, forgot = message_links(notice)
    assert reset.startswith(f"{BASE}/accounts/reset/") and reset in html
    assert forgot == f"{BASE}/accounts/password/reset/"

    # Still locked: the right password is refused, and no second notice is sent.
    assert page_login(Client(), user.email, TEST_PASSWORD).status_code == 200
    assert api_login(user.email, TEST_PASSWORD).status_code == 401
    assert len(lock_notices(smtp_server, user)) == 1

    # The emailed link chooses a new password, which unlocks the account.
    browser = Client()
    form = browser.get(reset.removeprefix(BASE), follow=True)
    assert b'name="new_password1"' in form.content
    done = browser.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done["Location"] == "/accounts/reset/done/"
    assert page_login(Client(), user.email, NEW_PASSWORD).status_code == 302


def test_the_api_locks_with_one_notice_however_many_attempts_follow(smtp_server, settings):
    user = UserFactory()
    for _ in range(settings.LOCKOUT_THRESHOLD + 4):
        assert api_login(user.email, "not-the-password").status_code == 401

    assert len(lock_notices(smtp_server, user)) == 1
    assert len(smtp_server.messages) == 1


def test_each_new_lock_sends_its_own_notice(smtp_server, settings):
    user = UserFactory()
    for _ in range(settings.LOCKOUT_THRESHOLD):
        api_login(user.email, "not-the-password")
    User.objects.filter(pk=user.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    for _ in range(settings.LOCKOUT_THRESHOLD):
        api_login(user.email, "not-the-password")

    assert len(lock_notices(smtp_server, user)) == 2


def test_wrong_mfa_codes_lock_and_notify_too(smtp_server, settings):
    user = UserFactory()
    secret = pyotp.random_base32()
    TotpDevice.objects.create(user=user, secret=secret, confirmed_at=timezone.now())
    step_one = api_login(user.email, TEST_PASSWORD)
    mfa_token = step_one.json()["data"]["mfa_token"]
    wrong = str((int(pyotp.TOTP(secret).now()) + 1) % 1_000_000).zfill(6)

    for _ in range(settings.LOCKOUT_THRESHOLD):
        APIClient().post(
            "/api/v1/auth/login/mfa/", {"mfa_token": mfa_token, "code": wrong}, format="json"
        )

    user.refresh_from_db()
    assert user.is_locked()
    assert len(lock_notices(smtp_server, user)) == 1


def test_an_inactive_account_is_not_sent_a_notice(smtp_server, settings):
    user = UserFactory(is_active=False)
    for _ in range(settings.LOCKOUT_THRESHOLD):
        api_login(user.email, "not-the-password")

    user.refresh_from_db()
    assert user.is_locked()
    assert smtp_server.messages == []


# --- nothing is told to the one guessing ----------------------------------------------------


def page_without_csrf_and(response, email: str) -> bytes:
    """The page minus what differs by design: the CSRF token and the echoed address."""
    page = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", response.content)
    return page.replace(email.encode(), b"EMAIL")


def test_the_page_answers_locked_unknown_and_wrong_alike(smtp_server, settings):
    user = UserFactory()
    wrong = page_login(Client(), user.email, "not-the-password")
    unknown = page_login(Client(), "nobody@example.test", "not-the-password")
    for _ in range(settings.LOCKOUT_THRESHOLD - 2):
        page_login(Client(), user.email, "not-the-password")
    locking = page_login(Client(), user.email, "not-the-password")  # the one that locks
    assert len(lock_notices(smtp_server, user)) == 1
    locked = page_login(Client(), user.email, TEST_PASSWORD)

    answers = [wrong, unknown, locking, locked]
    assert {r.status_code for r in answers} == {200}
    emails = [user.email, "nobody@example.test", user.email, user.email]
    pages = {page_without_csrf_and(r, e) for r, e in zip(answers, emails, strict=True)}
    assert len(pages) == 1
    assert b"The email or password is not right" in wrong.content


def test_the_api_answers_locked_unknown_and_wrong_alike(smtp_server, settings):
    user = UserFactory()
    wrong = api_login(user.email, "not-the-password")
    unknown = api_login("nobody@example.test", "not-the-password")
    for _ in range(settings.LOCKOUT_THRESHOLD - 2):
        api_login(user.email, "not-the-password")
    locking = api_login(user.email, "not-the-password")
    assert len(lock_notices(smtp_server, user)) == 1
    locked = api_login(user.email, TEST_PASSWORD)

    def answer(response) -> tuple:
        body = response.json()
        body.pop("request_id", None)
        return (
            response.status_code,
            response["Content-Type"],
            response.get("WWW-Authenticate"),
            json.dumps(body, sort_keys=True),
        )

    answers = {answer(r) for r in (wrong, unknown, locking, locked)}
    assert len(answers) == 1, answers
    assert wrong.status_code == 401
    assert wrong.json()["code"] == "invalid_credentials"
