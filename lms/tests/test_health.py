"""Liveness and readiness, in-process and against a real server with its database down."""

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from lms import health
from lms.testing.servers import free_port, granian_server

ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() == "true"
# The acceptance bounds: readiness with the database down answers within 2 s,
# liveness within 100 ms. Each is the best of several tries, so one slow moment on a shared
# machine does not fail the run; a readiness probe that waits on the pool (10 s) still does.
READY_BOUND_S = 2.0
LIVE_BOUND_S = 0.1


closed_port = free_port


# --- In-process ----------------------------------------------------------------------------


def test_live_does_no_io(client):
    # No django_db mark: any database access here would raise.
    response = client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_live_does_not_load_the_session_of_a_browser(client):
    # A browser's session cookie must not make liveness read the session store (the
    # database): no django_db mark, so a query would fail the request.
    client.cookies["sessionid"] = "a" * 32
    response = client.get("/health/live")
    assert response.status_code == 200


@pytest.mark.django_db
def test_ready_checks_configured_services(client):
    response = client.get("/health/ready")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok" and "detail" not in body
    expected = {"database", "cache"} | ({"broker"} if settings.REDIS_URL else set())
    assert set(body["checks"]) == expected
    assert all(check["status"] == "ok" for check in body["checks"].values())


@pytest.mark.redis
@pytest.mark.django_db
def test_ready_with_redis_checks_the_broker(client):
    assert client.get("/health/ready").json()["checks"]["broker"]["status"] == "ok"


def test_a_hanging_check_is_cut_at_the_deadline_and_not_started_twice(client, monkeypatch):
    release = threading.Event()
    started: list[float] = []

    def hanging() -> None:
        started.append(time.monotonic())
        release.wait(10)

    monkeypatch.setattr(health, "configured_checks", lambda: {"database": hanging})
    try:
        first = client.get("/health/ready")
        second = client.get("/health/ready")
    finally:
        release.set()
        health._in_flight["database"].result(timeout=5)  # leave no check running
    for response in (first, second):
        assert response.status_code == 503
        assert response.json()["detail"] == (
            f"database: no answer within {health.READY_DEADLINE_SECONDS:g} s"
        )
    assert len(started) == 1  # the second probe joined the check still running


def test_ready_names_the_cause(client, monkeypatch):
    def refused() -> None:
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(
        health, "configured_checks", lambda: {"database": refused, "cache": lambda: None}
    )
    response = client.get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["detail"] == "database: connection refused"
    assert body["checks"]["database"] == {"status": "error", "error": "connection refused"}
    assert body["checks"]["cache"]["status"] == "ok"


@pytest.mark.parametrize(
    ("message", "cause"),
    [
        (
            'connection failed: connection to server at "10.0.0.5", port 5432 failed: '
            'FATAL:  database "lms_x" does not exist',
            'database "lms_x" does not exist',
        ),
        (
            'connection failed: connection to server at "127.0.0.1", port 1 failed: '
            "Connection refused\n\tIs the server running on that host and accepting TCP/IP?",
            "connection refused",
        ),
        ("Error 111 connecting to redis:6379. Connection refused.", "connection refused"),
        ("[Errno 111] Connection refused", "connection refused"),
        ("", "OSError"),
    ],
)
def test_causes_are_short_and_name_no_server(message, cause):
    assert health.describe_failure(OSError(message) if message else OSError()) == cause


def test_a_wrapped_error_is_described_by_its_cause():
    try:
        try:
            raise ConnectionRefusedError("Error 111 connecting to 127.0.0.1:6390. Refused.")
        except ConnectionRefusedError as exc:
            raise RuntimeError("ConnectionError: Error 111 connecting ...") from exc
    except RuntimeError as wrapped:
        assert health.describe_failure(wrapped) == "refused"


def test_ready_is_503_when_redis_is_down():
    """A real process whose REDIS_URL points at a closed port: cache and broker fail."""
    port = closed_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "lms.settings.test",
        "DATABASE_URL": "sqlite://:memory:",
        "REDIS_URL": f"redis://127.0.0.1:{port}/0",
    }
    env.pop("CELERY_BROKER_URL", None)
    script = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/health/ready');"
        "print(json.dumps({'status': r.status_code, 'body': r.json()}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["status"] == 503
    body = outcome["body"]
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["cache"] == {"status": "error", "error": "connection refused"}
    assert body["checks"]["broker"] == {"status": "error", "error": "connection refused"}
    assert body["detail"] == "cache: connection refused; broker: connection refused"
    assert body["status"] == "error"


# --- A real server, as the Dockerfile runs it, with its database down -----------------------


@contextmanager
def silent_database() -> Iterator[int]:
    """A 'database' that accepts TCP connections and never says a word."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)  # the kernel completes the handshakes; nobody ever reads
    try:
        yield int(sock.getsockname()[1])
    finally:
        sock.close()


def _get(url: str) -> tuple[int, float, bytes]:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    return status, time.perf_counter() - started, body


def granian(database_url: str, log: Path) -> Any:
    """granian WSGI with 2 workers x 1 blocking thread (Dockerfile, compose), on a free port."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "lms.settings.test",
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
    }
    return granian_server(env, log, workers=2, threads=1)


def _postgres_url(**changes: object) -> str:
    db = {**connection.settings_dict, **changes}
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{db['USER']}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


def _database_down(kind: str) -> tuple[str, str]:
    """(DATABASE_URL, the cause readiness must name) for each way a database is down."""
    if kind == "wrong_name":
        if connection.vendor != "postgresql":
            reason = "needs PostgreSQL: set DATABASE_URL"
            pytest.fail(reason) if IN_CI else pytest.skip(reason)
        return _postgres_url(NAME="lms_no_such_db"), 'database "lms_no_such_db" does not exist'
    return f"postgres://postgres@127.0.0.1:{closed_port()}/lms", "connection refused"


@pytest.mark.parametrize("kind", ["closed_port", "wrong_name"])
def test_database_down_ready_names_the_cause_within_2s_and_live_answers_in_100ms(kind, tmp_path):
    database_url, cause = _database_down(kind)
    with granian(database_url, tmp_path / "server.log") as base:
        ready = [_get(f"{base}/health/ready") for _ in range(3)]
        live = [_get(f"{base}/health/live") for _ in range(10)]
    for status, _, body in ready:
        assert status == 503
        assert json.loads(body)["detail"] == f"database: {cause}"
    assert min(elapsed for _, elapsed, _ in ready) < READY_BOUND_S, ready
    assert {status for status, _, _ in live} == {200}
    assert min(elapsed for _, elapsed, _ in live) < LIVE_BOUND_S, live


def test_a_silent_database_is_cut_at_the_deadline_and_live_waits_at_most_that(tmp_path):
    """The database accepts connections and never answers: readiness answers at its
    deadline, and liveness, even when it lands on a worker busy with a readiness probe
    (one blocking thread per worker), waits no longer than that."""
    with (
        silent_database() as port,
        granian(f"postgres://postgres@127.0.0.1:{port}/lms", tmp_path / "server.log") as base,
    ):
        ready = [_get(f"{base}/health/ready") for _ in range(3)]
        # Both workers busy with a readiness probe, then liveness probes on top.
        probes = [threading.Thread(target=_get, args=(f"{base}/health/ready",)) for _ in range(2)]
        for probe in probes:
            probe.start()
        time.sleep(0.1)
        live_while_busy = [_get(f"{base}/health/live") for _ in range(3)]
        for probe in probes:
            probe.join()
        live_idle = [_get(f"{base}/health/live") for _ in range(10)]
    expected = f"database: no answer within {health.READY_DEADLINE_SECONDS:g} s"
    causes = {json.loads(body)["detail"] for _, _, body in ready}
    # A probe may join the check an earlier probe left running and see it end instead.
    assert causes <= {expected, "database: connection timeout expired"}, causes
    assert expected in causes
    assert {status for status, _, _ in ready} == {503}
    assert min(elapsed for _, elapsed, _ in ready) < READY_BOUND_S, ready
    assert {status for status, _, _ in live_while_busy + live_idle} == {200}
    assert max(elapsed for _, elapsed, _ in live_while_busy) < READY_BOUND_S, live_while_busy
    assert min(elapsed for _, elapsed, _ in live_idle) < LIVE_BOUND_S, live_idle
