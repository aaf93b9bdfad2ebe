"""The app as a real server process for tests: granian in WSGI mode, as the Dockerfile
runs it, on a free loopback port."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings

GRANIAN = Path(sys.executable).with_name("granian")


def free_port() -> int:
    """A port nothing listens on: bound by the OS, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _live(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5):  # noqa: S310  # loopback http
            return True
    except urllib.error.HTTPError:
        return True  # it answers
    except OSError:
        return False


@contextmanager
def granian_server(
    env: dict[str, str], log: Path, *, workers: int = 2, threads: int = 1, timeout: float = 90
) -> Iterator[str]:
    """Yields the base URL once every worker answers /health/live; stops the server after."""
    if not GRANIAN.exists():
        reason = "needs granian (pip install -r requirements/dev.txt)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    port = free_port()
    command = [
        str(GRANIAN), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers), "--blocking-threads", str(threads), "lms.wsgi:application",
    ]  # fmt: skip
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while not _live(f"{base}/health/live"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start: {log.read_text()[-3000:]}")
            time.sleep(0.3)
        for _ in range(5 * workers):  # every worker loads the URLconf before a test times it
            _live(f"{base}/health/live")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
