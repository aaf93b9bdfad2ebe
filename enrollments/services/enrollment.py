"""Joining and leaving courses: the join rule, seats, the FIFO waitlist, staff and bulk adds.

Every write that can change who holds a seat locks the course row first
(`SELECT ... FOR UPDATE`), so seat counting and promotion run one at a time per course and
capacity holds under concurrency. Lock order is always course, then enrollment.
"""

import csv
import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from accounts.selectors import user_active_by_email
from courses.selectors import CourseStatus, course_lock_for_update
from courses.services import course_enrollment_count_change
from enrollments.models import Enrollment
from enrollments.services.progress import rollup_refresh
from lms.audit.services import audit_log_record
from lms.concurrency import race_point
from lms.errors import ServiceError
from lms.outbox.services import outbox_publish

if TYPE_CHECKING:
    from accounts.models import User
    from courses.models import Course

BULK_MAX_ROWS = 5000
BULK_MAX_BYTES = 1_000_000
STAFF_SOURCES = (Enrollment.Source.STAFF, Enrollment.Source.BULK)
# Seats that are always granted: staff mean it, and a paid learner has already paid (the
# checkout checked the window and the seats with enrollment_join_check before taking money).
GRANTED_SOURCES = (*STAFF_SOURCES, Enrollment.Source.PAID)
# Between the seat check and the write that takes the seat (lms.concurrency).
SEAT_CHECKED = "enrollment.seat_checked"


def _seats_taken(course_id: int) -> int:
    return Enrollment.objects.filter(course_id=course_id, status__in=Enrollment.SEATED).count()


def _has_free_seat(course: "Course") -> bool:
    return course.capacity is None or _seats_taken(course.pk) < course.capacity


def _check_course_state(course: "Course") -> None:
    if course.status == CourseStatus.ARCHIVED:
        raise ServiceError("course_archived", "This course is archived.")
    if course.status != CourseStatus.PUBLISHED:
        raise ServiceError("course_not_published", "This course is not open yet.")


def _check_course_terms(course: "Course", *, source: str) -> None:
    """The course's state, its enrollment window and its price, for `source`."""
    _check_course_state(course)
    if source in STAFF_SOURCES:
        return  # staff grant seats outside the window and without payment
    now = timezone.now()
    if (course.enrollment_opens_at and now < course.enrollment_opens_at) or (
        course.enrollment_closes_at and now > course.enrollment_closes_at
    ):
        raise ServiceError("enrollment_closed", "Enrollment for this course is closed.")
    if source != Enrollment.Source.PAID and not course.is_free:
        raise ServiceError(
            "payment_required",
            "This course is paid: check out first.",
            checkout=f"/api/v1/courses/{course.slug}/checkout/",
            price_amount=course.price_amount,
            currency=course.currency,
        )


def _check_existing(existing: Enrollment | None, *, source: str) -> None:
    """The learner's own row: a seat (or, joining by themselves, a place in the queue) is
    already theirs; a revocation is undone by the staff only. A waitlisted learner who
    pays, or whom the staff add, is seated."""
    if existing is None:
        return
    waiting = existing.status == Enrollment.Status.WAITLISTED
    if existing.status in Enrollment.SEATED or (waiting and source not in GRANTED_SOURCES):
        raise ServiceError("already_enrolled", "Already enrolled in this course.")
    if existing.status == Enrollment.Status.REVOKED and source not in STAFF_SOURCES:
        raise ServiceError(
            "enrollment_revoked", "Your enrollment was revoked; ask the course staff."
        )


def enrollment_join_check(
    *, course: "Course", user: "User | None" = None, source: str = Enrollment.Source.SELF
) -> None:
    """The one rule for "may this user join this course by `source` now"; raises
    ServiceError with the reason, returns None when they may.

    - every source: `course_archived`, `course_not_published`;
    - staff and bulk grants: nothing else (outside the window, unpaid, full: a seat);
    - every other source: `enrollment_closed` outside the enrollment window;
    - all but paid (self, api): `payment_required` for a paid course (with `checkout`,
      `price_amount`, `currency`); a full course is not refused, the learner joins the
      waitlist;
    - paid, asked at checkout before any money is taken: `course_full` when every seat is
      taken (a paid learner always gets a seat once paid, so a full course is not sold);
    - with `user`: `already_enrolled` for a seat (or, for self, a place in the queue),
      `enrollment_revoked` after a revocation (staff grants excepted).

    Payments' checkout calls it with source="paid"; enrollment_create applies the same
    rule under the course row lock. Reads only; no lock is taken."""
    _check_course_terms(course, source=source)
    if user is not None:
        existing = Enrollment.objects.filter(course_id=course.pk, user_id=user.pk).first()
        _check_existing(existing, source=source)
    if source == Enrollment.Source.PAID and not _has_free_seat(course):
        raise ServiceError("course_full", "This course is full.")


def _publish(topic: str, enrollment: Enrollment) -> None:
    outbox_publish(
        topic=topic,
        payload={
            "enrollment_id": enrollment.pk,
            "user_id": enrollment.user_id,
            "course_id": enrollment.course_id,
            "status": enrollment.status,
        },
    )


def _seat(enrollment: Enrollment, *, now: Any) -> None:
    enrollment.status = Enrollment.Status.ACTIVE
    enrollment.waitlisted_at = None
    enrollment.enrolled_at = now
    enrollment.dropped_at = None
    enrollment.updated_at = now


def _join(*, course: "Course", user: "User", source: str) -> Enrollment:
    """The course row is locked. Creates or reactivates; active when a seat is free and
    nobody waits before us, else at the end of the waitlist."""
    now = timezone.now()
    existing = Enrollment.objects.select_for_update().filter(course=course, user=user).first()
    _check_existing(existing, source=source)
    enrollment = existing or Enrollment(course=course, user=user, created_at=now)
    enrollment.source = source
    staff_grant = source in GRANTED_SOURCES
    queue_empty = not Enrollment.objects.filter(
        course=course, status=Enrollment.Status.WAITLISTED
    ).exists()
    seated = staff_grant or (queue_empty and _has_free_seat(course))
    race_point(SEAT_CHECKED)
    if seated:
        _seat(enrollment, now=now)
    else:
        enrollment.status = Enrollment.Status.WAITLISTED
        enrollment.waitlisted_at = now
        enrollment.dropped_at = None
        enrollment.updated_at = now
    enrollment.save()
    if seated:
        course_enrollment_count_change(course_id=course.pk, delta=1)
        rollup_refresh(enrollment=enrollment)
    _publish("enrollments.enrolled", enrollment)
    _fill_seats(course)
    return enrollment


def _fill_seats(course: "Course") -> list[Enrollment]:
    """Promotes waitlisted learners, first in first out, while seats are free. The course
    row is locked by the caller."""
    if course.capacity is None:
        free = None
    else:
        free = course.capacity - _seats_taken(course.pk)
        if free <= 0:
            return []
    queue = Enrollment.objects.select_for_update().filter(
        course=course, status=Enrollment.Status.WAITLISTED
    )
    queue = queue.order_by("waitlisted_at", "id")
    promoted = list(queue if free is None else queue[:free])
    now = timezone.now()
    for enrollment in promoted:
        _seat(enrollment, now=now)
        enrollment.save()
        rollup_refresh(enrollment=enrollment)
        _publish("enrollments.waitlist_promoted", enrollment)
    if promoted:
        course_enrollment_count_change(course_id=course.pk, delta=len(promoted))
    return promoted


@transaction.atomic
def enrollment_create(
    *,
    user: "User",
    course: "Course",
    source: str = Enrollment.Source.SELF,
    by: "User | None" = None,
) -> Enrollment:
    """Join a course: active, or waitlisted when it is full.

    Refusals are those of enrollment_join_check, decided under the course row lock, except
    for source="paid": the payment is confirmed, so only the course's state and a
    revocation refuse (the window and the seats were checked at checkout). Staff and bulk
    sources skip the window and payment and always get a seat.
    """
    locked = course_lock_for_update(course_id=course.pk)
    if source == Enrollment.Source.PAID:
        _check_course_state(locked)
    else:
        _check_course_terms(locked, source=source)
    enrollment = _join(course=locked, user=user, source=source)
    if by is not None and by.pk != user.pk:
        audit_log_record(actor=by, action="enrollment.added", target=enrollment)
    return enrollment


@transaction.atomic
def enrollment_drop(*, enrollment: Enrollment, by: "User | None" = None) -> Enrollment:
    """Leave the course (or the waitlist). A freed seat goes to the first in line."""
    course = course_lock_for_update(course_id=enrollment.course_id)
    current = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    if current.status not in (*Enrollment.SEATED, Enrollment.Status.WAITLISTED):
        raise ServiceError("not_active", "This enrollment was already dropped or revoked.")
    was_seated = current.is_seated
    now = timezone.now()
    current.status = Enrollment.Status.DROPPED
    current.dropped_at = now
    current.waitlisted_at = None
    current.updated_at = now
    current.save(update_fields=["status", "dropped_at", "waitlisted_at", "updated_at"])
    if was_seated:
        course_enrollment_count_change(course_id=course.pk, delta=-1)
        _fill_seats(course)
    if by is not None and by.pk != current.user_id:
        audit_log_record(actor=by, action="enrollment.dropped", target=current)
    return current


@transaction.atomic
def enrollment_revoke(*, enrollment: Enrollment, by: "User | None") -> Enrollment:
    """Staff (or, with by=None, the system: a refund) remove a learner; they cannot
    re-enrol themselves afterwards."""
    course = course_lock_for_update(course_id=enrollment.course_id)
    current = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    if current.status == Enrollment.Status.REVOKED:
        return current
    was_seated = current.is_seated
    now = timezone.now()
    current.status = Enrollment.Status.REVOKED
    current.dropped_at = now
    current.waitlisted_at = None
    current.updated_at = now
    current.save(update_fields=["status", "dropped_at", "waitlisted_at", "updated_at"])
    if was_seated:
        course_enrollment_count_change(course_id=course.pk, delta=-1)
        _fill_seats(course)
    audit_log_record(actor=by, action="enrollment.revoked", target=current)
    return current


@transaction.atomic
def enrollment_add_by_email(*, course: "Course", email: str, by: "User") -> Enrollment:
    """Staff add a learner (a grant: no window, payment or capacity check). Raises a
    ValidationError `unknown_email` on `email`, ServiceError `already_enrolled`."""
    user = user_active_by_email(email=email.strip())
    if user is None:
        raise ValidationError(
            {"email": ValidationError("No active user has this email.", code="unknown_email")}
        )
    return enrollment_create(user=user, course=course, source=Enrollment.Source.STAFF, by=by)


@dataclass
class BulkRow:
    row: int
    email: str
    result: str  # created | already_enrolled | unknown_email | invalid
    enrollment_id: int | None = None
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "email": self.email,
            "result": self.result,
            "enrollment_id": self.enrollment_id,
            "detail": self.detail,
        }


@dataclass
class BulkReport:
    rows: list[BulkRow] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        out = {"created": 0, "already_enrolled": 0, "unknown_email": 0, "invalid": 0}
        for row in self.rows:
            out[row.result] += 1
        return out


def _csv_rows(content: bytes) -> list[list[str]]:
    if len(content) > BULK_MAX_BYTES:
        raise ValidationError(
            {"file": ValidationError("The file is larger than 1 MB.", code="file_too_large")}
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            {"file": ValidationError("The file is not UTF-8 text.", code="invalid_encoding")}
        ) from exc
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise ValidationError(
            {"file": ValidationError("The file is not valid CSV.", code="invalid_csv")}
        ) from exc
    if len(rows) > BULK_MAX_ROWS + 1:
        raise ValidationError(
            {"file": ValidationError(f"At most {BULK_MAX_ROWS} rows.", code="too_many_rows")}
        )
    return rows


@transaction.atomic
def enrollment_bulk_add(*, course: "Course", content: bytes, by: "User") -> BulkReport:
    """A CSV of emails (one per row, first column; an optional `email` header) -> a report
    per row. Bad rows change nothing; good rows are seated (staff grant)."""
    rows = _csv_rows(content)
    locked = course_lock_for_update(course_id=course.pk)
    _check_course_terms(locked, source=Enrollment.Source.BULK)
    report = BulkReport()
    seen: set[str] = set()
    for number, cells in enumerate(rows, start=1):
        values = [cell.strip() for cell in cells]
        if not any(values):
            continue  # blank lines are not rows
        if number == 1 and values[0].lower() == "email":
            continue
        email = values[0]
        if len([v for v in values if v]) != 1 or not email:
            report.rows.append(BulkRow(number, email, "invalid", detail="One email per row."))
            continue
        try:
            validate_email(email)
        except ValidationError:
            report.rows.append(BulkRow(number, email, "invalid", detail="Not an email address."))
            continue
        key = email.lower()
        user = user_active_by_email(email=email)
        if user is None:
            report.rows.append(BulkRow(number, email, "unknown_email"))
            continue
        existing = Enrollment.objects.filter(course=locked, user=user).first()
        if key in seen or (
            existing is not None
            and existing.status in (*Enrollment.SEATED, Enrollment.Status.WAITLISTED)
        ):
            report.rows.append(
                BulkRow(number, email, "already_enrolled", existing.pk if existing else None)
            )
            continue
        seen.add(key)
        enrollment = _join(course=locked, user=user, source=Enrollment.Source.BULK)
        report.rows.append(BulkRow(number, email, "created", enrollment.pk))
    audit_log_record(
        actor=by,
        action="enrollment.bulk_added",
        target=locked,
        changes={"counts": [None, report.counts]},
    )
    return report


ACCOMMODATION_FIELDS = ("time_multiplier", "extra_attempts", "deadline_extension_days")


@transaction.atomic
def enrollment_accommodations_set(
    *, enrollment: Enrollment, by: "User", **fields: Any
) -> Enrollment:
    current = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    unknown = set(fields) - set(ACCOMMODATION_FIELDS)
    if unknown:
        raise ValueError(f"Not accommodation fields: {sorted(unknown)}")
    before = {name: getattr(current, name) for name in fields}
    for name, value in fields.items():
        setattr(current, name, value)
    current.full_clean(exclude=["user", "course"], validate_unique=False)
    current.updated_at = timezone.now()
    current.save(update_fields=[*fields, "updated_at"])
    audit_log_record(
        actor=by,
        action="enrollment.accommodations_changed",
        target=current,
        changes={k: [str(before[k]), str(v)] for k, v in fields.items() if before[k] != v},
    )
    return current
