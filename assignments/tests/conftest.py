"""Fixtures of the assignments tests: the shared cast (lms.testing) as `people`, a
published course with its team (owner, instructor, TA) and two enrolled students;
submission files on a private local directory per test; Azurite for the Azure tests."""

import logging
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from assignments.tests.factories import LEARNERS
from courses.models import Course
from lms.testing import Cast, make_course

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture
def people(cast: Cast) -> Cast:
    """The shared cast, under the name these tests have always used."""
    return cast


@pytest.fixture
def course(people: Cast) -> Course:
    return make_course(people, enroll=LEARNERS)


@pytest.fixture(autouse=True)
def _private_files(settings: Any, tmp_path: Path) -> None:
    """Local storage in a per-test directory; Azure off unless a test turns it on."""
    settings.ASSIGNMENTS_FILES_ROOT = tmp_path / "private"
    settings.AZURE_CONNECTION_STRING = ""


# --- Azurite ---------------------------------------------------------------------------------

AZURITE_VERSION = "3.35.0"
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
REPO = Path(django_settings.BASE_DIR)
TOOLS = REPO / ".tools"


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"Azurite: {reason} (CI=true: required)")
    pytest.skip(f"Azurite: {reason}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def azurite() -> Iterator[str]:
    """Azurite's blob service on a free loopback port (in-memory); yields the connection
    string. Installed into .tools/ with npm on first use."""
    binary = TOOLS / "node_modules" / ".bin" / "azurite-blob"
    if not binary.exists():
        npm = shutil.which("npm")
        if npm is None:
            _unavailable("npm is not installed")
        done = subprocess.run(
            [str(npm), "install", "--prefix", str(TOOLS), f"azurite@{AZURITE_VERSION}"],
            capture_output=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0 or not binary.exists():
            _unavailable(f"npm install failed: {done.stderr.decode()[-500:]}")
    port = _free_port()
    process = subprocess.Popen(
        [
            str(binary),
            "--blobHost", "127.0.0.1",
            "--blobPort", str(port),
            "--inMemoryPersistence",
            "--disableTelemetry",
            "--skipApiVersionCheck",
            "--silent",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    _unavailable("did not start")
                time.sleep(0.2)
        connection_string = (
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
            f"AccountKey={AZURITE_KEY};"
            f"BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;"
        )
        logging.getLogger("azure").setLevel(logging.WARNING)  # per-request INFO lines
        yield connection_string
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def azure_storage(azurite: str, settings: Any) -> str:
    """Azure storage on, in a new private container per test."""
    from azure.storage.blob import BlobServiceClient

    container = f"t{uuid.uuid4().hex[:16]}"
    BlobServiceClient.from_connection_string(azurite).create_container(container)
    settings.AZURE_CONNECTION_STRING = azurite
    settings.AZURE_SUBMISSIONS_CONTAINER = container
    return azurite
