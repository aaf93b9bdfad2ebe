"""Five failures lock the account; the lock lives in the database and says nothing extra."""

import socket
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services.login import LOCK_CHECKED
from accounts.tests.factories import TEST_PASSWORD, UserFactory
from lms.audit.models import AuditLog
from lms.testing import run_together, unchanged

pytestmark = pytest.mark.django_db
LOGIN = "/api/v1/auth/login/"


def login(email: str, password: str):
    return APIClient().post(LOGIN, {"email": email, "password": password})


def body_without_request_specifics(response) -> dict:
    body = response.json()
    body.pop("request_id", None)
    return body


def test_five_wrong_passwords_then_the_right_one_is_refused():
    user = UserFactory()
    for _ in range(5):
        assert login(user.email, "wrong-password").status_code == 401
    assert login(user.email, TEST_PASSWORD).status_code == 401
    user.refresh_from_db()
    assert user.is_locked()
    assert AuditLog.objects.filter(action="user.locked", target_id=str(user.pk)).exists()
    assert AuditLog.objects.filter(action="user.login_locked", target_id=str(user.pk)).exists()


def test_four_wrong_passwords_do_not_lock_and_success_resets_the_count():
    user = UserFactory()
    for _ in range(4):
        login(user.email, "wrong-password")
    assert login(user.email, TEST_PASSWORD).status_code == 200
    for _ in range(4):
        login(user.email, "wrong-password")
    assert login(user.email, TEST_PASSWORD).status_code == 200


def lock_out(user: User) -> None:
    """Five wrong passwords; then even the right one is refused: the account is locked."""
    for _ in range(5):
        login(user.email, "wrong-password")
    assert login(user.email, TEST_PASSWORD).status_code == 401
    user.refresh_from_db()
    assert user.is_locked()


def test_the_lock_expires():
    user = UserFactory()
    lock_out(user)
    User.objects.filter(pk=user.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    assert login(user.email, TEST_PASSWORD).status_code == 200


def test_unknown_known_and_locked_emails_get_the_same_answer():
    user = UserFactory()
    wrong = login(user.email, "wrong-password")
    unknown = login("nobody@example.test", "wrong-password")
    for _ in range(5):
        login(user.email, "wrong-password")
    locked = login(user.email, TEST_PASSWORD)
    assert wrong.status_code == unknown.status_code == locked.status_code == 401
    assert (
        body_without_request_specifics(wrong)
        == body_without_request_specifics(unknown)
        == body_without_request_specifics(locked)
    )


def test_an_admin_unlocks(cast):
    user = UserFactory()
    lock_out(user)
    assert cast.client("admin").post(f"/api/v1/users/{user.pk}/unlock/").status_code == 200
    assert login(user.email, TEST_PASSWORD).status_code == 200
    assert AuditLog.objects.filter(action="user.unlocked", target_id=str(user.pk)).exists()


@pytest.mark.parametrize("role", ["student", "instructor"])
def test_only_an_admin_unlocks(cast, role):
    user = UserFactory()
    lock_out(user)
    with unchanged(user, counts=(AuditLog,)):
        response = cast.client(role).post(f"/api/v1/users/{user.pk}/unlock/")
    assert response.status_code == 404  # other users are invisible to non-admins
    assert login(user.email, TEST_PASSWORD).status_code == 401


def test_unlock_takes_no_body(cast):
    user = UserFactory()
    lock_out(user)
    with unchanged(user):
        response = cast.client("admin").post(
            f"/api/v1/users/{user.pk}/unlock/", {"force": True}, format="json"
        )
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "force"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.redis  # the configured Redis cache, pointed at a closed port
def test_lockout_holds_when_redis_is_down(settings):
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            **settings.CACHES["default"],
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
        },
    }
    user = UserFactory()
    for _ in range(5):
        assert login(user.email, "wrong-password").status_code == 401
    assert login(user.email, TEST_PASSWORD).status_code == 401


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_evaluate_no_more_passwords_than_the_limit(monkeypatch, settings):
    """Every guess is held after its lock check until all have made theirs: without the row
    lock, all four would then evaluate their password."""
    settings.LOCKOUT_THRESHOLD = 2  # below the number of guesses, within the DB pool
    user = UserFactory()
    evaluated: list[int] = []
    real_check = User.check_password

    def counting_check(self, raw):
        evaluated.append(1)
        return real_check(self, raw)

    monkeypatch.setattr(User, "check_password", counting_check)
    guesses = [lambda i=i: login(user.email, f"guess-{i}").status_code for i in range(4)]
    connection.close()  # hand the test's pooled connection to the guessers
    assert run_together(guesses, hold_at=LOCK_CHECKED) == [401] * 4
    assert len(evaluated) == 2
    user.refresh_from_db()
    assert user.is_locked()
