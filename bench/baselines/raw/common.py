"""What every raw twin shares: bearer authentication in SQL, rows as dicts, DRF's output
formats and page-number links, problem responses.

A raw twin is the lower bound of its endpoint: the same request answered with the fewest
hand-written SQL statements (through Django's connection, so it shares the transaction
and the connection settings of the process) and `json.dumps`. No ORM, no DRF. Its body
must equal the real endpoint's, so the formats below copy DRF's exactly.
"""

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any
from urllib import parse

import jwt
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework.fields import CharField

from accounts.authentication import MAX_TOKEN_LENGTH, TOKEN_NOT_VALID, BearerJWTAuthentication
from accounts.services.sessions import SESSION_CLAIM
from courses import permissions
from enrollments.models import Enrollment
from lms.api.exceptions import json_pointer
from lms.api.pagination import MAX_PAGE_SIZE, list_meta
from lms.api.problems import PROBLEM_CONTENT_TYPE, problem_body
from lms.api.serializers import UNKNOWN_FIELD_CODE
from lms.errors import error_code

RAW_PREFIX = "/bench/raw/"
API_PREFIX = "/api/v1/"
# The rules' constants, from where the real code reads them (plain strings for SQL).
SEATED = tuple(str(status.value) for status in Enrollment.SEATED)
TEACHER_ROLES = tuple(sorted(str(role.value) for role in permissions.TEACHER_ROLES))
PUBLIC_STATUSES = tuple(str(status.value) for status in permissions.PUBLIC_STATUSES)

View = Callable[..., HttpResponse]
# StrictInputMixin's message for a field the endpoint does not know.
UNKNOWN_FIELD_DETAIL = "This field is not accepted here."


class Problem(Exception):
    """An error answer (problem+json), raised anywhere in a twin. Like
    lms.errors.ServiceError, the status is the declared code's (docs/api-errors.md), so a
    twin answers a code with the status the API gives it, and no code the API lacks."""

    def __init__(self, code: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.extra = (
            error_code(code).status,
            code,
            detail,
            extra,
        )


def field_errors(errors: Sequence[tuple[str | None, str, str]]) -> Problem:
    """lms.api.exceptions' 400 for invalid fields: one item per (attr, code, detail) (attr
    None: the whole body), the problem's detail the only item's or a summary."""
    items = [
        {"attr": attr, "pointer": json_pointer(attr), "code": code, "detail": detail}
        for attr, code, detail in errors
    ]
    summary = errors[0][2] if len(errors) == 1 else "The request has invalid fields."
    return Problem("validation_error", summary, errors=items)


def char_errors(value: str, *, max_length: int | None = None) -> tuple[str, list[tuple[str, str]]]:
    """rest_framework.fields.CharField(max_length=...) on a query parameter: the trimmed
    value and its (code, message) errors, in DRF's order (blank stops there; the
    validators all run)."""
    text = value.strip()
    if not text:
        return text, [("blank", str(CharField.default_error_messages["blank"]))]
    errors = []
    if max_length is not None and len(text) > max_length:
        message = str(CharField.default_error_messages["max_length"])
        errors.append(("max_length", message.format(max_length=max_length)))
    if "\x00" in text:
        errors.append(("null_characters_not_allowed", "Null characters are not allowed."))
    return text, errors


def no_body(request: HttpRequest) -> None:
    """lms.api.serializers.EmptySerializer on a JSON body: an action that takes no body
    refuses every field sent (400 `unknown_field` items), as the real action does."""
    if not request.body:
        return
    try:
        data = json.loads(request.body)
    except ValueError as exc:
        raise Problem("parse_error", f"JSON parse error - {exc}") from exc
    if isinstance(data, dict):
        if data:
            raise field_errors(
                [(str(name), UNKNOWN_FIELD_CODE, UNKNOWN_FIELD_DETAIL) for name in data]
            )
        return
    message = f"Invalid data. Expected a dictionary, but got {type(data).__name__}."
    raise field_errors([(None, "invalid", message)])


# Every 401 of the API carries the bearer authenticator's challenge (decision 0012).
CHALLENGE = '{} realm="{}"'.format(  # simplejwt's JWTAuthentication.authenticate_header
    settings.SIMPLE_JWT["AUTH_HEADER_TYPES"][0], BearerJWTAuthentication.www_authenticate_realm
)
NOT_FOUND = Problem("not_found", "Not found.")
NOT_AUTHENTICATED = Problem("not_authenticated", "Authentication credentials were not provided.")


def raw_view(*methods: str) -> Callable[[View], View]:
    """Method check, problem answers. CSRF-exempt like DRF's APIView: bearer tokens are
    not sent by the browser on their own, so there is nothing for CSRF to protect."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                if request.method not in methods:
                    raise Problem("method_not_allowed", f'Method "{request.method}" not allowed.')
                return view(request, *args, **kwargs)
            except Problem as problem:
                body = problem_body(
                    problem.status, code=problem.code, detail=problem.detail, instance=request.path
                )
                body.update(problem.extra)
                response = JsonResponse(
                    body, status=problem.status, content_type=PROBLEM_CONTENT_TYPE
                )
                if problem.status == 401:  # the challenge DRF adds from the first authenticator
                    response["WWW-Authenticate"] = CHALLENGE
                return response

        return csrf_exempt(wrapper)

    return decorate


def ok(data: Any, meta: dict[str, Any] | None = None) -> HttpResponse:
    """The envelope, encoded once. Lists pass their meta (lms.api.pagination.list_meta,
    the one list contract); a single object's meta is empty, as the renderer writes it."""
    body = json.dumps({"data": data, "meta": meta or {}}, separators=(",", ":"))
    return HttpResponse(body, content_type="application/json")


# --- SQL -------------------------------------------------------------------------------


def fetch_all(sql: str, params: Any = None) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def fetch_one(sql: str, params: Any = None) -> dict[str, Any] | None:
    rows = fetch_all(sql, params)
    return rows[0] if rows else None


def fetch_value(sql: str, params: Any = None) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None


# --- authentication --------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    id: int
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _invalid_token() -> Problem:
    return Problem("authentication_failed", TOKEN_NOT_VALID)


def viewer_for(request: HttpRequest) -> Viewer | None:
    """accounts.authentication.BearerJWTAuthentication without simplejwt: the same header
    parsing, the same JWT checks (signature, algorithm, audience, issuer, exp, jti, token
    type) with PyJWT, then in one query what `user_for_access_token` checks (active user,
    live login session). None when there is no bearer header (anonymous); 401 when there
    is one and it does not hold. Cookie and session logins are not twinned."""
    header = request.META.get("HTTP_AUTHORIZATION")
    if not header:
        return None
    parts = header.split()
    if not parts or parts[0] not in settings.SIMPLE_JWT["AUTH_HEADER_TYPES"]:
        return None
    if len(parts) != 2:
        raise Problem("authentication_failed", "The Authorization header must be `Bearer <token>`.")
    token = parts[1]
    if len(token) > MAX_TOKEN_LENGTH:
        raise _invalid_token()
    jwt_settings = settings.SIMPLE_JWT
    try:
        payload = jwt.decode(
            token,
            jwt_settings["SIGNING_KEY"],
            algorithms=[jwt_settings["ALGORITHM"]],
            audience=jwt_settings["AUDIENCE"],
            issuer=jwt_settings["ISSUER"],
            leeway=jwt_settings["LEEWAY"],
            options={"require": ["exp"], "verify_aud": jwt_settings["AUDIENCE"] is not None},
        )
    except jwt.InvalidTokenError as exc:
        raise _invalid_token() from exc
    if (
        jwt_settings["JTI_CLAIM"] not in payload
        or payload.get(jwt_settings["TOKEN_TYPE_CLAIM"]) != "access"
    ):
        raise _invalid_token()
    try:
        claim: Any = payload.get(jwt_settings["USER_ID_CLAIM"])
        user_id = int(claim)
        session_id = uuid.UUID(str(payload.get(SESSION_CLAIM)))
    except (TypeError, ValueError) as exc:
        raise Problem("session_ended", "The session has ended.") from exc
    row = fetch_one(
        """
        SELECT u.id, u.role FROM accounts_user u
        JOIN accounts_loginsession s ON s.user_id = u.id
        WHERE u.id = %s AND u.is_active AND s.id = %s AND s.revoked_at IS NULL
        LIMIT 1
        """,
        [user_id, session_id],
    )
    if row is None:
        raise Problem("session_ended", "The session has ended.")
    return Viewer(id=row["id"], role=row["role"])


def require_viewer(request: HttpRequest) -> Viewer:
    """IsAuthenticated."""
    viewer = viewer_for(request)
    if viewer is None:
        raise NOT_AUTHENTICATED
    return viewer


def can_teach(viewer: Viewer | None, staff_role: str | None) -> bool:
    """courses.permissions.can_teach, with the course role already read by the query."""
    return viewer is not None and (viewer.is_admin or staff_role in TEACHER_ROLES)


# --- DRF output formats ----------------------------------------------------------------


def iso(value: datetime | None) -> str | None:
    """rest_framework.fields.DateTimeField, and DRF's JSON encoder for a datetime put in
    a Response as is: ISO 8601 with microseconds, UTC as `Z` (the connection's time zone
    is UTC, like settings.TIME_ZONE)."""
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def file_url(request: HttpRequest, name: str) -> str | None:
    """rest_framework FileField/ImageField with a request in the context."""
    if not name:
        return None
    return request.build_absolute_uri(default_storage.url(name))


# --- page-number pagination (lms.api.pagination.PageNumberPagination) -------------------


def api_url(request: HttpRequest) -> str:
    """The real endpoint's absolute URL for this request: links in the body point at the
    API, exactly as the real endpoint writes them, not at the twin."""
    url = request.build_absolute_uri()
    return url.replace(RAW_PREFIX, API_PREFIX, 1)


def replace_query_param(url: str, key: str, value: Any) -> str:
    """rest_framework.utils.urls.replace_query_param (parameters sorted, like DRF)."""
    scheme, netloc, path, query, fragment = parse.urlsplit(url)
    params = parse.parse_qs(query, keep_blank_values=True)
    params[key] = [str(value)]
    return parse.urlunsplit(
        (scheme, netloc, path, parse.urlencode(sorted(params.items()), doseq=True), fragment)
    )


def remove_query_param(url: str, key: str) -> str:
    scheme, netloc, path, query, fragment = parse.urlsplit(url)
    params = parse.parse_qs(query, keep_blank_values=True)
    params.pop(key, None)
    return parse.urlunsplit(
        (scheme, netloc, path, parse.urlencode(sorted(params.items()), doseq=True), fragment)
    )


def page_size(request: HttpRequest) -> int:
    """`page_size` if a positive integer (capped at MAX_PAGE_SIZE), else the default."""
    try:
        size = int(request.GET["page_size"])
    except (KeyError, ValueError):
        return int(settings.REST_FRAMEWORK["PAGE_SIZE"])
    if size <= 0:
        return int(settings.REST_FRAMEWORK["PAGE_SIZE"])
    return min(size, MAX_PAGE_SIZE)


@dataclass(frozen=True)
class Page:
    number: int
    size: int
    count: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.size))


def page_for(request: HttpRequest, count: int) -> Page:
    """Django's Paginator.validate_number as DRF calls it: a bad or out-of-range page
    is 404 "Invalid page."."""
    size = page_size(request)
    raw = request.GET.get("page") or "1"
    page = Page(number=1, size=size, count=count)
    if raw == "last":
        return Page(number=page.num_pages, size=size, count=count)
    try:
        number = int(raw)
    except ValueError as exc:
        raise Problem("not_found", "Invalid page.") from exc
    if number < 1 or number > page.num_pages:
        raise Problem("not_found", "Invalid page.")
    return Page(number=number, size=size, count=count)


def page_meta(request: HttpRequest, page: Page) -> dict[str, Any]:
    url = api_url(request)
    next_link = (
        replace_query_param(url, "page", page.number + 1) if page.number < page.num_pages else None
    )
    if page.number <= 1:
        previous_link = None
    elif page.number == 2:
        previous_link = remove_query_param(url, "page")
    else:
        previous_link = replace_query_param(url, "page", page.number - 1)
    return list_meta(
        count=page.count, page_size=page.size, next_link=next_link, previous=previous_link
    )


def in_list(values: Sequence[str]) -> str:
    """A literal SQL list of known constants (never of request input)."""
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"
