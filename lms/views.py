"""Project-level views: metrics, the OpenAPI document, and the error handlers that answer
problem+json under /api/."""

import ipaddress
import threading
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import get_urlconf
from django.utils import translation
from django.views import defaults
from django.views.csrf import csrf_failure as django_csrf_failure
from django.views.decorators.csrf import csrf_exempt
from django_prometheus.exports import ExportToDjangoView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from lms.api.problems import problem_json_response
from lms.errors import error_code

API_PREFIX = "/api/"


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def _problem(request: HttpRequest, code: str, detail: str) -> HttpResponse:
    # The status comes from the declared code (lms.errors), as for every other problem.
    return problem_json_response(
        error_code(code).status, code=code, detail=detail, path=request.path
    )


def _client_may_read_metrics(request: HttpRequest) -> bool:
    networks = settings.METRICS_ALLOWED_NETWORKS
    if not networks:
        return True
    try:
        client = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(client in ipaddress.ip_network(net, strict=False) for net in networks)


def metrics(request: HttpRequest) -> HttpResponse:
    if not settings.METRICS_ENABLED or not _client_may_read_metrics(request):
        raise Http404
    return ExportToDjangoView(request)


# --- The OpenAPI document -------------------------------------------------------------------

_schemas: dict[tuple[Any, ...], tuple[bytes, str]] = {}
_schemas_lock = threading.Lock()


def _forget_schemas(**kwargs: Any) -> None:
    _schemas.clear()  # tests that override settings (URLs, docs) see a fresh document


setting_changed.connect(_forget_schemas)


class _ProblemsAsJson(APIView):
    # The docs views render YAML or HTML; their refusals (405, 406) are problem+json like
    # every other error, not a YAML problem or a bare "405 Method Not Allowed".
    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response


class DocsView(_ProblemsAsJson, SpectacularSwaggerSplitView):
    pass


class SchemaView(_ProblemsAsJson, SpectacularAPIView):
    """OpenAPI 3 document of this API. YAML by default; JSON with
    `Accept: application/vnd.oai.openapi+json` or `?format=json`."""

    # The document depends on the code only: it is generated without the caller's request
    # (as `manage.py spectacular` does, anonymous and public) the first time each format is
    # asked for, and served from memory afterwards. A deploy starts new processes, so the
    # stored copy is always the running code's.
    def _get_schema_response(self, request: Request) -> HttpResponse:
        version = self.api_version or request.version or self._get_version_parameter(request)
        renderer = request.accepted_renderer
        media_type = request.accepted_media_type
        key = (
            type(self),
            settings.ROOT_URLCONF,
            get_urlconf(),
            version,
            translation.get_language(),
            type(renderer),
            media_type,
        )
        cached = _schemas.get(key)
        if cached is None:
            with _schemas_lock:  # one generation per process, however many ask at once
                cached = _schemas.get(key)
                if cached is None:
                    generator = self.generator_class(
                        urlconf=self.urlconf, api_version=version, patterns=self.patterns
                    )
                    schema = generator.get_schema(request=None, public=self.serve_public)
                    content_type = (
                        f"{media_type}; charset={renderer.charset}"
                        if renderer.charset
                        else media_type
                    )
                    cached = (renderer.render(schema, media_type, {}), content_type)
                    _schemas[key] = cached
        body, content_type = cached
        response = HttpResponse(body, content_type=content_type)
        filename = self._get_filename(request, version)
        response["Content-Disposition"] = f'inline; filename="{filename}"'
        return response


# --- Django-level errors under /api/ ----------------------------------------------------------


@csrf_exempt  # an unknown path is 404 for every method, not a CSRF refusal
def api_not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    """Catch-all for unknown /api/ paths, so even DEBUG answers problem+json."""
    return _problem(request, "not_found", "Not found.")


def handler400(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return _problem(request, "bad_request", "The request was malformed.")
    return defaults.bad_request(request, exception)


def handler403(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return _problem(
            request, "permission_denied", "You do not have permission to perform this action."
        )
    return defaults.permission_denied(request, exception)


def handler404(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return api_not_found(request)
    return defaults.page_not_found(request, exception)


def handler500(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return _problem(request, "server_error", "An unexpected error occurred.")
    return defaults.server_error(request)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if _is_api(request):
        return _problem(request, "csrf_failed", f"CSRF check failed: {reason}")
    return django_csrf_failure(request, reason)


def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico -> the site icon. Resolved per request: the manifest storage of
    production only knows the hashed name once collectstatic has run."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))
