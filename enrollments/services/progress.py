"""Lesson completions, video heartbeats and the stored rollup.

The rollup (required lessons completed / total / percent) is always computed from counts,
never incremented, and written while the enrollment row is locked, so concurrent
completions and background recomputes cannot lose each other's updates. Percent is
floor(completed * 100 / total): it reaches 100 only when every required lesson is done
and can never exceed it.
"""

import logging
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from enrollments.models import Enrollment, LessonCompletion, LessonProgress
from enrollments.selectors import required_total_for, rollup_counts
from lms.concurrency import race_point
from lms.errors import ServiceError
from lms.outbox.services import outbox_publish

if TYPE_CHECKING:
    from courses.models import Lesson

logger = logging.getLogger(__name__)

VIDEO_COMPLETE_RATIO = 0.9
# A heartbeat credits at most this much watching since the previous one (seeking ahead
# is not watching).
HEARTBEAT_MAX_CREDIT_SECONDS = 30
RECOMPUTE_BATCH_SIZE = 500
# Race points (lms.concurrency): between a check and the write that relies on it.
COMPLETION_CHECKED = "enrollment.completion_checked"
ROLLUP_COUNTED = "enrollment.rollup_counted"


def percent_of(completed: int, total: int) -> int:
    if total <= 0:
        return 0
    return min(100, completed * 100 // total)


def _mark_completed_if_done(enrollment: Enrollment) -> bool:
    """Active and 100 % -> completed, with the outbox event. Completion is kept if lessons
    are added later (a certificate may already exist)."""
    if enrollment.status != Enrollment.Status.ACTIVE or enrollment.percent < 100:
        return False
    now = timezone.now()
    enrollment.status = Enrollment.Status.COMPLETED
    enrollment.completed_at = now
    enrollment.save(update_fields=["status", "completed_at"])
    outbox_publish(
        topic="enrollments.course_completed",
        payload={
            "enrollment_id": enrollment.pk,
            "user_id": enrollment.user_id,
            "course_id": enrollment.course_id,
        },
    )
    return True


ROLLUP_FIELDS = ["required_total", "completed_count", "percent"]


def _rollup_set(enrollment: Enrollment) -> None:
    done, total = rollup_counts(enrollment=enrollment)
    enrollment.required_total = total
    enrollment.completed_count = done
    enrollment.percent = percent_of(done, total)


def rollup_refresh(*, enrollment: Enrollment) -> Enrollment:
    """Recomputes the rollup from counts. The caller holds the enrollment row lock (or
    has just created the row in its transaction)."""
    _rollup_set(enrollment)
    enrollment.save(update_fields=ROLLUP_FIELDS)
    _mark_completed_if_done(enrollment)
    return enrollment


def _lock_seated(enrollment: Enrollment) -> Enrollment:
    # The course comes along (for the caller's answer) but only the enrollment is locked.
    current = (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("course")
        .get(pk=enrollment.pk)
    )
    if current.status not in Enrollment.SEATED:
        raise ServiceError("not_active", "This enrollment is not active.")
    return current


@transaction.atomic
def lesson_complete(*, enrollment: Enrollment, lesson: "Lesson") -> tuple[Enrollment, bool]:
    """Marks the lesson completed (idempotent). Returns the enrollment with its fresh
    rollup and whether this call created the completion. Access (release, prerequisites)
    is the caller's check (enrollments.permissions.can_access_lesson)."""
    current = _lock_seated(enrollment)
    now = timezone.now()
    # Every completion of this enrollment is made here under its row lock, so a plain
    # check-then-insert cannot race (and needs no savepoint, unlike get_or_create).
    created = not LessonCompletion.objects.filter(enrollment=current, lesson=lesson).exists()
    race_point(COMPLETION_CHECKED)
    current.last_activity_at = now
    fields = ["last_activity_at"]
    if created:
        LessonCompletion.objects.create(enrollment=current, lesson=lesson, completed_at=now)
        _rollup_set(current)
        race_point(ROLLUP_COUNTED)
        fields += ROLLUP_FIELDS
    current.save(update_fields=fields)  # one UPDATE for the activity and the rollup
    if created:
        _mark_completed_if_done(current)
    return current, created


@transaction.atomic
def lesson_progress_record(
    *,
    enrollment: Enrollment,
    lesson: "Lesson",
    position_seconds: int,
    duration_seconds: int | None = None,
) -> tuple[LessonProgress, Enrollment, bool]:
    """A video heartbeat. Stores the position; credits forward movement of up to
    HEARTBEAT_MAX_CREDIT_SECONDS as watched; completes the lesson at >= 90 % watched of
    the lesson's duration (its `duration_minutes`, else the player's `duration_seconds`).
    Returns (progress, enrollment, completed_now)."""
    current = _lock_seated(enrollment)
    now = timezone.now()
    progress, _ = LessonProgress.objects.get_or_create(enrollment=current, lesson=lesson)
    step = position_seconds - progress.last_position_seconds
    if 0 < step <= HEARTBEAT_MAX_CREDIT_SECONDS:
        progress.watched_seconds += step
    progress.last_position_seconds = position_seconds
    progress.updated_at = now
    length = lesson.duration_minutes * 60 or (duration_seconds or 0)
    if length:
        progress.watched_seconds = min(progress.watched_seconds, length)
    progress.save()
    current.last_activity_at = now
    current.save(update_fields=["last_activity_at"])
    completed_now = False
    if length and progress.watched_seconds >= VIDEO_COMPLETE_RATIO * length:
        _, completed_now = LessonCompletion.objects.get_or_create(
            enrollment=current, lesson=lesson, defaults={"completed_at": now}
        )
        if completed_now:
            rollup_refresh(enrollment=current)
    return progress, current, completed_now


def _recompute_batch(course_id: int, ids: list[int], total: int) -> int:
    with transaction.atomic():
        # Lock first, then compute in a new statement: its snapshot sees every completion
        # committed by whoever held the locks before us.
        locked = list(
            Enrollment.objects.select_for_update()
            .filter(pk__in=ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        done = Subquery(
            LessonCompletion.objects.filter(
                enrollment_id=OuterRef("pk"), lesson__required_for_completion=True
            )
            .order_by()
            .values("enrollment_id")
            .annotate(n=Count("pk"))
            .values("n")
        )
        rows = (
            Enrollment.objects.filter(pk__in=locked)
            .annotate(done=Coalesce(done, Value(0)))
            .values_list("pk", "done", "completed_count", "required_total", "percent")
        )
        changed = []
        for pk, n, old_done, old_total, old_percent in rows:
            new = (n, total, percent_of(n, total))
            if new != (old_done, old_total, old_percent):
                changed.append(
                    Enrollment(pk=pk, completed_count=n, required_total=total, percent=new[2])
                )
        Enrollment.objects.bulk_update(
            changed, ["completed_count", "required_total", "percent"], batch_size=500
        )
        finished = Enrollment.objects.filter(
            pk__in=[e.pk for e in changed], status=Enrollment.Status.ACTIVE, percent=100
        )
        for enrollment in finished:
            _mark_completed_if_done(enrollment)
        return len(changed)


def progress_recompute(*, course_id: int, batch_size: int = RECOMPUTE_BATCH_SIZE) -> int:
    """Recomputes every enrollment's rollup in the course, in batches of `batch_size`
    (one short transaction each). Idempotent; returns how many rows changed."""
    changed = 0
    last_id = 0
    while True:
        ids = list(
            Enrollment.objects.filter(course_id=course_id, pk__gt=last_id)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            break
        # The total is read per batch: a structure change mid-run schedules another run.
        changed += _recompute_batch(course_id, ids, required_total_for(course_id=course_id))
        last_id = ids[-1]
    logger.info("progress recomputed", extra={"course_id": course_id, "changed": changed})
    return changed


def progress_recompute_schedule(*, course_id: int) -> None:
    """Asks for a background recompute through the outbox (durable, after commit)."""
    if not Enrollment.objects.filter(course_id=course_id).exists():
        return
    with transaction.atomic():
        outbox_publish(topic="enrollments.progress_recompute", payload={"course_id": course_id})


def from_scratch_percent(enrollment: Enrollment) -> int:
    """For audits: the percent computed from the rows, with no stored state."""
    done, total = rollup_counts(enrollment=enrollment)
    return percent_of(done, total)
