"""JWTs: forgeries, rotation under concurrency, reuse detection, revocation."""

import threading
import time
import uuid
from typing import Any

import jwt
import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import LoginSession
from accounts.tests.auth_helpers import api_login, bearer
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ME = "/api/v1/users/me/"
REFRESH = "/api/v1/auth/refresh/"


def signed(payload: dict[str, Any], *, key: str | None = None, alg: str = "HS256") -> str:
    return jwt.encode(payload, key or settings.SIMPLE_JWT["SIGNING_KEY"], algorithm=alg)


def access_claims(user_id: int, session_id: str, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "token_type": "access",
        "user_id": str(user_id),
        "sid": session_id,
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + 300,
        "aud": settings.SIMPLE_JWT["AUDIENCE"],
        "iss": settings.SIMPLE_JWT["ISSUER"],
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


@pytest.fixture
def live_session() -> tuple[int, str]:
    user = UserFactory()
    session = LoginSession.objects.create(user=user)
    return user.pk, str(session.id)


def get_me(token: str) -> Any:
    return APIClient().get(ME, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_a_well_formed_token_is_accepted(live_session):
    """The control for the forgeries below: only the one thing they change makes them fail."""
    assert get_me(signed(access_claims(*live_session))).status_code == 200


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda c: jwt.encode(c, key=None, algorithm="none"), id="alg-none"),
        pytest.param(lambda c: signed(c, key="someone-elses-key-" * 3), id="foreign-key"),
        pytest.param(lambda c: signed({**c, "exp": int(time.time()) - 1}), id="expired"),
        pytest.param(lambda c: signed({**c, "nbf": int(time.time()) + 600}), id="nbf-future"),
        pytest.param(lambda c: signed({**c, "aud": "another-api"}), id="wrong-aud"),
        pytest.param(lambda c: signed({**c, "iss": "someone-else"}), id="wrong-iss"),
        pytest.param(lambda c: signed({**c, "token_type": "refresh"}), id="refresh-as-access"),
        pytest.param(lambda c: signed({k: v for k, v in c.items() if k != "sid"}), id="no-sid"),
        pytest.param(lambda c: signed({**c, "sid": str(uuid.uuid4())}), id="unknown-sid"),
        pytest.param(lambda c: "not.a.jwt", id="garbage"),
        pytest.param(lambda c: signed({**c, "pad": "x" * 6000}), id="oversized"),
    ],
)
def test_forged_access_tokens_get_401(live_session, forge):
    response = get_me(forge(access_claims(*live_session)))
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_a_real_refresh_token_is_not_an_access_token(api_client):
    tokens = api_login(api_client, UserFactory())
    assert get_me(tokens["refresh"]).status_code == 401


def test_an_access_token_is_not_a_refresh_token(api_client):
    tokens = api_login(api_client, UserFactory())
    assert APIClient().post(REFRESH, {"refresh": tokens["access"]}).status_code == 401


def test_refresh_rotates_and_the_old_refresh_token_is_dead(api_client):
    tokens = api_login(api_client, UserFactory())
    rotated = APIClient().post(REFRESH, {"refresh": tokens["refresh"]})
    assert rotated.status_code == 200
    new = rotated.json()["data"]
    assert new["refresh"] != tokens["refresh"]
    assert get_me(new["access"]).status_code == 200


def test_reusing_a_rotated_refresh_token_kills_the_whole_family(api_client):
    tokens = api_login(api_client, UserFactory())
    newest = APIClient().post(REFRESH, {"refresh": tokens["refresh"]}).json()["data"]

    reuse = APIClient().post(REFRESH, {"refresh": tokens["refresh"]})
    assert reuse.status_code == 401
    assert APIClient().post(REFRESH, {"refresh": newest["refresh"]}).status_code == 401
    assert get_me(newest["access"]).status_code == 401


def test_reuse_in_one_family_leaves_other_logins_alone(api_client):
    user = UserFactory()
    phone = api_login(APIClient(), user)
    laptop = api_login(APIClient(), user)
    APIClient().post(REFRESH, {"refresh": phone["refresh"]})
    APIClient().post(REFRESH, {"refresh": phone["refresh"]})
    assert get_me(laptop["access"]).status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_of_one_token_give_exactly_one_new_pair():
    user = UserFactory()
    tokens = api_login(APIClient(), user)
    statuses: list[int] = []
    barrier = threading.Barrier(20)

    def refresh() -> None:
        try:
            barrier.wait()
            statuses.append(APIClient().post(REFRESH, {"refresh": tokens["refresh"]}).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [401] * 19


def test_logout_kills_the_refresh_and_the_access_token(api_client):
    tokens = api_login(api_client, UserFactory())
    client = bearer(APIClient(), tokens["access"])
    assert client.post("/api/v1/auth/logout/", {"refresh": tokens["refresh"]}).status_code == 204
    assert get_me(tokens["access"]).status_code == 401
    assert APIClient().post(REFRESH, {"refresh": tokens["refresh"]}).status_code == 401


def test_logout_all_kills_every_login_of_the_user():
    user = UserFactory()
    first, second = api_login(APIClient(), user), api_login(APIClient(), user)
    other_user = api_login(APIClient(), UserFactory())
    assert bearer(APIClient(), first["access"]).post("/api/v1/auth/logout-all/").status_code == 204
    for tokens in (first, second):
        assert get_me(tokens["access"]).status_code == 401
        assert APIClient().post(REFRESH, {"refresh": tokens["refresh"]}).status_code == 401
    assert get_me(other_user["access"]).status_code == 200


def test_a_deactivated_users_next_request_is_401(api_client):
    user = UserFactory()
    tokens = api_login(api_client, user)
    user.is_active = False
    user.save()
    assert get_me(tokens["access"]).status_code == 401
    assert APIClient().post(REFRESH, {"refresh": tokens["refresh"]}).status_code == 401


def test_ws_ticket_is_random_single_use_and_bound_to_the_user(api_client):
    from accounts.services.sessions import ws_ticket_redeem

    user = UserFactory()
    client = bearer(APIClient(), api_login(api_client, user)["access"])
    first = client.post("/api/v1/auth/ws-ticket/").json()["data"]
    second = client.post("/api/v1/auth/ws-ticket/").json()["data"]
    assert first["ticket"] != second["ticket"]
    assert "." not in first["ticket"]  # not a JWT
    assert ws_ticket_redeem(ticket=first["ticket"]) == user
    assert ws_ticket_redeem(ticket=first["ticket"]) is None
    assert APIClient().post("/api/v1/auth/ws-ticket/").status_code == 401


def test_an_expired_ws_ticket_is_refused(api_client, settings):
    from datetime import timedelta

    from accounts.services.sessions import ws_ticket_redeem

    settings.WS_TICKET_TTL = timedelta(seconds=-1)
    client = bearer(APIClient(), api_login(api_client, UserFactory())["access"])
    ticket = client.post("/api/v1/auth/ws-ticket/").json()["data"]["ticket"]
    assert ws_ticket_redeem(ticket=ticket) is None


def test_the_purge_task_removes_dead_tickets_and_old_sessions():
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import WsTicket
    from accounts.tasks import auth_tables_purge_task

    user = UserFactory()
    old = LoginSession.objects.create(user=user, created_at=timezone.now() - timedelta(days=61))
    live = LoginSession.objects.create(user=user)
    WsTicket.objects.create(key_hash="a" * 64, user=user, expires_at=timezone.now())
    assert auth_tables_purge_task() == {"ws_tickets": 1, "sessions": 1}
    assert set(LoginSession.objects.values_list("pk", flat=True)) == {live.pk}
    assert old.pk not in LoginSession.objects.values_list("pk", flat=True)
