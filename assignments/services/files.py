"""Submission and feedback files: validation, private storage and signed downloads.

- Storage: Azure Blob (django-storages) when AZURE_CONNECTION_STRING is set, in the
  AZURE_SUBMISSIONS_CONTAINER container; else the local directory ASSIGNMENTS_FILES_ROOT,
  which is outside MEDIA_ROOT and the static files, so no web server ever serves it.
- Validation: the size as the body streams in (see LimitedUploadHandler), the extension
  against the assignment's allow-list, and the content against that extension by magic
  bytes (`filetype`); text formats must decode as UTF-8 without NUL bytes. A renamed
  executable is refused whatever its name says.
- Keys are random (`submissions/<assignment>/<32 hex>.<ext>`); the client's file name is
  only kept, sanitised, for display and the download's Content-Disposition.
- Downloads: a short-lived signed URL: Azure SAS, or a Django-signed token for local disk.
"""

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Any, cast

import filetype
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage, Storage
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.urls import reverse

SNIFF_BYTES = 8192
SIGNING_SALT = "assignments.file-download"

# Extension -> the `filetype` extensions its content may be detected as; None: a text
# format (no signature; must be UTF-8 text).
KNOWN_EXTENSIONS: dict[str, frozenset[str] | None] = {
    "pdf": frozenset({"pdf"}),
    "png": frozenset({"png"}),
    "jpg": frozenset({"jpg"}),
    "jpeg": frozenset({"jpg"}),
    "gif": frozenset({"gif"}),
    "webp": frozenset({"webp"}),
    "zip": frozenset({"zip"}),
    # OOXML files are zip archives; filetype names them when it sees their parts early.
    "docx": frozenset({"docx", "zip"}),
    "xlsx": frozenset({"xlsx", "zip"}),
    "pptx": frozenset({"pptx", "zip"}),
    "odt": frozenset({"odt", "zip"}),
    "mp3": frozenset({"mp3"}),
    "mp4": frozenset({"mp4"}),
    "txt": None,
    "md": None,
    "csv": None,
    "py": None,
    "java": None,
    "c": None,
    "cpp": None,
    "js": None,
    "html": None,
    "json": None,
}
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "zip": "application/zip",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "mp3": "audio/mpeg",
    "mp4": "video/mp4",
}
# Staff feedback files: a fixed allow-list.
FEEDBACK_EXTENSIONS = ("pdf", "png", "jpg", "jpeg", "txt", "md", "docx", "zip")


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    extension: str
    size: int
    content_type: str


def submission_storage() -> Storage:
    """Read from settings on each call, so tests (and ops) can switch backends."""
    if settings.AZURE_CONNECTION_STRING:
        from storages.backends.azure_storage import AzureStorage

        return cast(
            Storage,
            AzureStorage(
                connection_string=settings.AZURE_CONNECTION_STRING,
                azure_container=settings.AZURE_SUBMISSIONS_CONTAINER,
                expiration_secs=settings.ASSIGNMENTS_DOWNLOAD_URL_TTL,
                overwrite_files=False,
            ),
        )
    # Its url() is never used: local files leave only through signed tokens (below).
    return FileSystemStorage(location=settings.ASSIGNMENTS_FILES_ROOT)


def sanitize_filename(name: str) -> str:
    """A display name: the last path component, printable, no separators, <= 100 chars."""
    name = unicodedata.normalize("NFKC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if ch.isprintable())
    name = re.sub(r"[^\w.\- ()]+", "_", name).strip(" .")
    if len(name) > 100:
        stem, dot, ext = name.rpartition(".")
        name = f"{stem[: 90 - len(ext)]}.{ext}" if dot and len(ext) <= 10 else name[:100]
    return name or "file"


def extension_of(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def validate_extensions(extensions: list[str]) -> list[str]:
    cleaned = sorted({str(ext).lower().lstrip(".") for ext in extensions})
    unknown = [ext for ext in cleaned if ext not in KNOWN_EXTENSIONS]
    if unknown:
        raise ValidationError(
            {
                "allowed_extensions": ValidationError(
                    f"Unsupported file types: {', '.join(unknown)}. Supported: "
                    f"{', '.join(sorted(KNOWN_EXTENSIONS))}.",
                    code="unsupported_extension",
                )
            }
        )
    return cleaned


def _head(upload: UploadedFile) -> bytes:
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    return head


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut by the sniff window is fine; anything else is not.
        return error.start >= len(head) - 3 and len(head) == SNIFF_BYTES
    return True


def check_file(
    *, upload: UploadedFile, allowed: list[str] | tuple[str, ...], max_size: int
) -> CheckedFile:
    """Raises ValidationError (file_too_large, extension_not_allowed, content_mismatch)."""
    filename = sanitize_filename(upload.name or "")
    size = upload.size or 0
    if size > min(max_size, settings.ASSIGNMENTS_MAX_FILE_SIZE):
        raise ValidationError(f"{filename} is larger than allowed.", code="file_too_large")
    ext = extension_of(filename)
    if ext not in allowed or ext not in KNOWN_EXTENSIONS:
        raise ValidationError(
            f"{filename}: .{ext or '?'} files are not accepted here.",
            code="extension_not_allowed",
        )
    head = _head(upload)
    detected = filetype.guess(head)
    expected = KNOWN_EXTENSIONS[ext]
    if expected is None:
        ok = detected is None and _looks_like_text(head)
    else:
        ok = detected is not None and detected.extension in expected
    if not ok:
        raise ValidationError(
            f"{filename}: the content is not a .{ext} file.", code="content_mismatch"
        )
    return CheckedFile(
        filename=filename,
        extension=ext,
        size=size,
        content_type=CONTENT_TYPES.get(ext, "text/plain; charset=utf-8"),
    )


def store_file(*, upload: UploadedFile, prefix: str, extension: str) -> tuple[str, str]:
    """Saves under a random key; returns (key, sha256)."""
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    key = f"{prefix}/{secrets.token_hex(16)}.{extension}"
    saved = submission_storage().save(key, upload)
    return saved, digest.hexdigest()


def delete_files(keys: list[str]) -> None:
    storage = submission_storage()
    for key in keys:
        storage.delete(key)


def download_url(*, key: str, filename: str, content_type: str) -> str:
    """A short-lived URL for one file. The caller has checked the permission."""
    ttl = settings.ASSIGNMENTS_DOWNLOAD_URL_TTL
    disposition = f'attachment; filename="{filename}"'
    storage = submission_storage()
    if settings.AZURE_CONNECTION_STRING:
        return cast(
            str,
            cast(Any, storage).url(
                key,
                expire=ttl,
                parameters={"content_disposition": disposition, "content_type": content_type},
            ),
        )
    token = signing.dumps({"k": key, "n": filename, "t": content_type}, salt=SIGNING_SALT)
    return reverse("assignments:file_download", kwargs={"token": token})


def unsign_download(token: str) -> dict[str, Any] | None:
    """The file a local signed URL names, or None when forged or expired."""
    try:
        data = signing.loads(
            token, salt=SIGNING_SALT, max_age=settings.ASSIGNMENTS_DOWNLOAD_URL_TTL
        )
    except signing.BadSignature:  # SignatureExpired is a subclass
        return None
    return data if isinstance(data, dict) else None


class LimitedUploadHandler(FileUploadHandler):
    """Stops the multipart parser as soon as one file passes `max_size` bytes, so an
    oversized file is never read to its end (the Content-Length check catches the rest)."""

    def __init__(self, request: Any = None, *, max_size: int) -> None:
        super().__init__(request)
        self.max_size = max_size
        self.received = 0
        self.exceeded = False

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        self.received = 0
        super().new_file(*args, **kwargs)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.max_size:
            self.exceeded = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
