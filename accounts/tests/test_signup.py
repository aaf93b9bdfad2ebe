"""The sign-up page: a learner creates an account, confirms the address from the email,
then signs in and lands on My learning. Until then the sign-in page says why it refuses."""

import re

import pytest
from django.core import mail
from django.test import Client

from accounts.models import User
from accounts.tests.factories import AdminFactory, InstructorFactory, UserFactory

pytestmark = pytest.mark.django_db

SIGNUP = "/accounts/signup/"
PASSWORD = "a-long-and-private-passphrase-15"


def sign_up(client: Client, **fields: str):
    data = {
        "first_name": "Grace",
        "email": "grace@example.test",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
        **fields,
    }
    return client.post(SIGNUP, data)


def test_the_page_is_an_accessible_form_linked_from_sign_in():
    response = Client().get(SIGNUP)

    assert response.status_code == 200
    page = response.content.decode()
    for field, label in [
        ("first_name", "First name"),
        ("email", "Email"),
        ("password", "Password"),
        ("password_confirm", "Confirm password"),
    ]:
        assert f'<label for="id_{field}">{label}' in page
    assert 'autocomplete="new-password"' in page
    assert 'href="/accounts/signup/"' in Client().get("/accounts/login/").content.decode()


def test_signing_up_creates_an_unverified_learner_and_emails_the_link(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        response = sign_up(Client())

    assert response.status_code == 302
    assert response["Location"] == "/accounts/signup/done/"
    user = User.objects.get(email="grace@example.test")
    assert user.role == User.Role.STUDENT and user.first_name == "Grace"
    assert user.email_verified_at is None
    (sent,) = mail.outbox
    assert sent.to == [user.email] and sent.subject == "Confirm your email address"
    done = Client().get(response["Location"])
    assert b"check your inbox" in done.content


def test_the_emailed_link_verifies_then_signing_in_lands_on_my_learning(
    django_capture_on_commit_callbacks, settings
):
    settings.PUBLIC_BASE_URL = "https://lms.example.test"
    with django_capture_on_commit_callbacks(execute=True):
        sign_up(Client())
    client = Client()
    refused = client.post(
        "/accounts/login/", {"username": "grace@example.test", "password": PASSWORD}
    )
    assert refused.status_code == 200
    assert b"Confirm your email address first" in refused.content

    body = mail.outbox[0].body
    link = re.search(r"https://lms\.example\.test(/accounts/verify-email/\S+/)", body)
    assert link, body
    assert b"is verified" in Client().get(link[1]).content

    response = client.post(
        "/accounts/login/", {"username": "grace@example.test", "password": PASSWORD}
    )
    assert response["Location"] == "/learn/"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"password_confirm": "something-else-entirely"}, "password_confirm", "not the same"),
        ({"password": "12345678", "password_confirm": "12345678"}, "password", "too common"),
        ({"email": "not-an-email"}, "email", "valid email"),
        ({"email": ""}, "email", "required"),
    ],
)
def test_a_refused_sign_up_is_a_form_error_on_its_field(fields, field, message):
    response = sign_up(Client(), **fields)

    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert not User.objects.filter(email="grace@example.test").exists()


def test_an_address_in_use_is_refused_on_the_email_field():
    UserFactory(email="grace@example.test")

    response = sign_up(Client(), email="Grace@Example.test")

    assert response.status_code == 400
    assert response.context["form"].errors["email"] == [
        "An account with this email already exists."
    ]
    assert User.objects.filter(email="grace@example.test").count() == 1


@pytest.mark.parametrize(
    ("factory", "home"),
    [(UserFactory, "/learn/"), (InstructorFactory, "/instructor/"), (AdminFactory, "/instructor/")],
)
def test_someone_signed_in_is_sent_home(factory, home):
    client = Client()
    client.force_login(factory())

    assert client.get(SIGNUP)["Location"] == home
    response = sign_up(client)
    assert response["Location"] == home
    assert not User.objects.filter(email="grace@example.test").exists()


def test_the_sign_in_page_still_says_nothing_more_to_a_wrong_password_on_an_unverified_account():
    user = UserFactory(email_verified_at=None)

    response = Client().post("/accounts/login/", {"username": user.email, "password": "nope"})

    assert b"Confirm your email address first" not in response.content
    assert b"The email or password is not right" in response.content
