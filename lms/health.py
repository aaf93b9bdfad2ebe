"""Liveness and readiness probes.

/health/live does no I/O: the process answers, so it is alive. Nothing on its path (views,
middleware, the access log) reads the database, the cache or the session.

/health/ready checks each configured dependency and answers 503 naming the cause
(`database: connection refused`, `database "x" does not exist`, `cache: ...`). The checks
run at the same time in a small per-process thread pool and the probe answers after
READY_DEADLINE_SECONDS at the latest, whatever the dependency does (a database that
accepts connections but never answers, a pool waiting DB_POOL_TIMEOUT for a connection):
the database is checked on a direct connection with a short connect timeout, not through
the request pool. The bound matters beyond readiness itself: granian runs each worker
with one blocking thread, so a liveness probe that lands on a worker busy with a readiness
probe waits for it; the deadline keeps that wait under two seconds (docs/deploy.md).
"""

import re
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from typing import Any

import psycopg
from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.files.storage import default_storage
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from kombu import Connection

# The checks get this long, together; the probe answers within 2 s with room to spare for
# the request itself on a busy machine. A healthy check takes milliseconds.
READY_DEADLINE_SECONDS = 1.0
# psycopg's lowest connect timeout (smaller values are raised to 2); the deadline above
# answers first, and the check's thread finishes on its own at most this long after.
DATABASE_CONNECT_TIMEOUT_SECONDS = 2
BROKER_TIMEOUT_SECONDS = 1
CAUSE_MAX_LENGTH = 200


def check_database() -> None:
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor == "postgresql":
        # A new connection, not one from the pool: with the database down the pool would
        # make us wait DB_POOL_TIMEOUT and then say only "couldn't get a connection".
        params = connection.get_connection_params()
        params["connect_timeout"] = DATABASE_CONNECT_TIMEOUT_SECONDS
        with psycopg.connect(**params, autocommit=True) as conn:
            conn.execute("SELECT 1").fetchone()
        return
    try:  # the embedded default (SQLite): a file on this machine, nothing to wait for
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        connection.close()  # this runs in a pool thread: leave no connection behind


def check_cache() -> None:
    backend = caches[DEFAULT_CACHE_ALIAS]
    probe = getattr(backend, "probe", None)
    if callable(probe):
        probe()  # lms.cache's backend: reaches Redis now, outage window or not
    key = f"health:{uuid.uuid4().hex}"
    client = _raw_redis_client(backend)
    if client is not None:
        # The raw client raises what the cache itself would swallow (IGNORE_EXCEPTIONS /
        # fail-open), so the cause reaches the probe.
        client.set(key, b"ok", ex=10)
        value = client.get(key)
        client.delete(key)
    else:
        cache.set(key, "ok", timeout=10)
        value = cache.get(key)
        cache.delete(key)
    if value not in ("ok", b"ok"):
        raise RuntimeError("the cache did not return the value it was given")


def _raw_redis_client(backend: object) -> Any:
    from django_redis import get_redis_connection
    from django_redis.cache import RedisCache

    if not isinstance(backend, RedisCache):
        return None
    return get_redis_connection(DEFAULT_CACHE_ALIAS)


def check_broker() -> None:
    with Connection(
        settings.CELERY_BROKER_URL,
        connect_timeout=BROKER_TIMEOUT_SECONDS,
        transport_options={
            "socket_timeout": BROKER_TIMEOUT_SECONDS,
            "socket_connect_timeout": BROKER_TIMEOUT_SECONDS,
        },
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


# --- Cause of a failure, for people --------------------------------------------------------

_ERRNO = re.compile(r"^\[Errno -?\d+\]\s*")
_TYPE_PREFIX = re.compile(r"^[A-Z][A-Za-z]*(Error|Exception|Unavailable|Timeout): ")
_REDIS_CONNECT = re.compile(r"Error -?\d+ connecting to \S+?\.\s+(.+)$")


def describe_failure(exc: BaseException) -> str:
    """A short cause without host names or credentials.

    psycopg:   'connection failed: connection to server at "10.0.0.5", port 5432 failed:
               FATAL:  database "x" does not exist'   -> 'database "x" does not exist'
    redis:     'Error 111 connecting to redis:6379. Connection refused.' -> 'connection refused'
    kombu:     '[Errno 111] Connection refused'        -> 'connection refused'
    """
    while exc.__cause__ is not None:  # wrappers (kombu, lms.cache) keep the real error
        exc = exc.__cause__
    text = next((line.strip() for line in str(exc).splitlines() if line.strip()), "")
    if not text:
        return type(exc).__name__
    if " failed: " in text:  # libpq names the server before the reason
        text = text.rsplit(" failed: ", 1)[1]
    text = re.sub(r"^(FATAL|ERROR):\s+", "", text)
    text = _TYPE_PREFIX.sub("", text)
    text = _ERRNO.sub("", text)
    if match := _REDIS_CONNECT.search(text):
        text = match.group(1)
    text = text.rstrip(".").strip()
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        text = text[0].lower() + text[1:]  # "Connection refused" reads as a cause
    return text[:CAUSE_MAX_LENGTH] or type(exc).__name__


# --- Running the checks under one deadline ----------------------------------------------

_executor: ThreadPoolExecutor | None = None
_in_flight: dict[str, "Future[float]"] = {}
_lock = threading.Lock()


def _timed(check: Callable[[], None]) -> float:
    started = time.perf_counter()
    check()
    return round((time.perf_counter() - started) * 1000, 2)


def _start(name: str, check: Callable[[], None]) -> "Future[float]":
    """The check's future; a check still running from an earlier probe is joined rather
    than started again, so a hanging dependency holds at most one thread per check."""
    global _executor
    with _lock:
        future = _in_flight.get(name)
        if future is None or future.done():
            if _executor is None:  # created lazily: after the server forked its workers
                _executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="health")
            future = _executor.submit(_timed, check)
            _in_flight[name] = future
        return future


def run_checks(
    checks: dict[str, Callable[[], None]], deadline: float = READY_DEADLINE_SECONDS
) -> dict[str, dict[str, object]]:
    futures = {name: _start(name, check) for name, check in checks.items()}
    wait_for(futures.values(), timeout=deadline)
    results: dict[str, dict[str, object]] = {}
    for name, future in futures.items():
        if not future.done():
            results[name] = {"status": "error", "error": f"no answer within {deadline:g} s"}
        elif (exc := future.exception()) is not None:
            results[name] = {"status": "error", "error": describe_failure(exc)}
        else:
            results[name] = {"status": "ok", "duration_ms": future.result()}
    return results


@never_cache
@require_safe
def live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def ready(request: HttpRequest) -> JsonResponse:
    results = run_checks(configured_checks())
    failures = [f"{name}: {r['error']}" for name, r in results.items() if r["status"] == "error"]
    body: dict[str, object] = {"status": "error" if failures else "ok"}
    if failures:
        body["detail"] = "; ".join(failures)
    body["checks"] = results
    return JsonResponse(body, status=503 if failures else 200)
