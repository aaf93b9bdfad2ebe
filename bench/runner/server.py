"""The bench database (created, migrated and seeded when needed) and the app server."""

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATABASES = {
    "smoke": "postgres://postgres@127.0.0.1:5432/lms_bench",
    "full": "postgres://postgres@127.0.0.1:5432/lms_benchfull",
}
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/9"
CACHE_KEY_PREFIX = "bench"
WORKERS = 2
# Payments on, with bench-only keys (not secrets); Stripe's API base is a closed loopback
# port, so nothing ever leaves the machine. The webhook scenario signs with this secret.
BENCH_STRIPE_WEBHOOK_SECRET = "whsec_bench_only_not_a_secret"  # noqa: S105
STRIPE_ENVIRONMENT = {
    "STRIPE_SECRET_KEY": "sk_test_bench_only_not_a_secret",
    "STRIPE_WEBHOOK_SECRET": BENCH_STRIPE_WEBHOOK_SECRET,
    "STRIPE_API_BASE": "http://127.0.0.1:9",
    "STRIPE_CHECKOUT_API_BASE": "http://127.0.0.1:9",
}


def database_create_if_missing(url: str) -> None:
    name = conninfo_to_dict(make_conninfo(url))["dbname"]
    with psycopg.connect(make_conninfo(url, dbname="postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(str(name))))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_environment(*, database_url: str, redis_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "lms.settings.bench",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CACHE_KEY_PREFIX": CACHE_KEY_PREFIX,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(48),
        **STRIPE_ENVIRONMENT,
    }


@contextmanager
def app_server(*, env: dict[str, str], log_path: Path) -> Iterator[str]:
    """granian in WSGI mode as the Dockerfile runs it (2 workers, 1 blocking thread each),
    on a free loopback port; yields its base URL and stops it afterwards."""
    port = free_port()
    command = [
        str(Path(sys.executable).with_name("granian")),
        "--interface", "wsgi",
        "--host", "127.0.0.1",
        "--port", str(port),
        "--workers", str(WORKERS),
        "--blocking-threads", "1",
        "lms.wsgi:application",
    ]  # fmt: skip
    # The pages' {% static %} needs the manifest that collectstatic writes, as in the image.
    static_root = Path(tempfile.mkdtemp(prefix="bench-static-"))
    env = {**env, "STATIC_ROOT": str(static_root)}
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_live(base_url, process)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(static_root, ignore_errors=True)


def _wait_until_live(
    base_url: str, process: subprocess.Popen[bytes], timeout_s: float = 60
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base_url}/health/live", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("the app server did not answer /health/live within 60 s")
