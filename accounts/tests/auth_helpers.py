"""Logging in through the real API, for tests of anything behind authentication."""

from typing import Any

from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import TEST_PASSWORD


def api_login(client: APIClient, user: User, *, mode: str = "bearer") -> dict[str, Any]:
    response = client.post(
        "/api/v1/auth/login/", {"email": user.email, "password": TEST_PASSWORD, "mode": mode}
    )
    assert response.status_code == 200, response.content
    return response.json()["data"]


def bearer(client: APIClient, access: str) -> APIClient:
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def access_token_for(user: User) -> str:
    """A valid access token without going through the login endpoint (no throttle, no mail)."""
    from accounts.services.sessions import session_start

    return session_start(user=user, kind="bearer").access


def client_for(user: User | None) -> APIClient:
    """An API client authenticated as the user (anonymous for None)."""
    client = APIClient()
    if user is not None:
        bearer(client, access_token_for(user))
    return client
