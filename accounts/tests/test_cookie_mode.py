"""Browser SPAs: HttpOnly cookies, CSRF on unsafe requests, bearer clients unaffected."""

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from accounts.tests.auth_helpers import api_login, bearer
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
LOGOUT_ALL = "/api/v1/auth/logout-all/"
WS_TICKET = "/api/v1/auth/ws-ticket/"


@pytest.fixture
def cookie_client():
    client = APIClient(enforce_csrf_checks=True)
    data = api_login(client, UserFactory(), mode="cookie")
    return client, data


def test_cookie_login_sets_httponly_cookies_and_returns_no_tokens(cookie_client):
    client, data = cookie_client
    assert "access" not in data and "refresh" not in data
    assert data["csrf_token"]
    access = client.cookies[settings.AUTH_COOKIE_ACCESS]
    refresh = client.cookies[settings.AUTH_COOKIE_REFRESH]
    assert access["httponly"] and refresh["httponly"]
    assert access["samesite"] == refresh["samesite"] == "Lax"
    assert refresh["path"] == settings.AUTH_COOKIE_REFRESH_PATH
    assert client.get("/api/v1/users/me/").status_code == 200


def assert_csrf_failed(response) -> None:
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "csrf_failed"


def test_unsafe_request_without_csrf_token_is_403(cookie_client):
    client, _ = cookie_client
    assert_csrf_failed(client.post(WS_TICKET))


def test_a_session_login_needs_the_csrf_token_too():
    """The pages' Django session also authenticates the API (for the admin's own pages)."""
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(UserFactory())
    assert client.get("/api/v1/users/me/").status_code == 200
    assert_csrf_failed(client.post(WS_TICKET))
    client.get("/accounts/login/")  # sets the CSRF cookie, as a page would
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    assert client.post(WS_TICKET, HTTP_X_CSRFTOKEN=token).status_code == 201


def test_unsafe_request_with_csrf_token_succeeds(cookie_client):
    client, data = cookie_client
    assert client.post(WS_TICKET, HTTP_X_CSRFTOKEN=data["csrf_token"]).status_code == 201


def test_bearer_requests_need_no_csrf_token():
    client = APIClient(enforce_csrf_checks=True)
    tokens = api_login(client, UserFactory())
    assert (
        bearer(APIClient(enforce_csrf_checks=True), tokens["access"]).post(WS_TICKET).status_code
        == 201
    )


def test_cookie_refresh_needs_csrf_and_rotates_the_cookies(cookie_client):
    client, data = cookie_client
    old_refresh = client.cookies[settings.AUTH_COOKIE_REFRESH].value
    assert_csrf_failed(client.post("/api/v1/auth/refresh/"))
    assert client.cookies[settings.AUTH_COOKIE_REFRESH].value == old_refresh
    response = client.post("/api/v1/auth/refresh/", HTTP_X_CSRFTOKEN=data["csrf_token"])
    assert response.status_code == 200
    assert client.cookies[settings.AUTH_COOKIE_REFRESH].value != old_refresh
    assert "refresh" not in response.json()["data"]


def test_cookie_logout_clears_cookies_and_ends_the_session(cookie_client):
    client, data = cookie_client
    access = client.cookies[settings.AUTH_COOKIE_ACCESS].value
    assert (
        client.post("/api/v1/auth/logout/", HTTP_X_CSRFTOKEN=data["csrf_token"]).status_code == 204
    )
    assert client.cookies[settings.AUTH_COOKIE_ACCESS].value == ""
    stolen = APIClient()
    stolen.cookies[settings.AUTH_COOKIE_ACCESS] = access
    assert stolen.get("/api/v1/users/me/").status_code == 401


def test_secure_cookies_in_production_settings(settings, client):
    settings.AUTH_COOKIE_SECURE = True
    api = APIClient()
    api_login(api, UserFactory(), mode="cookie")
    assert api.cookies[settings.AUTH_COOKIE_ACCESS]["secure"]
