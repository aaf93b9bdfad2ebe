"""Request ids, JSON logs without secrets, security headers, metrics, admin."""

import io
import json
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.test import override_settings

from accounts.tests.auth_helpers import access_token_for
from accounts.tests.factories import InstructorFactory, UserFactory
from lms import health
from lms.logging import RedactingJsonFormatter, RequestContextFilter, redact

pytestmark = [pytest.mark.django_db, pytest.mark.urls("lms.tests.platform_urls")]


@pytest.fixture
def json_log():
    """Everything logged during the test, formatted exactly as production formats it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingJsonFormatter())
    handler.addFilter(RequestContextFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


def _lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_request_id_is_echoed(client):
    response = client.get("/health/live", HTTP_X_REQUEST_ID="trace-abc.123")
    assert response["X-Request-ID"] == "trace-abc.123"


def test_request_id_is_generated_when_missing_or_unsafe(client):
    generated = client.get("/health/live")["X-Request-ID"]
    assert len(generated) == 32 and int(generated, 16) >= 0
    unsafe = client.get("/health/live", HTTP_X_REQUEST_ID="evil\nheader injection")
    assert unsafe["X-Request-ID"] != "evil\nheader injection"
    assert len(unsafe["X-Request-ID"]) == 32


def test_problem_carries_the_request_id(client):
    response = client.get("/api/v1/nothing-here/", HTTP_X_REQUEST_ID="rid-42")
    assert response.json()["request_id"] == "rid-42"


def test_access_log_is_json_with_context(client, json_log):
    user = UserFactory()
    token = access_token_for(user)
    client.get(
        "/api/v1/_platform/users/",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_X_REQUEST_ID="rid-access",
    )
    access = [line for line in _lines(json_log) if line["logger"] == "lms.request"]
    assert len(access) == 1
    line = access[0]
    assert line["request_id"] == "rid-access"
    assert line["user_id"] == user.pk
    assert line["status"] == 200
    assert line["method"] == "GET"
    assert line["path"] == "/api/v1/_platform/users/"
    assert isinstance(line["duration_ms"], float)
    assert line["level"] == "INFO"


def _failing_check() -> None:
    raise ConnectionRefusedError(111, "Connection refused")


# (path, status, access line level, error lines with a traceback)
ONE_LINE_CASES = [
    ("/health/live", 200, "INFO", 0),
    ("/api/v1/nothing-here/", 404, "WARNING", 0),
    ("/health/ready", 503, "ERROR", 0),
    ("/api/v1/_platform/boom/", 500, "ERROR", 1),  # DRF view
    ("/api/v1/_platform/django-boom/", 500, "ERROR", 1),  # plain Django view
]


@pytest.mark.parametrize(("path", "status", "level", "errors"), ONE_LINE_CASES)
def test_one_line_per_request_and_one_per_error(
    client, json_log, monkeypatch, path, status, level, errors
):
    monkeypatch.setattr(health, "configured_checks", lambda: {"database": _failing_check})
    client.raise_request_exception = False
    response = client.get(path, HTTP_X_REQUEST_ID="rid-once")
    assert response.status_code == status
    lines = _lines(json_log)
    access = [line for line in lines if line["logger"] == "lms.request"]
    assert [(line["status"], line["level"]) for line in access] == [(status, level)]
    others = [line for line in lines if line["logger"] != "lms.request"]
    assert len(others) == errors, others  # no django.request "Not Found: ..." and the like
    for line in others:
        assert line["level"] == "ERROR"
        assert line["exc_info"].startswith("Traceback")
        assert line["request_id"] == "rid-once"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_run_commands_server_logs_each_request_once(tmp_path):
    """bin/run's server (daphne's runserver, DEBUG on) writes no access line of its own
    and Django's console handler repeats nothing: per request, lms.request's line, plus
    one traceback line for an unhandled exception."""
    port, broker_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "lms.settings.dev",
        # An empty database: the catalogue and the session table are missing (500s).
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        # Readiness fails on the broker alone (503); the cache stays local.
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{broker_port}/0",
        "LOG_LEVEL": "INFO",
    }
    env.pop("REDIS_URL", None)
    log = tmp_path / "server.log"
    command = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
    with log.open("w") as out:
        process = subprocess.Popen(
            command, cwd=Path(__file__).resolve().parents[2], env=env, stdout=out, stderr=out
        )
    base = f"http://127.0.0.1:{port}"
    requests = [
        ("/health/live", {}, 200, 1),
        ("/api/v1/nothing-here/", {}, 404, 1),
        ("/health/ready", {}, 503, 1),
        ("/api/v1/courses/", {}, 500, 2),  # DRF: no such table
        ("/instructor/", {"Cookie": "sessionid=" + "a" * 32}, 500, 2),  # Django: no session table
    ]
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, log.read_text()[-3000:]
            try:
                urllib.request.urlopen(f"{base}/static/none", timeout=2)  # noqa: S310
            except urllib.error.HTTPError:
                break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.3)
        for index, (path, headers, status, _) in enumerate(requests):
            rid = {"X-Request-ID": f"rid-{index}"}
            request = urllib.request.Request(base + path, headers={**headers, **rid})  # noqa: S310
            try:
                urllib.request.urlopen(request, timeout=30)  # noqa: S310
                answered = 200
            except urllib.error.HTTPError as error:
                answered = error.code
            assert answered == status, (path, answered)
        time.sleep(0.5)  # let the last lines reach the file
    finally:
        process.terminate()
        process.wait(timeout=20)
    output = log.read_text().splitlines()
    for index, (path, _, status, expected) in enumerate(requests):
        mine = [line for line in output if f'"rid-{index}"' in line]
        assert len(mine) == expected, (path, mine)
        assert sum(f'"status": {status}' in line for line in mine) == 1
        # Nothing else mentions the request: no "HTTP GET /x 200" from the server, no
        # plain-text copy from Django's console handler.
        strays = [line for line in output if path in line and line not in mine]
        assert strays == [], strays


def test_access_log_names_the_user_of_a_session_page(client, json_log):
    user = InstructorFactory()
    client.force_login(user)
    assert client.get("/instructor/").status_code == 200
    (line,) = [line for line in _lines(json_log) if line["logger"] == "lms.request"]
    assert line["user_id"] == user.pk


def test_password_and_bearer_token_never_reach_the_logs(client, json_log):
    user = UserFactory()
    token = access_token_for(user)
    password = "Sup3r-Secret-Passphrase!"
    client.post(
        "/api/v1/_platform/echo/",
        {"email": "x@example.test", "password": password, "age": 5},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_COOKIE="sessionid=cookie-secret-value",
    )
    output = json_log.getvalue()
    lines = _lines(json_log)
    # The careless view log and the access log were both written...
    assert any(line["message"].startswith("signup attempt") for line in lines)
    assert any(line["logger"] == "lms.request" and line["status"] == 400 for line in lines)
    assert "x@example.test" in output  # non-secret values do get through
    # ...and no secret is in them.
    assert password not in output
    assert token not in output
    assert token.split(".")[1] not in output
    assert "cookie-secret-value" not in output
    assert "[REDACTED]" in output


@pytest.mark.parametrize(
    ("value", "secret"),
    [
        ({"password": "p4ss"}, "p4ss"),
        ({"nested": {"refresh_token": "r3fresh"}}, "r3fresh"),
        ({"headers": {"Authorization": "Basic dXNlcjpwYXNz"}}, "dXNlcjpwYXNz"),
        ("GET /reset?token=abcdef123456&x=1", "abcdef123456"),
        ('{"password": "in-json-text"}', "in-json-text"),
        ("{'password': 'with spaces inside'}", "spaces inside"),
        ("Authorization: Bearer abc.def.ghi-long-token", "abc.def.ghi-long-token"),
        (["client_secret=s3cr3tvalue"], "s3cr3tvalue"),
    ],
)
def test_redact_finds_secrets_by_key_and_in_text(value, secret):
    assert secret not in json.dumps(redact(value))


def test_security_headers_on_html(client):
    response = client.get("/admin/login/", follow=True)  # the admin signs in on our login page
    assert response.status_code == 200
    assert b'name="password"' in response.content
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp


def test_csp_not_added_to_json(client):
    assert "Content-Security-Policy" not in client.get("/health/live")


def test_cors_allows_only_configured_origins(client):
    with override_settings(CORS_ALLOWED_ORIGINS=["https://app.example.test"]):
        allowed = client.get("/health/live", HTTP_ORIGIN="https://app.example.test")
        denied = client.get("/health/live", HTTP_ORIGIN="https://evil.example.test")
    assert allowed["Access-Control-Allow-Origin"] == "https://app.example.test"
    assert "Access-Control-Allow-Origin" not in denied


def test_gzip_for_clients_that_accept_it(client):
    UserFactory.create_batch(30)
    admin = UserFactory(is_staff=True)
    token = access_token_for(admin)
    response = client.get(
        "/api/v1/_platform/users/?page_size=30",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_ACCEPT_ENCODING="gzip",
    )
    assert response["Content-Encoding"] == "gzip"


def test_metrics_exposes_request_counters(client):
    client.get("/health/live")
    response = client.get("/metrics")
    assert response.status_code == 200
    text = response.content.decode()
    assert "django_http_requests_total_by_method_total" in text
    assert "django_http_responses_total_by_status_total" in text


def test_metrics_can_be_restricted_to_networks(client):
    with override_settings(METRICS_ALLOWED_NETWORKS=["10.0.0.0/8"]):
        assert client.get("/metrics").status_code == 404
        assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200


def test_admin_login_page(client):
    response = client.get("/admin/", follow=True)
    # The admin uses the site's login page, so lockout and MFA guard it too.
    assert response.redirect_chain[-1][0].startswith("/accounts/login/")
    assert b'name="password"' in response.content
