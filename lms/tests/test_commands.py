"""The ops commands and the test command's service rules, run as real processes."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROD_ENV = {
    "SECRET_KEY": "x" * 20 + "-check-deploy-only-not-a-real-secret-0123456789",
    "ALLOWED_HOSTS": "lms.example.test",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/lms",
    "REDIS_URL": "redis://127.0.0.1:6379/15",
}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(args: list[str], env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def test_check_deploy_with_prod_settings_is_clean():
    env = {**os.environ, **PROD_ENV, "DJANGO_SETTINGS_MODULE": "lms.settings.prod"}
    result = run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"])
def test_prod_settings_demand_each_secret(missing):
    env = {**os.environ, **PROD_ENV, "DJANGO_SETTINGS_MODULE": "lms.settings.prod"}
    del env[missing]
    result = run([sys.executable, "manage.py", "check"], env)
    assert result.returncode != 0
    assert missing in result.stderr


@pytest.mark.parametrize("service", ["DATABASE_URL", "REDIS_URL"])
def test_test_command_fails_under_ci_when_a_service_is_unreachable(service):
    port = closed_port()
    url = {
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{port}/lms",
        "REDIS_URL": f"redis://127.0.0.1:{port}/15",
    }[service]
    env = {**os.environ, "CI": "true", service: url}
    env.pop("TEST_BACKENDS", None)  # .ci/run's embedded pass sets it; this test needs the probe
    result = run(["bash", "bin/test", "--collect-only", "-q"], env)
    assert result.returncode == 1
    assert "CI=true and unreachable" in result.stderr
    assert f"127.0.0.1:{port}" in result.stderr


@pytest.mark.django_db
def test_seed_demo_is_idempotent(settings):
    from django.core.management import call_command

    from accounts.management.commands.seed_demo import DEMO_USERS
    from accounts.models import User

    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")
    assert User.objects.count() == len(DEMO_USERS)
    assert User.objects.filter(role="admin", is_staff=True, is_superuser=True).count() == 1
    assert User.objects.filter(role="instructor").count() == 2
    assert User.objects.filter(role="student").count() >= 2


@pytest.mark.django_db
def test_seed_demo_refuses_without_debug(settings):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo")
