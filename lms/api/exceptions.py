"""DRF exception handler: every error becomes an RFC 9457 problem document."""

import logging
from typing import Any

import psycopg
from django.core.exceptions import (
    PermissionDenied as DjangoPermissionDenied,
)
from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.core.exceptions import (
    ValidationError as DjangoValidationError,
)
from django.db import OperationalError
from django.http import Http404
from psycopg_pool import PoolTimeout
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler

from lms.api.problems import PROBLEM_CONTENT_TYPE, problem_body
from lms.errors import ServiceError

logger = logging.getLogger(__name__)

NON_FIELD_ATTRS = {"non_field_errors", "__all__"}


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


def flatten_validation_errors(detail: Any, attr: str | None = None) -> list[dict[str, Any]]:
    """DRF's nested error structure -> [{attr, pointer, code, detail}]: attr dotted
    ("items.0.qty"), pointer its RFC 6901 JSON pointer ("/items/0/qty"; "" for the whole
    body)."""
    if isinstance(detail, dict):
        out: list[dict[str, Any]] = []
        for key, value in detail.items():
            child = None if key in NON_FIELD_ATTRS else str(key)
            out += flatten_validation_errors(
                value, f"{attr}.{child}" if attr and child else attr or child
            )
        return out
    if isinstance(detail, list):
        if all(isinstance(item, exceptions.ErrorDetail | str) for item in detail):
            return [_error_item(attr, item) for item in detail]
        out = []
        for index, value in enumerate(detail):
            if value:  # DRF puts {} for list items that were valid
                out += flatten_validation_errors(value, f"{attr}.{index}" if attr else str(index))
        return out
    return [_error_item(attr, detail)]


def json_pointer(attr: str | None) -> str:
    if not attr:
        return ""
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in attr.split("."))


def _error_item(attr: str | None, item: Any) -> dict[str, Any]:
    return {
        "attr": attr,
        "pointer": json_pointer(attr),
        "code": getattr(item, "code", None) or "invalid",
        "detail": str(item),
    }


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "A service this request needs is unavailable; try again shortly."
    default_code = "service_unavailable"


def _as_api_exception(exc: Exception) -> Exception:
    if isinstance(exc, PoolTimeout) or (
        isinstance(exc, OperationalError) and isinstance(exc.__cause__, psycopg.OperationalError)
    ):
        # PostgreSQL is unreachable or the pool had no connection in time: not the client's
        # fault and not a bug; say so (the access log's 503 line is the one log line).
        # SQLite's OperationalError (e.g. a missing table) stays a 500 with its trace.
        return ServiceUnavailable()
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(as_serializer_error(exc))
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge()
    if isinstance(exc, SuspiciousOperation):
        return exceptions.ParseError("The request was malformed.")
    return exc


def service_error_response(exc: ServiceError, context: dict[str, Any]) -> Response:
    request, view = context.get("request"), context.get("view")
    path = request.path if request is not None else None
    body = problem_body(exc.status, code=exc.code, detail=exc.message, instance=path)
    body.update(exc.extra)
    response = Response(body, status=exc.status, content_type=PROBLEM_CONTENT_TYPE)
    if exc.status == 401 and view is not None and request is not None:
        # Every 401 carries a challenge (RFC 9110), as DRF adds to its own 401s.
        challenge = view.get_authenticate_header(request)
        if challenge:
            response["WWW-Authenticate"] = challenge
    return response


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    if isinstance(exc, ServiceError):
        return service_error_response(exc, context)
    request = context.get("request")
    path = request.path if request is not None else None
    exc = _as_api_exception(exc)
    response = exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        # A bug, not the client's fault: log it with its trace, tell the client nothing more.
        logger.exception("Unhandled error in API view", exc_info=exc)
        body = problem_body(
            500, code="server_error", detail="An unexpected error occurred.", instance=path
        )
        return Response(body, status=500, content_type=PROBLEM_CONTENT_TYPE)

    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_validation_errors(exc.detail)
        first = errors[0]["detail"] if errors else "Invalid input."
        body = problem_body(
            response.status_code,
            code="validation_error",
            detail=first if len(errors) == 1 else "The request has invalid fields.",
            errors=errors,
            instance=path,
        )
    else:
        code, detail = _code_and_detail(exc)
        body = problem_body(response.status_code, code=code, detail=detail, instance=path)
    response.data = body
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def _code_and_detail(exc: exceptions.APIException) -> tuple[str, str]:
    detail = exc.detail
    if isinstance(detail, dict):  # e.g. simplejwt's InvalidToken
        return str(detail.get("code", exc.default_code)), str(
            detail.get("detail", exc.default_detail)
        )
    if isinstance(detail, list):
        return str(exc.default_code), " ".join(str(item) for item in detail)
    return str(getattr(detail, "code", None) or exc.default_code), str(detail)
