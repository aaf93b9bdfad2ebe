"""Fixtures of the assignments tests: a published course with its team (owner,
co-instructor, TA), two enrolled students, an outsider, another instructor and an admin;
submission files on a private local directory per test; Azurite for the Azure tests."""

import logging
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from accounts.models import User
from accounts.tests.auth_helpers import client_for
from accounts.tests.factories import AdminFactory, InstructorFactory, UserFactory
from courses.models import Course, CourseStaff
from courses.tests.factories import CourseFactory, LessonFactory, ModuleFactory
from enrollments.services import enrollment_create

IN_CI = os.environ.get("CI", "").lower() == "true"
ROLES = (
    "anonymous",
    "student",
    "other_student",
    "outsider",
    "instructor",
    "ta",
    "other_instructor",
    "admin",
)
__all__ = ["ROLES", "client_for"]


@dataclass
class People:
    owner: User
    instructor: User
    ta: User
    other_instructor: User
    student: User
    other_student: User
    outsider: User
    admin: User

    def user(self, role: str) -> User | None:
        return None if role == "anonymous" else getattr(self, role)


@pytest.fixture
def people(db: Any) -> People:
    return People(
        owner=InstructorFactory(),
        instructor=InstructorFactory(),
        ta=UserFactory(),
        other_instructor=InstructorFactory(),
        student=UserFactory(),
        other_student=UserFactory(),
        outsider=UserFactory(),
        admin=AdminFactory(),
    )


def make_course(people: People | None = None, *, lessons: int = 2, **kwargs: Any) -> Course:
    kwargs.setdefault("published", True)
    course = CourseFactory(**kwargs)
    if people is not None:
        CourseStaff.objects.create(course=course, user=people.owner, role="owner")
        CourseStaff.objects.create(course=course, user=people.instructor, role="instructor")
        CourseStaff.objects.create(course=course, user=people.ta, role="ta")
        enrollment_create(user=people.student, course=course)
        enrollment_create(user=people.other_student, course=course)
    module = ModuleFactory(course=course)
    for _ in range(lessons):
        LessonFactory(module=module)
    return course


@pytest.fixture
def course(people: People) -> Course:
    return make_course(people)


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
