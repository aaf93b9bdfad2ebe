"""Project-level views: metrics, and error handlers that answer problem+json under /api/."""

import ipaddress

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views import defaults
from django.views.csrf import csrf_failure as django_csrf_failure
from django_prometheus.exports import ExportToDjangoView

from lms.api.problems import problem_json_response

API_PREFIX = "/api/"


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


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


def api_not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    """Catch-all for unknown /api/ paths, so even DEBUG answers problem+json."""
    return problem_json_response(404, code="not_found", detail="Not found.", path=request.path)


def handler400(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return problem_json_response(
            400, code="bad_request", detail="The request was malformed.", path=request.path
        )
    return defaults.bad_request(request, exception)


def handler403(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return problem_json_response(
            403,
            code="permission_denied",
            detail="You do not have permission to perform this action.",
            path=request.path,
        )
    return defaults.permission_denied(request, exception)


def handler404(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return api_not_found(request)
    return defaults.page_not_found(request, exception)


def handler500(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return problem_json_response(
            500, code="server_error", detail="An unexpected error occurred.", path=request.path
        )
    return defaults.server_error(request)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if _is_api(request):
        return problem_json_response(
            403, code="csrf_failed", detail=f"CSRF check failed: {reason}", path=request.path
        )
    return django_csrf_failure(request, reason)
