"""Handing work in: checks, files, versions, lateness, completion of the linked lesson.

Files are validated and stored before the database transaction (a slow upload must not
hold row locks); if the transaction then fails, the stored files are deleted again, so
nothing is half-written either way. One learner's hand-ins in a course are serialised by
a row lock (their stored course grade row, the gradebook's per-learner lock), so the
resubmission limit and the version numbers hold under concurrent submits.
"""

from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from assignments.models import Assignment, Submission, SubmissionFile
from assignments.services import files as file_services
from assignments.services.deadlines import (
    Deadline,
    LateStatus,
    deadline_for,
    late_status,
    shift_days_for,
)
from assignments.services.gradebook import lock_course_grade
from courses.markdown import render_markdown
from enrollments.permissions import seated_enrollment
from enrollments.services import lesson_complete
from lms.concurrency import race_point
from lms.errors import ServiceError

MAX_TEXT = 100_000


def _url_clean(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 1000:
        raise ValidationError({"url": ValidationError("An http(s) URL.", code="invalid_url")})
    return url


def submission_check_open(*, assignment: Assignment, user: Any, at: Any = None) -> None:
    """Raises ServiceError when the learner may not hand in now."""
    _open_deadline(assignment=assignment, user=user, at=at or timezone.now())


def _open_deadline(*, assignment: Assignment, user: Any, at: Any) -> tuple[Deadline, LateStatus]:
    """The learner's deadline and lateness at `at`; ServiceError when closed."""
    if not assignment.is_published:
        raise ServiceError("not_published", "This assignment is not open.")
    if seated_enrollment(user, assignment.course) is None:
        raise ServiceError("not_enrolled", "Enroll in the course first.")
    if assignment.available_from and at < assignment.available_from:
        raise ServiceError(
            "assignment_not_open",
            "This assignment is not open yet.",
            opens_at=assignment.available_from,
        )
    deadline = deadline_for(
        assignment=assignment, shift_days=shift_days_for(assignment=assignment, user=user)
    )
    if deadline.until and at > deadline.until:
        raise ServiceError("assignment_closed", "This assignment is closed.")
    late = late_status(assignment=assignment, due_at=deadline.due_at, at=at)
    if late.refused:
        raise ServiceError("late_refused", "The due date has passed; late work is refused.")
    return deadline, late


def submission_create(
    *,
    assignment: Assignment,
    user: Any,
    text: str = "",
    url: str = "",
    files: list[UploadedFile] | None = None,
    at: Any = None,
) -> Submission:
    """A new version of the learner's work (ValidationError for the fields; ServiceError
    when the assignment does not take it now)."""
    at = at or timezone.now()
    files = list(files or [])
    deadline, late = _open_deadline(assignment=assignment, user=user, at=at)
    text = (text or "").strip()
    url = (url or "").strip()
    errors: dict[str, list[ValidationError]] = {}
    if text and not assignment.allow_text:
        errors["text"] = [ValidationError("Text is not accepted.", code="not_accepted")]
    if len(text) > MAX_TEXT:
        errors["text"] = [ValidationError("Too long.", code="too_long")]
    if url and not assignment.allow_url:
        errors["url"] = [ValidationError("Links are not accepted.", code="not_accepted")]
    if files and not assignment.allow_files:
        errors["files"] = [ValidationError("Files are not accepted.", code="not_accepted")]
    if len(files) > assignment.max_files:
        errors["files"] = [ValidationError("Too many files.", code="too_many_files")]
    if not (text or url or files):
        errors["non_field_errors"] = [ValidationError("Nothing to submit.", code="empty")]
    if url and "url" not in errors:
        try:
            url = _url_clean(url)
        except ValidationError as error:
            errors.update(error.error_dict)
    checked = []
    if not errors:
        for index, upload in enumerate(files):
            try:
                checked.append(
                    file_services.check_file(
                        upload=upload,
                        allowed=assignment.allowed_extensions,
                        max_size=assignment.max_file_size,
                    )
                )
            except ValidationError as error:
                errors.setdefault(f"files.{index}", []).extend(error.error_list)
    if errors:
        raise ValidationError(errors)

    stored: list[str] = []
    try:
        rows = []
        for upload, check in zip(files, checked, strict=True):
            key, digest = file_services.store_file(
                upload=upload, prefix=f"submissions/{assignment.pk}", extension=check.extension
            )
            stored.append(key)
            rows.append((key, digest, check))
        return _submission_write(assignment, user, text, url, rows, at, deadline, late)
    except BaseException:
        file_services.delete_files(stored)
        raise


@transaction.atomic
def _submission_write(
    assignment: Assignment,
    user: Any,
    text: str,
    url: str,
    rows: list[Any],
    at: Any,
    deadline: Deadline,
    late: LateStatus,
) -> Submission:
    # The learner's lock first: the count of versions and the insert of the next one are
    # then one step for this learner, so the resubmission limit cannot be overrun.
    lock_course_grade(course_id=assignment.course_id, user_id=user.pk)
    latest = (
        Submission.objects.filter(assignment=assignment, user_id=user.pk).aggregate(
            v=Max("version")
        )["v"]
        or 0
    )
    if latest > assignment.max_resubmissions:
        raise ServiceError(
            "no_resubmissions", "You cannot submit this assignment again.", versions=latest
        )
    race_point("assignments.submission_version_read")
    try:
        submission = Submission.objects.create(
            assignment=assignment,
            user_id=user.pk,
            version=latest + 1,
            text=text,
            text_html=render_markdown(text) if text else "",
            url=url,
            submitted_at=at,
            effective_due_at=deadline.due_at,
            is_late=late.is_late,
            days_late=late.days_late,
            penalty_percent=late.penalty_percent,
        )
    except IntegrityError:
        # The unique version constraint, should a writer ever skip the lock. Raised at
        # once: the whole transaction rolls back, no query follows the error.
        raise ServiceError(
            "submission_conflict", "Another submission was saved at the same time; try again."
        ) from None
    SubmissionFile.objects.bulk_create(
        [
            SubmissionFile(
                submission=submission,
                key=key,
                filename=check.filename,
                size=check.size,
                content_type=check.content_type,
                sha256=digest,
            )
            for key, digest, check in rows
        ]
    )
    if assignment.lesson_id and assignment.complete_on == Assignment.CompleteOn.SUBMIT:
        complete_linked_lesson(assignment=assignment, user=user)
    return submission


def complete_linked_lesson(*, assignment: Assignment, user: Any) -> None:
    enrollment = seated_enrollment(user, assignment.course)
    if enrollment is not None and assignment.lesson is not None:
        lesson_complete(enrollment=enrollment, lesson=assignment.lesson)
