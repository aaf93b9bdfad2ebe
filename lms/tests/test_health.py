import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def closed_port() -> int:
    """A port nothing listens on: bound by the OS, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_live_does_no_io(client):
    # No django_db mark: any database access here would raise.
    response = client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_ready_checks_configured_services(client):
    response = client.get("/health/ready")
    assert response.status_code == 200, response.content
    checks = response.json()["checks"]
    expected = {"database", "cache"} | ({"broker"} if settings.REDIS_URL else set())
    assert set(checks) == expected
    assert all(check["status"] == "ok" for check in checks.values())


@pytest.mark.redis
@pytest.mark.django_db
def test_ready_with_redis_checks_the_broker(client):
    assert client.get("/health/ready").json()["checks"]["broker"]["status"] == "ok"


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
    checks = outcome["body"]["checks"]
    assert checks["database"]["status"] == "ok"
    assert checks["cache"]["status"] == "error"
    assert checks["broker"]["status"] == "error"
    assert outcome["body"]["status"] == "error"
