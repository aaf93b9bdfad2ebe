import logging
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from lms.request_context import client_ip, client_ip_var, request_id_var

REQUEST_ID_HEADER = "X-Request-ID"
# A client's id is echoed back and logged, so only a short, plain token is accepted.
VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

access_logger = logging.getLogger("lms.request")

GetResponse = Callable[[HttpRequest], HttpResponse]


class RequestIdMiddleware:
    """Takes the caller's X-Request-ID (or makes one), exposes it to logs and echoes it."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        ip_token = client_ip_var.set(client_ip(request))
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
            client_ip_var.reset(ip_token)
        response[REQUEST_ID_HEADER] = request_id
        return response


class AccessLogMiddleware:
    """One JSON line per request: method, path, status, duration, user id, request id."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        user_id = _resolved_user_id(request)
        level = (
            logging.ERROR
            if response.status_code >= 500
            else logging.WARNING
            if response.status_code >= 400
            else logging.INFO
        )
        access_logger.log(
            level,
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "user_id": user_id,
            },
        )
        return response


def _resolved_user_id(request: HttpRequest) -> int | None:
    """The caller's id if the request already knows who it is, without finding out.

    Evaluating Django's lazy `request.user` would load the session (database or cache):
    the access log must never be what makes /health/live touch a dependency. DRF replaces
    `request.user` with the authenticated user; Django's pages leave it lazy and keep the
    evaluated one in `_cached_user` (django.contrib.auth.middleware.get_user)."""
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject):
        user = request.__dict__.get("_cached_user")
    if user is None or not user.is_authenticated:
        return None
    return int(user.pk)


class ContentSecurityPolicyMiddleware:
    """Adds the CSP to HTML responses (Django 5.2 has no built-in CSP)."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        content_type = response.get("Content-Type", "")
        if content_type.startswith("text/html") and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = settings.CONTENT_SECURITY_POLICY
        return response
