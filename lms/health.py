"""Liveness and readiness probes.

/health/live does no I/O: the process answers, so it is alive.
/health/ready checks each dependency that is configured and answers 503 if any is down.
"""

import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection

BROKER_TIMEOUT_SECONDS = 2


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache() -> None:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "ok", timeout=10)
    if cache.get(key) != "ok":
        raise RuntimeError("cache did not return the value it was given")
    cache.delete(key)


def check_broker() -> None:
    with Connection(
        settings.CELERY_BROKER_URL,
        connect_timeout=BROKER_TIMEOUT_SECONDS,
        transport_options={"socket_timeout": BROKER_TIMEOUT_SECONDS},
    ) as conn:
        conn.ensure_connection(max_retries=0)


def check_storage() -> None:
    default_storage.exists("health-check-probe")


def configured_checks() -> dict[str, Callable[[], None]]:
    checks: dict[str, Callable[[], None]] = {"database": check_database, "cache": check_cache}
    if not settings.CELERY_BROKER_URL.startswith("memory://"):
        checks["broker"] = check_broker
    if settings.AZURE_CONNECTION_STRING:
        checks["storage"] = check_storage
    return checks


@never_cache
@require_GET
def live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def ready(request: HttpRequest) -> JsonResponse:
    results: dict[str, dict[str, object]] = {}
    for name, check in configured_checks().items():
        started = time.perf_counter()
        try:
            check()
        except Exception as exc:  # any failure means "not ready"; the type tells ops why
            results[name] = {"status": "error", "error": type(exc).__name__}
        else:
            results[name] = {"status": "ok"}
        results[name]["duration_ms"] = round((time.perf_counter() - started) * 1000, 2)
    healthy = all(result["status"] == "ok" for result in results.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": results},
        status=200 if healthy else 503,
    )
