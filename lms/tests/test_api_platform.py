"""The API platform through real DRF requests: envelope, problems, pagination, throttles."""

import json

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404
from django.test import Client, RequestFactory, override_settings
from rest_framework.renderers import JSONRenderer

from accounts.models import User
from accounts.tests.auth_helpers import access_token_for
from accounts.tests.factories import AdminFactory, UserFactory
from lms import views
from lms.errors import error_code

pytestmark = [pytest.mark.django_db, pytest.mark.urls("lms.tests.platform_urls")]

BASE = "/api/v1/_platform"
PROBLEM = "application/problem+json"


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = json.loads(response.content)  # also for responses made without the test client
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == "/problems/" + code.replace("_", "-")
    assert body["title"] and isinstance(body["detail"], str)
    return body


def bearer(user: User) -> str:
    return f"Bearer {access_token_for(user)}"


def test_success_body_is_enveloped(api_client):
    response = api_client.get(f"{BASE}/echo/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"data": {"hello": "world"}, "meta": {}}


def test_model_detail_is_enveloped(api_client):
    user = UserFactory()
    response = api_client.get(f"{BASE}/users/{user.pk}/", HTTP_AUTHORIZATION=bearer(user))
    assert response.json() == {
        "data": {"id": user.pk, "email": user.email, "role": "student"},
        "meta": {},
    }


def test_missing_object_is_404_problem(api_client):
    user = UserFactory()
    response = api_client.get(f"{BASE}/users/{user.pk + 999}/", HTTP_AUTHORIZATION=bearer(user))
    assert_problem(response, 404, "not_found")


def test_created_body_is_enveloped(api_client):
    response = api_client.post(
        f"{BASE}/echo/", {"email": "a@b.test", "password": "long-enough-pw", "age": 20}
    )
    assert response.status_code == 201
    assert response.json() == {"data": {"email": "a@b.test"}, "meta": {}}


def test_validation_error_lists_each_field(api_client):
    response = api_client.post(f"{BASE}/echo/", {"email": "nope", "password": "short", "age": 3})
    body = assert_problem(response, 400, "validation_error")
    errors = {(e["attr"], e["code"]) for e in body["errors"]}
    assert errors == {("email", "invalid"), ("password", "min_length"), ("age", "min_value")}
    assert all(e["detail"] for e in body["errors"])
    assert body["instance"] == f"{BASE}/echo/"


def test_missing_fields_are_required_errors(api_client):
    body = assert_problem(api_client.post(f"{BASE}/echo/", {}), 400, "validation_error")
    assert {e["attr"] for e in body["errors"]} == {"email", "password", "age"}
    assert {e["code"] for e in body["errors"]} == {"required"}


def test_malformed_json_is_400(api_client):
    response = api_client.generic(
        "POST", f"{BASE}/echo/", "{not json", content_type="application/json"
    )
    assert_problem(response, 400, "parse_error")


def test_unauthenticated_is_401_with_challenge(api_client):
    response = api_client.get(f"{BASE}/users/")
    assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_bad_bearer_token_is_401(api_client):
    response = api_client.get(f"{BASE}/users/", HTTP_AUTHORIZATION="Bearer not-a-token")
    assert_problem(response, 401, "authentication_failed")


def test_forbidden_is_403(api_client):
    student = UserFactory()
    response = api_client.get(f"{BASE}/admin-only/", HTTP_AUTHORIZATION=bearer(student))
    assert_problem(response, 403, "permission_denied")


def test_admin_passes_the_permission(api_client):
    admin = AdminFactory()
    response = api_client.get(f"{BASE}/admin-only/", HTTP_AUTHORIZATION=bearer(admin))
    assert response.json()["data"] == {"secret": "admins only"}


def test_unknown_api_path_is_problem_404(api_client):
    assert_problem(api_client.get("/api/v1/no-such-thing/"), 404, "not_found")
    assert_problem(api_client.get("/api/elsewhere"), 404, "not_found")


def test_unknown_page_outside_api_is_html_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_method_not_allowed_is_405(api_client):
    assert_problem(api_client.delete(f"{BASE}/echo/"), 405, "method_not_allowed")


def test_unsupported_media_type_is_415(api_client):
    response = api_client.generic("POST", f"{BASE}/echo/", "x", content_type="text/plain")
    assert_problem(response, 415, "unsupported_media_type")


def test_unhandled_error_is_generic_500(api_client, caplog):
    api_client.raise_request_exception = False
    response = api_client.get(f"{BASE}/boom/")
    body = assert_problem(response, 500, "server_error")
    assert "internal detail" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert body["detail"] == "An unexpected error occurred."
    # ...but the trace is logged for us.
    assert any("internal detail" in (r.exc_text or str(r.exc_info)) for r in caplog.records)


def test_an_unreachable_database_is_503_without_its_details(api_client):
    body = assert_problem(api_client.get(f"{BASE}/database-down/"), 503, "service_unavailable")
    assert "10.0.0.9" not in body["detail"]


def test_django_level_500_under_api_is_problem(client):
    client.raise_request_exception = False
    response = client.get(f"{BASE}/django-boom/")
    body = assert_problem(response, 500, "server_error")
    assert "plain Django view failing" not in response.content.decode()
    assert body["instance"] == f"{BASE}/django-boom/"


def test_every_problem_is_rendered_the_same_compact_way(api_client, client):
    """Django-level problems (catch-all 404, handler500) read byte for byte like DRF's."""
    client.raise_request_exception = False
    user = UserFactory()
    responses = [
        api_client.get("/api/v1/nonexistent/"),
        api_client.get(f"{BASE}/users/{user.pk + 999}/", HTTP_AUTHORIZATION=bearer(user)),
        client.get(f"{BASE}/django-boom/"),
        api_client.post(f"{BASE}/echo/", {}),
        # The docs views render YAML and HTML, but not their refusals.
        client.post("/api/schema/"),
        client.get("/api/schema/", HTTP_ACCEPT="text/html"),
        client.post("/api/docs/"),
    ]
    for response in responses:
        assert response["Content-Type"] == PROBLEM
        assert response.content == JSONRenderer().render(response.json())
        assert b"\n" not in response.content and b'": ' not in response.content


def test_unknown_api_path_is_404_for_every_method_not_a_csrf_refusal():
    client = Client(enforce_csrf_checks=True)
    for method in ("post", "put", "patch", "delete"):
        response = getattr(client, method)("/api/v1/nonexistent/", content_type="application/json")
        assert_problem(response, 404, "not_found")


def test_django_level_handlers_under_api_answer_declared_codes():
    factory = RequestFactory()
    api, page = factory.post("/api/v1/anything/"), factory.post("/accounts/anything/")
    answers = {
        "bad_request": views.handler400(api, SuspiciousOperation("x")),
        "permission_denied": views.handler403(api, PermissionDenied()),
        "not_found": views.handler404(api, Http404()),
        "server_error": views.handler500(api),
        "csrf_failed": views.csrf_failure(api, reason="CSRF cookie not set."),
    }
    for code, response in answers.items():
        body = assert_problem(response, error_code(code).status, code)
        assert body["instance"] == "/api/v1/anything/"
    assert json.loads(answers["csrf_failed"].content)["detail"].endswith("CSRF cookie not set.")
    # Outside /api/ the pages keep Django's HTML answers.
    for response in (
        views.handler404(page, Http404()),
        views.csrf_failure(page, reason="CSRF cookie not set."),
    ):
        assert response["Content-Type"].startswith("text/html")


def test_bad_host_under_api_is_a_bad_request_problem(client):
    response = client.get("/api/v1/nonexistent/", HTTP_HOST="evil.example.test")
    assert_problem(response, 400, "bad_request")


def test_scoped_throttle_answers_429_with_retry_after(api_client):
    rest = {**settings.REST_FRAMEWORK}
    rest["DEFAULT_THROTTLE_RATES"] = {**rest["DEFAULT_THROTTLE_RATES"], "auth": "3/min"}
    with override_settings(REST_FRAMEWORK=rest):
        statuses = [api_client.get(f"{BASE}/echo/").status_code for _ in range(3)]
        assert statuses == [200, 200, 200]
        response = api_client.get(f"{BASE}/echo/")
    body = assert_problem(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 60
    assert "throttled" in body["detail"].lower()


def test_user_throttle_counts_per_user(api_client):
    rest = {**settings.REST_FRAMEWORK}
    rest["DEFAULT_THROTTLE_RATES"] = {**rest["DEFAULT_THROTTLE_RATES"], "user": "2/min"}
    first, second = UserFactory(), UserFactory()
    with override_settings(REST_FRAMEWORK=rest):
        for _ in range(2):
            assert (
                api_client.get(f"{BASE}/users/", HTTP_AUTHORIZATION=bearer(first)).status_code
                == 200
            )
        throttled = api_client.get(f"{BASE}/users/", HTTP_AUTHORIZATION=bearer(first))
        other = api_client.get(f"{BASE}/users/", HTTP_AUTHORIZATION=bearer(second))
    assert_problem(throttled, 429, "throttled")
    assert other.status_code == 200


class TestPagination:
    @pytest.fixture
    def viewer(self) -> User:
        UserFactory.create_batch(130)
        return AdminFactory()

    def test_page_meta(self, api_client, viewer):
        response = api_client.get(f"{BASE}/users/?page=2", HTTP_AUTHORIZATION=bearer(viewer))
        body = response.json()
        assert len(body["data"]) == 20
        assert body["meta"]["count"] == 131
        assert body["meta"]["page_size"] == 20
        assert body["meta"]["next"].endswith("page=3")
        assert body["meta"]["previous"] is not None and "page=" not in body["meta"]["previous"]

    def test_page_size_is_capped_at_100(self, api_client, viewer):
        response = api_client.get(f"{BASE}/users/?page_size=500", HTTP_AUTHORIZATION=bearer(viewer))
        body = response.json()
        assert len(body["data"]) == 100
        assert body["meta"]["page_size"] == 100

    def test_page_out_of_range_is_404_problem(self, api_client, viewer):
        response = api_client.get(f"{BASE}/users/?page=99", HTTP_AUTHORIZATION=bearer(viewer))
        assert_problem(response, 404, "not_found")

    def test_list_runs_constant_queries(self, api_client, viewer, django_assert_num_queries):
        # session-less bearer auth: user lookup + count + page
        auth = bearer(viewer)
        for size in (5, 100):
            with django_assert_num_queries(3):
                api_client.get(f"{BASE}/users/?page_size={size}", HTTP_AUTHORIZATION=auth)

    def test_cursor_pages_cover_every_row_once(self, api_client, viewer):
        seen: list[int] = []
        url = f"{BASE}/users-cursor/?page_size=50"
        while url:
            body = api_client.get(url, HTTP_AUTHORIZATION=bearer(viewer)).json()
            assert set(body["meta"]) == {"count", "page_size", "next", "previous"}
            assert body["meta"]["count"] is None
            seen += [row["id"] for row in body["data"]]
            url = body["meta"]["next"]
        assert len(seen) == 131 == len(set(seen))
        assert seen == sorted(seen, reverse=True)
