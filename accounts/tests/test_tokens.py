"""JWTs: forgeries, rotation under concurrency, reuse detection, revocation."""

import time
import uuid
from typing import Any

import jwt
import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import LoginSession
from accounts.services.sessions import REFRESH_CHECKED
from accounts.tests.auth_helpers import api_login, bearer
from accounts.tests.factories import UserFactory
from lms.testing import run_together

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


def refresh(token: str) -> Any:
    return APIClient().post(REFRESH, {"refresh": token})


def problem_code(response: Any, status: int = 401) -> str:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    if status == 401:
        assert response["WWW-Authenticate"].startswith("Bearer")
    return str(response.json()["code"])


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
def test_forged_access_tokens_get_401(live_session, forge, request):
    # Signed by us but naming no live session: the session is over. Anything else is a
    # token we do not accept.
    ended = request.node.callspec.id in {"no-sid", "unknown-sid"}
    response = get_me(forge(access_claims(*live_session)))
    assert problem_code(response) == ("session_ended" if ended else "authentication_failed")


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("Bearer not.a.jwt", "authentication_failed"),
        ("Bearer two parts", "authentication_failed"),
        ("Bearer", "authentication_failed"),
    ],
)
def test_token_refusals_carry_declared_codes(header, code):
    """Never simplejwt's own codes (`token_not_valid`, `bad_authorization_header`)."""
    assert problem_code(APIClient().get(ME, HTTP_AUTHORIZATION=header)) == code


def test_an_access_token_of_an_unknown_session_says_the_session_ended(live_session):
    user_id, _ = live_session
    token = signed(access_claims(user_id, str(uuid.uuid4())))
    assert problem_code(get_me(token)) == "session_ended"


def test_a_real_refresh_token_is_not_an_access_token(api_client):
    tokens = api_login(api_client, UserFactory())
    assert get_me(tokens["refresh"]).status_code == 401


def test_an_access_token_is_not_a_refresh_token(api_client):
    tokens = api_login(api_client, UserFactory())
    assert problem_code(refresh(tokens["access"])) == "authentication_failed"
    assert problem_code(refresh("garbage")) == "authentication_failed"


def test_refresh_refuses_unknown_fields(api_client):
    tokens = api_login(api_client, UserFactory())
    response = APIClient().post(REFRESH, {"refresh": tokens["refresh"], "access": "x"})
    assert problem_code(response, 400) == "validation_error"
    assert [e["pointer"] for e in response.json()["errors"]] == ["/access"]
    assert refresh(tokens["refresh"]).status_code == 200  # the refused call rotated nothing


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

    assert problem_code(refresh(tokens["refresh"])) == "session_ended"
    assert problem_code(refresh(newest["refresh"])) == "session_ended"
    assert problem_code(get_me(newest["access"])) == "session_ended"


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
    """Each refresh is held after its reuse check until all have made theirs: without the
    session row lock, every one of them would rotate the token."""
    tokens = api_login(APIClient(), UserFactory())
    calls = [lambda: refresh(tokens["refresh"]).status_code for _ in range(4)]  # the DB pool
    connection.close()  # hand the test's pooled connection to the racers
    assert sorted(run_together(calls, hold_at=REFRESH_CHECKED)) == [200, 401, 401, 401]


def test_logout_kills_the_refresh_and_the_access_token(api_client):
    tokens = api_login(api_client, UserFactory())
    client = bearer(APIClient(), tokens["access"])
    assert client.post("/api/v1/auth/logout/", {"refresh": tokens["refresh"]}).status_code == 204
    # Both say the same thing: the session is over.
    assert problem_code(get_me(tokens["access"])) == "session_ended"
    assert problem_code(refresh(tokens["refresh"])) == "session_ended"


def test_a_refresh_after_a_logout_without_the_refresh_token_says_the_session_ended(api_client):
    tokens = api_login(api_client, UserFactory())
    assert bearer(APIClient(), tokens["access"]).post("/api/v1/auth/logout/").status_code == 204
    assert problem_code(refresh(tokens["refresh"])) == "session_ended"


def test_logout_all_kills_every_login_of_the_user():
    user = UserFactory()
    first, second = api_login(APIClient(), user), api_login(APIClient(), user)
    other_user = api_login(APIClient(), UserFactory())
    assert bearer(APIClient(), first["access"]).post("/api/v1/auth/logout-all/").status_code == 204
    for tokens in (first, second):
        assert problem_code(get_me(tokens["access"])) == "session_ended"
        assert problem_code(refresh(tokens["refresh"])) == "session_ended"
    assert get_me(other_user["access"]).status_code == 200


def test_logout_all_takes_no_body():
    tokens = api_login(APIClient(), UserFactory())
    client = bearer(APIClient(), tokens["access"])
    response = client.post("/api/v1/auth/logout-all/", {"everywhere": True}, format="json")
    assert problem_code(response, 400) == "validation_error"
    assert get_me(tokens["access"]).status_code == 200


def test_a_deactivated_users_next_request_is_401(api_client):
    user = UserFactory()
    tokens = api_login(api_client, user)
    user.is_active = False
    user.save()
    assert problem_code(get_me(tokens["access"])) == "session_ended"
    assert problem_code(refresh(tokens["refresh"])) == "session_ended"


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
