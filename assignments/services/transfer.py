"""Gradebook CSV: export of the whole grid, import of one item's grades.

Import reads `email,points[,excused]`. Every row is checked first and reported
(`ok`, `unchanged`, `error`); a dry run stops there and writes nothing. A real run
writes only when no row has an error, all in one transaction; otherwise it is refused
(`import_errors`, with the report).
"""

import csv
import io
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction

from assignments.models import GradeItem, Score
from assignments.selectors import gradebook_items, gradebook_learners, gradebook_rows
from assignments.services.gradebook import points_clean, score_write
from lms.errors import ServiceError

if TYPE_CHECKING:
    from courses.models import Course
    from enrollments.models import Enrollment

MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_ROWS = 10_000
TRUE_WORDS = {"1", "true", "yes", "y", "x"}


@dataclass
class ImportRow:
    row: int
    email: str
    status: str  # ok | unchanged | error
    old: str | None = None
    new: str | None = None
    excused: bool | None = None
    message: str = ""


@dataclass
class ImportReport:
    item: int
    dry_run: bool
    applied: bool = False
    rows: list[ImportRow] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(1 for row in self.rows if row.status == "error")

    def as_dict(self) -> dict[str, Any]:
        counts = {s: sum(1 for r in self.rows if r.status == s) for s in ("ok", "unchanged")}
        return {
            "item": self.item,
            "dry_run": self.dry_run,
            "applied": self.applied,
            "counts": {**counts, "error": self.errors},
            "rows": [asdict(row) for row in self.rows],
        }


def seated_learners(course: "Course") -> dict[str, Any]:
    """{lowercased email: user} of learners holding a seat."""
    return {e.user.email.lower(): e.user for e in gradebook_learners(course=course)}


def _read(content: bytes) -> list[dict[str, str]]:
    if len(content) > MAX_IMPORT_BYTES:
        raise ValidationError({"file": ValidationError("At most 2 MB.", code="too_large")})
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError({"file": ValidationError("Not UTF-8 text.", "invalid")}) from None
    reader = csv.DictReader(io.StringIO(text))
    headers = {(h or "").strip().lower() for h in reader.fieldnames or []}
    if not {"email", "points"} <= headers:
        raise ValidationError(
            {"file": ValidationError("The header needs email and points.", "bad_header")}
        )
    rows = []
    for index, raw in enumerate(reader):
        if index >= MAX_IMPORT_ROWS:
            raise ValidationError({"file": ValidationError("Too many rows.", "too_many_rows")})
        rows.append({(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()})
    return rows


def grades_import(
    *, item: GradeItem, content: bytes, by: Any, dry_run: bool = True
) -> ImportReport:
    """Checks every row; writes them (not a dry run) only when none has an error, else
    raises `import_errors` with the report."""
    if item.source == GradeItem.Source.QUIZ:
        raise ValidationError(
            {"item": ValidationError("Quiz scores come from the quiz.", "not_importable")}
        )
    rows = _read(content)
    learners = seated_learners(item.course)
    existing = {s.user_id: s for s in Score.objects.filter(item=item)}
    report = ImportReport(item=item.pk, dry_run=dry_run)
    seen: set[str] = set()
    planned: list[tuple[Any, dict[str, Any]]] = []
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        email = row.get("email", "").lower()
        line = ImportRow(row=number, email=email, status="ok")
        report.rows.append(line)
        user = learners.get(email)
        if user is None:
            line.status, line.message = "error", "Not a learner of this course."
            continue
        if email in seen:
            line.status, line.message = "error", "Duplicate email."
            continue
        seen.add(email)
        fields: dict[str, Any] = {}
        try:
            if row.get("points", "") != "":
                points = points_clean(row["points"], "points")
                if points > item.points_possible:
                    raise ValidationError(f"At most {item.points_possible}.")
                fields["points"] = points
            if row.get("excused", "") != "":
                fields["excused"] = row["excused"].lower() in TRUE_WORDS
        except ValidationError as error:
            line.status, line.message = "error", "; ".join(error.messages)
            continue
        score = existing.get(user.pk)
        old_points = score.points if score else None
        line.old = None if old_points is None else str(old_points)
        line.new = str(fields.get("points", old_points)) if "points" in fields else line.old
        line.excused = fields.get("excused")
        if not fields or all(getattr(score, name, None) == value for name, value in fields.items()):
            line.status = "unchanged"
            continue
        planned.append((user, fields))
    if dry_run:
        return report
    if report.errors:
        raise ServiceError(
            "import_errors", "Some rows have errors; nothing was written.", report=report.as_dict()
        )
    with transaction.atomic():
        for user, fields in sorted(planned, key=lambda p: p[0].pk):
            if "points" in fields:
                fields["draft_points"] = None
            score_write(
                item=item,
                user_id=user.pk,
                by=by,
                action="assignments.score_imported",
                reason="CSV import",
                **fields,
            )
    report.applied = True
    return report


def _cell(value: Any) -> str:
    """Text a spreadsheet would run as a formula gets a leading quote (CSV injection)."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def gradebook_csv_rows(*, course: "Course") -> Any:
    """Header, then one row per seated learner: points per item, percent, letter."""
    items = list(gradebook_items(course=course))
    yield [
        "email",
        "name",
        *[_cell(f"{item.title} ({item.points_possible})") for item in items],
        "percent",
        "letter",
    ]
    learners = gradebook_learners(course=course).order_by("id")
    chunk: list[Enrollment] = []
    for enrollment in learners.iterator(chunk_size=500):
        chunk.append(enrollment)
        if len(chunk) == 500:
            yield from _csv_chunk(course, chunk, items)
            chunk = []
    if chunk:
        yield from _csv_chunk(course, chunk, items)


def _csv_chunk(course: "Course", chunk: list["Enrollment"], items: list[GradeItem]) -> Any:
    for row in gradebook_rows(course=course, enrollments=chunk, items=items, staff=True):
        cells = []
        for item in items:
            cell = row["scores"].get(item.pk) or {}
            cells.append("EX" if cell.get("excused") else _cell(cell.get("effective")))
        yield [
            _cell(row["user"]["email"]),
            _cell(row["user"]["name"]),
            *cells,
            "" if row["percent"] is None else row["percent"],
            row["letter"],
        ]
