"""Logging in through the real API, for tests of anything behind authentication.

`client_for` is the platform's (lms.testing); it is re-exported here for the apps whose
tests still import it from this module.
"""

from typing import Any

from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import TEST_PASSWORD
from lms.testing import client_for

__all__ = ["access_token_for", "api_login", "bearer", "client_for"]


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
