import pytest
from django.contrib.auth import authenticate
from django.db import IntegrityError, transaction

from accounts.models import User
from accounts.tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_email_is_normalised_to_lower_case():
    user = User.objects.create_user(" Ada@Example.TEST ", "pw-123456789")
    assert user.email == "ada@example.test"
    assert user.role == User.Role.STUDENT


def test_email_is_unique_case_insensitively():
    User.objects.create_user("ada@example.test", "pw-123456789")
    with pytest.raises(Exception):  # noqa: B017 - full_clean or the DB refuses it
        User.objects.create_user("ADA@example.test", "pw-123456789")


def test_database_refuses_case_variants_even_past_the_manager():
    User.objects.create_user("ada@example.test", "pw-123456789")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(email="Ada@Example.test")])


def test_database_refuses_unknown_roles():
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(email="x@example.test", role="wizard")])


def test_login_by_email_ignores_case():
    user = UserFactory(email="mixed@example.test")
    assert authenticate(username="MIXED@Example.test", password=TEST_PASSWORD) == user
    assert authenticate(username="mixed@example.test", password="wrong") is None


def test_create_superuser_is_an_admin():
    admin = User.objects.create_superuser("root@example.test", "pw-123456789")
    assert admin.role == User.Role.ADMIN and admin.is_staff and admin.is_superuser
