"""Builders for the assignments tests: assignments go through the service (so each gets
its gradebook item), submissions and grades through theirs."""

from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from assignments.models import Assignment
from assignments.services import assignment_create
from courses.models import Course

# The cast's roles that make_course(people, enroll=LEARNERS) seats in the course.
LEARNERS = ("student", "other_student")

PDF_BYTES = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< >>\n%%EOF\n"
PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02" + b"\x00" * 40
)
# The start of a Windows PE executable: "MZ", the DOS stub, and the PE header offset.
EXE_BYTES = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 44
    + (b"\x80\x00\x00\x00" + b"\x00" * 64 + b"PE\x00\x00L\x01" + b"\x00" * 200)
)


def make_assignment(course: Course, *, by: Any = None, **fields: Any) -> Assignment:
    fields.setdefault("title", "Essay")
    fields.setdefault("points_possible", Decimal("100"))
    fields.setdefault("is_published", True)
    return assignment_create(course=course, by=by, **fields)


def file_assignment(course: Course, **fields: Any) -> Assignment:
    fields.setdefault("allow_files", True)
    fields.setdefault("allowed_extensions", ["pdf", "png", "txt"])
    return make_assignment(course, **fields)


def pdf(name: str = "essay.pdf", content: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


RUBRIC = [
    {
        "id": "argument",
        "title": "Argument",
        "levels": [
            {"id": "weak", "title": "Weak", "points": "10"},
            {"id": "strong", "title": "Strong", "points": "60"},
        ],
    },
    {
        "id": "style",
        "title": "Style",
        "levels": [
            {"id": "poor", "title": "Poor", "points": "5"},
            {"id": "good", "title": "Good", "points": "40"},
        ],
    },
]
