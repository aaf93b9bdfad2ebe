"""Each accounts topic, published through the outbox, yields the right email with a
working link.

These tests commit for real (transaction=True): publishing happens in transaction.atomic
and the relay runs on commit, as in production. (captureOnCommitCallbacks leaves its
callbacks in the connection's list, so in a `db` test the outbox sees a nudge already
pending and a second publish in the same test would never be relayed.)
"""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import transaction
from django.test import Client

from accounts.tests.factories import AdminFactory, UserFactory
from lms.outbox.models import OutboxMessage
from lms.outbox.services import outbox_publish
from lms.testing.smtp import text_and_html

BASE = "https://lms.example.test"
NEW_PASSWORD = "a-brand-new-passphrase-42"

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _public_base_url(settings):
    settings.PUBLIC_BASE_URL = BASE


@pytest.fixture
def publish():
    """Publish like a service does; the commit relays it and the handler runs in-process."""

    def _publish(topic: str, payload: dict) -> OutboxMessage:
        with transaction.atomic():
            message = outbox_publish(topic=topic, payload=payload)
        message.refresh_from_db()
        # The eager relay records a failing handler instead of raising: surface it.
        assert message.last_error == ""
        assert message.sent_at is not None
        return message

    return _publish


def link_in(body: str) -> str:
    """The one link to this site in a text body, as a path for the test client."""
    urls = re.findall(rf"{re.escape(BASE)}(/\S+)", body)
    assert urls, body
    return urls[0]


def html_of(message) -> str:
    (html, mimetype) = message.alternatives[0]
    assert mimetype == "text/html"
    return html


def only_mail():
    assert len(mail.outbox) == 1, [m.subject for m in mail.outbox]
    return mail.outbox[0]


def test_verification_email_link_verifies_the_address(publish):
    user = UserFactory(email_verified_at=None)

    message = publish("accounts.email_verification_requested", {"user_id": user.pk})

    sent = only_mail()
    assert sent.to == [user.email]
    assert sent.subject == "Confirm your email address"
    assert sent.extra_headers["Message-ID"] == f"<outbox-{message.pk}-verify_email@localhost>"
    path = link_in(sent.body)
    assert path.startswith("/accounts/verify-email/")
    assert f"{BASE}{path}" in html_of(sent)

    mail.outbox.clear()
    response = Client().get(path)
    assert response.status_code == 200
    assert b"Email address confirmed" in response.content
    user.refresh_from_db()
    assert user.email_verified_at is not None
    # Verifying publishes accounts.email_verified: the welcome email follows.
    assert only_mail().subject == "Welcome to the LMS"


def test_welcome_email(publish):
    user = UserFactory()

    publish("accounts.email_verified", {"user_id": user.pk})

    sent = only_mail()
    assert sent.to == [user.email]
    assert sent.subject == "Welcome to the LMS"
    assert link_in(sent.body) == "/accounts/login/"
    assert user.first_name in sent.body


def test_password_reset_email_link_sets_a_new_password_once(publish):
    user = UserFactory()

    publish("accounts.password_reset_requested", {"user_id": user.pk})

    sent = only_mail()
    assert sent.to == [user.email]
    assert sent.subject == "Reset your password"
    path = link_in(sent.body)
    assert path.startswith("/accounts/reset/")
    client = Client()
    form_page = client.get(path, follow=True)
    assert b"Choose a new password" in form_page.content
    set_password_path = form_page.redirect_chain[-1][0]
    done = client.post(
        set_password_path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done.status_code == 302
    assert done["Location"] == "/accounts/reset/done/"
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)

    again = Client().get(path, follow=True)
    assert b"This link is invalid or has expired" in again.content


def test_password_changed_notice_reaches_an_inactive_user_too(publish):
    user = UserFactory(is_active=False)

    publish("accounts.password_changed", {"user_id": user.pk})

    sent = only_mail()
    assert sent.to == [user.email]
    assert sent.subject == "Your password was changed"
    assert link_in(sent.body) == "/accounts/password/reset/"


def test_invitation_email_lets_the_invitee_choose_a_password(publish):
    inviter = AdminFactory(first_name="Ada", last_name="Admin")
    invitee = UserFactory(role="instructor")
    invitee.set_unusable_password()
    invitee.save()

    publish("accounts.user_invited", {"user_id": invitee.pk, "invited_by_id": inviter.pk})

    sent = only_mail()
    assert sent.to == [invitee.email]
    assert sent.subject == "You're invited to the LMS"
    assert "Ada Admin has invited you" in sent.body
    assert "as instructor" in sent.body
    client = Client()
    form_page = client.get(link_in(sent.body), follow=True)
    assert b"Choose a new password" in form_page.content
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    login = Client().post("/accounts/login/", {"username": invitee.email, "password": NEW_PASSWORD})
    assert login.status_code == 302


def test_new_login_notice_shows_time_in_the_users_zone_and_escapes_html(publish):
    user = UserFactory(timezone="Europe/Paris")

    publish(
        "accounts.new_login",
        {
            "user_id": user.pk,
            "ip": "203.0.113.9",
            "user_agent": "<script>alert(1)</script>",
            "at": "2026-01-15T12:30:00+00:00",
        },
    )

    sent = only_mail()
    assert sent.to == [user.email]
    assert sent.subject == "New sign-in to your account"
    assert "2026-01-15 13:30 CET" in sent.body
    assert "203.0.113.9" in sent.body
    html = html_of(sent)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize(
    "topic",
    [
        "accounts.email_verification_requested",
        "accounts.email_verified",
        "accounts.password_reset_requested",
        "accounts.user_invited",
        "accounts.new_login",
        "accounts.account_locked",
    ],
)
def test_inactive_or_deleted_users_get_nothing(publish, topic):
    inactive = UserFactory(is_active=False, email_verified_at=None)
    gone = UserFactory(email_verified_at=None)
    gone_id = gone.pk
    gone.delete()

    publish(topic, {"user_id": inactive.pk})
    publish(topic, {"user_id": gone_id})

    assert mail.outbox == []


def test_password_changed_notice_for_a_deleted_user_is_skipped(publish):
    gone = UserFactory()
    gone_id = gone.pk
    gone.delete()

    publish("accounts.password_changed", {"user_id": gone_id})

    assert mail.outbox == []


def test_already_verified_address_gets_no_verification_email(publish):
    user = UserFactory()  # verified by the factory

    publish("accounts.email_verification_requested", {"user_id": user.pk})

    assert mail.outbox == []


def test_verification_email_through_a_real_smtp_server(smtp_server):
    user = UserFactory(email_verified_at=None)

    with transaction.atomic():  # a real commit: on_commit nudges the relay
        outbox_publish(topic="accounts.email_verification_requested", payload={"user_id": user.pk})

    (received,) = smtp_server.wait_for(1)
    assert received["To"] == user.email
    assert received["Subject"] == "Confirm your email address"
    assert received.get_content_type() == "multipart/alternative"
    text, html = text_and_html(received)
    path = link_in(text)
    assert f"{BASE}{path}" in html

    response = Client().get(path)
    assert response.status_code == 200
    assert get_user_model().objects.get(pk=user.pk).email_verified_at is not None
    # The welcome email the verification published went through the same server.
    assert smtp_server.wait_for(2)[1]["Subject"] == "Welcome to the LMS"
