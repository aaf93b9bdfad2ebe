"""Five failures lock the account; the lock lives in the database and says nothing extra."""

import socket
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import TEST_PASSWORD, UserFactory
from lms.audit.models import AuditLog

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


def test_the_lock_expires(settings):
    user = UserFactory()
    for _ in range(5):
        login(user.email, "wrong-password")
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


def test_an_admin_unlocks(api_client):
    from accounts.tests.auth_helpers import api_login, bearer
    from accounts.tests.factories import AdminFactory

    user = UserFactory()
    for _ in range(5):
        login(user.email, "wrong-password")
    admin = bearer(APIClient(), api_login(api_client, AdminFactory())["access"])
    assert admin.post(f"/api/v1/users/{user.pk}/unlock/").status_code == 200
    assert login(user.email, TEST_PASSWORD).status_code == 200
    assert AuditLog.objects.filter(action="user.unlocked", target_id=str(user.pk)).exists()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_lockout_holds_when_redis_is_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "IGNORE_EXCEPTIONS": True},
        }
    }
    user = UserFactory()
    for _ in range(5):
        assert login(user.email, "wrong-password").status_code == 401
    assert login(user.email, TEST_PASSWORD).status_code == 401


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_evaluate_no_more_passwords_than_the_limit(monkeypatch):
    user = UserFactory()
    evaluated: list[int] = []
    real_check = User.check_password

    def counting_check(self, raw):
        evaluated.append(1)
        return real_check(self, raw)

    monkeypatch.setattr(User, "check_password", counting_check)
    barrier = threading.Barrier(15)

    def guess(i: int) -> None:
        try:
            barrier.wait()
            login(user.email, f"guess-{i}")
        finally:
            connection.close()

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(15)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(evaluated) == 5
    user.refresh_from_db()
    assert user.is_locked()
