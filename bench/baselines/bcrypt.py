"""A bare password check: what token login costs before any of its own work.

POST /api/v1/auth/login/ checks the password with the hasher that made the stored hash
(BCryptSHA256 under settings.PASSWORD_HASHERS, so bcrypt dominates), then locks the user
row, counts failures, starts a session and signs two JWTs. This view does only the
check: the hash is read from the database once per process (every bench user shares the
same one, see bench.seed) and each request runs `hasher.verify` against it, the call
Django's `check_password` makes. Token login is reported against this, not the floor.
"""

import json

from django.contrib.auth.hashers import identify_hasher
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from bench.seed import BENCH_EMAIL_DOMAIN
from lms.api.problems import problem_json_response

_stored_hash: str | None = None


def bench_password_hash() -> str | None:
    """The shared hash of the bench users, read once per process (None before seeding)."""
    global _stored_hash
    if _stored_hash is None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT password FROM accounts_user WHERE email LIKE %s ORDER BY id LIMIT 1",
                [f"%@{BENCH_EMAIL_DOMAIN}"],
            )
            row = cursor.fetchone()
        _stored_hash = row[0] if row else None
    return _stored_hash


@csrf_exempt  # no cookie, no session: nothing for CSRF to protect, like the login endpoint
@require_POST
def bcrypt_check(request: HttpRequest) -> HttpResponse:
    try:
        password = json.loads(request.body)["password"]
    except (ValueError, TypeError, KeyError):
        password = None
    if not isinstance(password, str):
        return problem_json_response(
            400, code="validation_error", detail='Send {"password": ...}.', path=request.path
        )
    encoded = bench_password_hash()
    if encoded is None:
        return problem_json_response(
            503, code="service_unavailable", detail="Run seed_bench first.", path=request.path
        )
    if not identify_hasher(encoded).verify(password, encoded):
        return problem_json_response(
            401, code="invalid_credentials", detail="Invalid password.", path=request.path
        )
    return HttpResponse(b'{"data":{"valid":true},"meta":{}}', content_type="application/json")
