"""OpenAPI 3 schema (valid, enveloped, problem responses) and Swagger UI with local assets."""

import json
import re

import pytest
from django.contrib.staticfiles import finders
from openapi_spec_validator import validate

pytestmark = [pytest.mark.django_db, pytest.mark.urls("lms.tests.platform_urls")]

EXTERNAL_URL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


@pytest.fixture
def schema(client) -> dict:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def test_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate(schema)  # raises on any violation of the OpenAPI 3 spec


def test_success_bodies_are_documented_as_envelopes(schema):
    detail = schema["paths"]["/api/v1/_platform/users/{id}/"]["get"]["responses"]["200"]
    assert detail["content"]["application/json"]["schema"] == {
        "type": "object",
        "required": ["data", "meta"],
        "properties": {
            "data": {"$ref": "#/components/schemas/UserOutput"},
            "meta": {"type": "object", "additionalProperties": True},
        },
    }
    users = schema["paths"]["/api/v1/_platform/users/"]["get"]["responses"]["200"]
    list_schema = users["content"]["application/json"]["schema"]
    ref = list_schema["$ref"].split("/")[-1]
    paginated = schema["components"]["schemas"][ref]
    assert set(paginated["properties"]) == {"data", "meta"}
    assert paginated["properties"]["data"]["type"] == "array"
    assert {"count", "next", "previous", "page_size"} <= set(
        paginated["properties"]["meta"]["properties"]
    )


def test_errors_are_documented_as_problems(schema):
    problem = schema["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail"} <= set(problem["required"])
    for path_item in schema["paths"].values():
        for operation in path_item.values():
            for status in ("401", "403", "404", "429", "500"):
                content = operation["responses"][status]["content"]
                assert content == {
                    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
                }


def test_swagger_ui_uses_only_local_assets(client):
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert not EXTERNAL_URL.search(html), "Swagger UI references an external URL"
    static_paths = re.findall(r"""(?:src|href)="(/static/[^"]+)""", html)
    assert any("swagger-ui-bundle.js" in p for p in static_paths)
    for static_path in static_paths:
        assert finders.find(static_path.removeprefix("/static/")), f"missing asset {static_path}"
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert not re.search(r"https?://", script.content.decode())
    assert page["Content-Security-Policy"]  # inline-script-free page under the CSP


def test_docs_can_be_switched_off():
    """Production turns the docs off unless API_DOCS=true; the URLs are built from the flag."""
    import importlib

    from django.test import override_settings
    from django.urls import clear_url_caches

    import lms.urls

    try:
        with override_settings(API_DOCS_ENABLED=False):
            importlib.reload(lms.urls)
            names = {getattr(p, "name", None) for p in lms.urls.urlpatterns}
            assert "api-docs" not in names and "schema" not in names
    finally:
        importlib.reload(lms.urls)
        clear_url_caches()
    assert "api-docs" in {getattr(p, "name", None) for p in lms.urls.urlpatterns}


def test_schema_is_generated_once_per_process_and_format(client, monkeypatch):
    from drf_spectacular.generators import SchemaGenerator

    from lms import views

    views._schemas.clear()
    generated = []
    original = SchemaGenerator.get_schema

    def counting(self, *args, **kwargs):
        generated.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SchemaGenerator, "get_schema", counting)
    as_json = {"HTTP_ACCEPT": "application/vnd.oai.openapi+json"}
    first = client.get("/api/schema/", **as_json)
    second = client.get("/api/schema/", **as_json)
    assert len(generated) == 1
    assert first.content == second.content
    assert first["Content-Type"] == second["Content-Type"] == "application/vnd.oai.openapi+json"
    assert 'filename="LMS API.json"' in second["Content-Disposition"]
    yaml_first, yaml_second = client.get("/api/schema/"), client.get("/api/schema/")
    assert yaml_first.content == yaml_second.content
    assert yaml_first.content.startswith(b"openapi: 3.")
    assert yaml_first["Content-Type"].startswith("application/vnd.oai.openapi")
    assert len(generated) == 2  # one per format


def test_the_stored_schema_is_what_each_caller_was_served_before(client):
    """Nothing in the document depends on the caller: drf-spectacular's own view, which
    builds it for each request, gives an admin exactly the document we store once."""
    from drf_spectacular.views import SpectacularAPIView
    from rest_framework.test import APIRequestFactory, force_authenticate

    from accounts.tests.factories import AdminFactory

    as_json = "application/vnd.oai.openapi+json"
    stored = json.loads(client.get("/api/schema/", HTTP_ACCEPT=as_json).content)
    request = APIRequestFactory().get("/api/schema/", HTTP_ACCEPT=as_json)
    force_authenticate(request, user=AdminFactory())
    per_request = SpectacularAPIView.as_view()(request)
    per_request.render()
    assert json.loads(per_request.content) == stored
