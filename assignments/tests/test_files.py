"""Submission files on local disk and on Azure Blob (Azurite): stored under a random key,
downloadable only through a signed URL that expires, hidden from other learners; renamed
executables, oversized bodies and path tricks refused or made harmless."""

import io
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from assignments.models import Submission, SubmissionFile
from assignments.services.files import submission_storage
from assignments.tests.factories import EXE_BYTES, PDF_BYTES, PNG_BYTES, file_assignment, pdf
from lms.testing import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture(
    params=["local", pytest.param("azure", marks=[pytest.mark.azurite, pytest.mark.postgres])]
)
def backend(request, settings):
    if request.param == "azure":
        request.getfixturevalue("azure_storage")
    return request.param


def submit(client, assignment, *files, text=""):
    return client.post(
        f"/api/v1/assignments/{assignment.pk}/submissions/",
        {"files": list(files), "text": text},
        format="multipart",
    )


def fetch(url: str, client=None) -> tuple[int, bytes]:
    """A signed URL: Django's own (local) through the test client, Azure's over HTTP."""
    if url.startswith("/"):
        response = (client or client_for(None)).get(url)
        body = b"".join(response.streaming_content) if response.status_code == 200 else b""
        return response.status_code, body
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def stored_keys() -> list[str]:
    storage = submission_storage()
    keys: list[str] = []

    def walk(path: str) -> None:
        try:
            dirs, files = storage.listdir(path)
        except FileNotFoundError:
            return
        keys.extend(f"{path}/{f}".lstrip("/") for f in files)
        for d in dirs:
            walk(f"{path}/{d}".lstrip("/"))

    walk("")
    return keys


def test_upload_is_stored_privately_and_downloads_through_an_expiring_signed_url(
    backend, people, course, settings
):
    assignment = file_assignment(course)
    response = submit(client_for(people.student), assignment, pdf("my essay.pdf"))
    assert response.status_code == 201, response.content
    body = response.json()["data"]
    row = SubmissionFile.objects.get(submission_id=body["id"])
    assert row.filename == "my essay.pdf"
    assert row.key.startswith(f"submissions/{assignment.pk}/") and row.key.endswith(".pdf")
    assert "essay" not in row.key  # a random key, never the client's name
    assert stored_keys() == [row.key]

    download = body["files"][0]["download"]
    for role in ("student", "owner", "ta", "admin"):
        redirect = client_for(getattr(people, role)).get(download)
        assert redirect.status_code == 302, role
        assert redirect["Cache-Control"] == "private, no-store"
    url = client_for(people.student).get(download)["Location"]
    status, content = fetch(url)
    assert (status, content) == (200, PDF_BYTES)
    if backend == "azure":
        assert "sig=" in url and "se=" in url
        unsigned = url.split("?", 1)[0]
        assert fetch(unsigned)[0] in (403, 404)  # the container is private
    else:
        assert url.startswith("/assignments/files/")
        assert not str(settings.ASSIGNMENTS_FILES_ROOT).startswith(str(settings.MEDIA_ROOT))
        assert fetch(url[:-3] + "xx/")[0] == 404  # a forged token

    # Short-lived: a URL issued with a 1-second lifetime is dead 3 seconds later.
    settings.ASSIGNMENTS_DOWNLOAD_URL_TTL = 1
    short = client_for(people.student).get(download)["Location"]
    time.sleep(3)
    assert fetch(short)[0] in (403, 404)


@pytest.mark.parametrize("role", ["other_student", "outsider", "other_instructor"])
def test_other_learners_and_outsiders_get_404_and_no_url(backend, people, course, role):
    assignment = file_assignment(course)
    body = submit(client_for(people.student), assignment, pdf()).json()["data"]
    client = client_for(people.user(role))
    assert client.get(f"/api/v1/submissions/{body['id']}/").status_code == 404
    response = client.get(body["files"][0]["download"])
    assert response.status_code == 404
    assert "Location" not in response
    assert client_for(None).get(body["files"][0]["download"]).status_code == 401


def test_pe_executable_renamed_to_pdf_is_refused(backend, people, course):
    assignment = file_assignment(course)
    response = submit(
        client_for(people.student),
        assignment,
        SimpleUploadedFile("homework.pdf", EXE_BYTES, content_type="application/pdf"),
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["code"] == "content_mismatch"
    assert not Submission.objects.exists()
    assert stored_keys() == []


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("picture.pdf", PNG_BYTES, "content_mismatch"),  # a real PNG named .pdf
        ("notes.txt", EXE_BYTES, "content_mismatch"),  # binary named .txt
        ("tool.exe", EXE_BYTES, "extension_not_allowed"),
        ("archive.zip", b"PK\x03\x04" + b"\x00" * 60, "extension_not_allowed"),
    ],
)
def test_content_must_match_an_allowed_extension(people, course, name, content, code):
    assignment = file_assignment(course)
    response = submit(client_for(people.student), assignment, SimpleUploadedFile(name, content))
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == code


def test_allowed_text_and_png_are_accepted(people, course):
    assignment = file_assignment(course, max_files=2)
    response = submit(
        client_for(people.student),
        assignment,
        SimpleUploadedFile("notes.txt", "Grüße, plain text\n".encode()),
        SimpleUploadedFile("figure.png", PNG_BYTES),
    )
    assert response.status_code == 201, response.content
    types = sorted(f["content_type"] for f in response.json()["data"]["files"])
    assert types == ["image/png", "text/plain; charset=utf-8"]


class CountingStream:
    """A request body that counts what the server reads (a claimed length of zeros)."""

    def __init__(self, prefix: bytes, total: int) -> None:
        self.prefix = io.BytesIO(prefix)
        self.left = total
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self.left
        size = min(size, self.left)
        chunk = self.prefix.read(size)
        chunk += b"\x00" * (size - len(chunk))
        self.left -= len(chunk)
        self.read_bytes += len(chunk)
        return chunk

    def readline(self, size: int = -1) -> bytes:
        return self.read(size if size and size > 0 else 1024)


def test_body_over_the_limit_is_refused_before_it_is_read(backend, people, course):
    assignment = file_assignment(course, max_file_size=1024 * 1024)
    claimed = 200 * 1024 * 1024
    stream = CountingStream(b"", claimed)
    response = client_for(people.student).generic(
        "POST",
        f"/api/v1/assignments/{assignment.pk}/submissions/",
        b"x",
        content_type=MULTIPART_CONTENT,
        **{"wsgi.input": stream, "CONTENT_LENGTH": str(claimed)},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert stream.read_bytes == 0
    assert not Submission.objects.exists()


def test_file_over_its_limit_stops_the_upload_midway(backend, people, course):
    assignment = file_assignment(course, max_file_size=64 * 1024)
    big = PDF_BYTES + b"0" * (900 * 1024)
    body = encode_multipart(BOUNDARY, {"files": [SimpleUploadedFile("big.pdf", big)]})
    stream = CountingStream(body, len(body))
    response = client_for(people.student).generic(
        "POST",
        f"/api/v1/assignments/{assignment.pk}/submissions/",
        b"x",
        content_type=MULTIPART_CONTENT,
        **{"wsgi.input": stream, "CONTENT_LENGTH": str(len(body))},
    )
    assert response.status_code == 413
    assert stream.read_bytes < len(body) / 2  # stopped early, not drained
    assert not Submission.objects.exists()
    assert stored_keys() == []


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("../../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\system32\\evil.pdf", "evil.pdf"),
        ("/abs/path/x.pdf", "x.pdf"),
        ("semi;colon <b>.pdf", "semi_colon _b_.pdf"),
        ("\u202egpj.pdf", "gpj.pdf"),
    ],
)
def test_path_traversal_names_are_harmless(backend, people, course, settings, name, shown):
    assignment = file_assignment(course)
    response = submit(client_for(people.student), assignment, pdf(name))
    assert response.status_code == 201, response.content
    row = SubmissionFile.objects.get()
    assert row.filename == shown
    assert ".." not in row.key and "\\" not in row.key
    assert stored_keys() == [row.key]
    if backend == "local":
        root = Path(settings.ASSIGNMENTS_FILES_ROOT)
        written = [p for p in root.parent.rglob("*") if p.is_file()]
        assert [p.resolve() for p in written] == [(root / row.key).resolve()]


def test_feedback_file_body_over_the_cap_is_refused_before_it_is_read(people, course, settings):
    assignment = file_assignment(course)
    body = submit(client_for(people.student), assignment, pdf()).json()["data"]
    claimed = settings.ASSIGNMENTS_MAX_FILE_SIZE + 2 * 1024 * 1024
    stream = CountingStream(b"", claimed)
    response = client_for(people.owner).generic(
        "POST",
        f"/api/v1/submissions/{body['id']}/grade/",
        b"x",
        content_type=MULTIPART_CONTENT,
        **{"wsgi.input": stream, "CONTENT_LENGTH": str(claimed)},
    )
    assert response.status_code == 413
    assert stream.read_bytes == 0
