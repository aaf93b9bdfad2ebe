"""Lesson completions, video heartbeats and the stored rollup.

The rollup (required lessons completed / total / percent) is always computed from counts,
never incremented, and written while the enrollment row is locked, so concurrent
completions and background recomputes cannot lose each other's updates. Percent is
floor(completed * 100 / total): it reaches 100 only when every required lesson is done
and can never exceed it.

What completes a lesson and a course is docs/decisions/0014-completion-rules.md: a
learner's request completes only lessons whose rule allows it (`lesson_complete` with
`by_request=True`), heartbeats complete video lessons at the course's threshold, and an
enrollment at 100 % completes when the course grade (from the gradebook's provider)
allows it; the gradebook re-checks through `course_completion_recheck` when a grade moves.
"""

import logging
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from courses.selectors import LessonKind
from enrollments.completion import (
    course_grade_standings,
    grade_allows_completion,
    video_length_seconds,
    video_watched_enough,
)
from enrollments.models import Enrollment, LessonCompletion, LessonProgress
from enrollments.selectors import request_decision_for, required_total_for, rollup_counts
from lms.concurrency import race_point
from lms.errors import ServiceError
from lms.outbox.services import outbox_publish
from lms.queries import only_row

if TYPE_CHECKING:
    from courses.models import Lesson

logger = logging.getLogger(__name__)

# A heartbeat credits at most this much watching since the previous one (seeking ahead
# is not watching).
HEARTBEAT_MAX_CREDIT_SECONDS = 30
RECOMPUTE_BATCH_SIZE = 500
# Race points (lms.concurrency): between a check and the write that relies on it.
COMPLETION_CHECKED = "enrollment.completion_checked"
ROLLUP_COUNTED = "enrollment.rollup_counted"
GRADE_READ = "enrollment.completion_grade_read"


def percent_of(completed: int, total: int) -> int:
    if total <= 0:
        return 0
    return min(100, completed * 100 // total)


# --- course completion ----------------------------------------------------------------------


def _publish_completed(enrollment_id: int, user_id: int, course_id: int) -> None:
    outbox_publish(
        topic="enrollments.course_completed",
        payload={"enrollment_id": enrollment_id, "user_id": user_id, "course_id": course_id},
    )


def _mark_completed_if_done(enrollment: Enrollment) -> bool:
    """Active, every required lesson complete (100 %) and the course grade allows it ->
    completed, with the outbox event. The caller holds the enrollment row lock.
    Completion is kept when lessons are added or the grade drops later (a certificate may
    already exist). Reads the course grade only at 100 % in a course with a passing
    grade."""
    if enrollment.status != Enrollment.Status.ACTIVE or enrollment.percent < 100:
        return False
    passing_grade = enrollment.course.passing_grade
    standings = (
        course_grade_standings(course_id=enrollment.course_id, user_ids=[enrollment.user_id])
        if passing_grade > 0
        else None
    )
    race_point(GRADE_READ)
    if not grade_allows_completion(
        passing_grade=passing_grade, standings=standings, user_id=enrollment.user_id
    ):
        return False  # the grade is missing, provisional or below passing: wait
    enrollment.status = Enrollment.Status.COMPLETED
    enrollment.completed_at = timezone.now()
    enrollment.save(update_fields=["status", "completed_at"])
    _publish_completed(enrollment.pk, enrollment.user_id, enrollment.course_id)
    return True


def course_completion_recheck(*, course_id: int, user_id: int) -> bool:
    """For the gradebook (assignments), inside the transaction that changed the learner's
    course grade: completes the learner's enrollment if it now qualifies. Returns whether
    it did. Locks the enrollment row whatever its state, so a lesson completion running at
    the same time is waited for (or waits for us): whichever commits second sees both.
    Lock order: the caller's CourseGrade row first, then this one (enrollments never
    locks gradebook rows)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("course_completion_recheck runs inside the grade's transaction")
    current = only_row(
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("course")
        .filter(course_id=course_id, user_id=user_id)
    )
    if current is None:
        return False
    return _mark_completed_if_done(current)


def course_completion_recheck_many(*, course_id: int, user_ids: list[int]) -> int:
    """course_completion_recheck for many learners of one course (the gradebook's
    recompute), in a constant number of queries plus two writes per learner who
    completes. Locks their enrollment rows in id order. Returns how many completed."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("course_completion_recheck_many runs inside the grades' transaction")
    rows = list(
        Enrollment.objects.select_for_update(of=("self",))
        .filter(course_id=course_id, user_id__in=user_ids)
        .order_by("pk")
        .values_list("pk", "user_id", "status", "percent", "course__passing_grade")
    )
    ready = [
        (pk, user_id)
        for pk, user_id, status, percent, _ in rows
        if status == Enrollment.Status.ACTIVE and percent >= 100
    ]
    if not ready:
        return 0
    return len(_complete_many(course_id, ready, passing_grade=rows[0][4]))


def _complete_many(
    course_id: int, ready: list[tuple[int, int]], *, passing_grade: int
) -> list[int]:
    """Completes those of `ready` ((enrollment id, user id), active at 100 %, locked by the
    caller) whose course grade allows it: one read of the grades, one UPDATE, an outbox
    row each. Returns the ids of the enrollments it completed."""
    standings = (
        course_grade_standings(course_id=course_id, user_ids=[u for _, u in ready])
        if passing_grade > 0
        else None
    )
    done = [
        (pk, user_id)
        for pk, user_id in ready
        if grade_allows_completion(
            passing_grade=passing_grade, standings=standings, user_id=user_id
        )
    ]
    if not done:
        return []
    Enrollment.objects.filter(pk__in=[pk for pk, _ in done]).update(
        status=Enrollment.Status.COMPLETED, completed_at=timezone.now()
    )
    for pk, user_id in done:
        _publish_completed(pk, user_id, course_id)
    return [pk for pk, _ in done]


# --- lessons ------------------------------------------------------------------------------


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


def _record_completion(current: Enrollment, lesson: "Lesson", now: Any) -> None:
    """Writes the completion and the fresh rollup of a locked enrollment (one UPDATE for
    the activity and the rollup), then completes the course if it is done."""
    LessonCompletion.objects.create(enrollment=current, lesson=lesson, completed_at=now)
    _rollup_set(current)
    race_point(ROLLUP_COUNTED)
    current.last_activity_at = now
    current.save(update_fields=["last_activity_at", *ROLLUP_FIELDS])
    _mark_completed_if_done(current)


@transaction.atomic
def lesson_complete(
    *, enrollment: Enrollment, lesson: "Lesson", by_request: bool = False
) -> tuple[Enrollment, bool]:
    """Marks the lesson completed (idempotent). Returns the enrollment with its fresh
    rollup and whether this call created the completion.

    `by_request=True`: the learner asks (POST lessons/{id}/complete/). A lesson not
    completed yet must complete by request (docs/decisions/0014-completion-rules.md):
    a quiz or assignment lesson is refused (409 `completes_with_quiz`,
    `completes_with_assignment`), a video not watched far enough too (409
    `video_not_watched`, with `watched_seconds` and `needed_seconds`). A lesson already
    completed answers as before, whatever its kind.
    `by_request=False`: the activity completed it (quizzes, assignments); no rule check.
    Access (release, prerequisites) is the caller's check
    (enrollments.permissions.can_access_lesson)."""
    current = _lock_seated(enrollment)
    now = timezone.now()
    # Every completion of this enrollment is made here under its row lock, so a plain
    # check-then-insert cannot race (and needs no savepoint, unlike get_or_create).
    created = not LessonCompletion.objects.filter(enrollment=current, lesson=lesson).exists()
    race_point(COMPLETION_CHECKED)
    if created and by_request:
        decision = request_decision_for(enrollment=current, lesson=lesson, course=current.course)
        if not decision.allowed:
            raise ServiceError(decision.code or "not_active", decision.message, **decision.extra)
    if created:
        _record_completion(current, lesson, now)
    else:
        current.last_activity_at = now
        current.save(update_fields=["last_activity_at"])
    return current, created


@transaction.atomic
def lesson_progress_record(
    *,
    enrollment: Enrollment,
    lesson: "Lesson",
    position_seconds: int,
    duration_seconds: int | None = None,
) -> tuple[LessonProgress, Enrollment, bool]:
    """A video heartbeat. Stores the position (and the player's video length); credits
    forward movement of up to HEARTBEAT_MAX_CREDIT_SECONDS as watched; completes a video
    lesson once the watched time reaches the course's `video_complete_percent` of its
    length (the lesson's `duration_minutes`, else the player's `duration_seconds`).
    Heartbeats never complete lessons of other kinds. Returns (progress, enrollment,
    completed_now)."""
    current = _lock_seated(enrollment)
    now = timezone.now()
    progress, _ = LessonProgress.objects.get_or_create(enrollment=current, lesson=lesson)
    step = position_seconds - progress.last_position_seconds
    if 0 < step <= HEARTBEAT_MAX_CREDIT_SECONDS:
        progress.watched_seconds += step
    progress.last_position_seconds = position_seconds
    progress.updated_at = now
    if duration_seconds:
        progress.duration_seconds = duration_seconds
    length = video_length_seconds(lesson, progress)
    if length:
        progress.watched_seconds = min(progress.watched_seconds, length)
    progress.save()
    completed_now = False
    if (
        lesson.kind == LessonKind.VIDEO
        and video_watched_enough(
            progress.watched_seconds, length, current.course.video_complete_percent
        )
        and not LessonCompletion.objects.filter(enrollment=current, lesson=lesson).exists()
    ):
        _record_completion(current, lesson, now)
        completed_now = True
    else:
        current.last_activity_at = now
        current.save(update_fields=["last_activity_at"])
    return progress, current, completed_now


def _recompute_batch(course_id: int, ids: list[int], total: int) -> int:
    """One batch: the rollups from counts, then course completion by the same rule as
    the live path (every required lesson and the course grade). A constant number of
    queries, plus an outbox row per learner who completes."""
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
            .values_list(
                "pk",
                "done",
                "completed_count",
                "required_total",
                "percent",
                "status",
                "user_id",
                "course__passing_grade",
            )
        )
        changed = []
        ready: list[tuple[int, int]] = []  # active at 100 %: completion depends on the grade
        passing_grade = 0
        for pk, n, old_done, old_total, old_percent, status, user_id, passing in rows:
            new = (n, total, percent_of(n, total))
            passing_grade = passing
            if new != (old_done, old_total, old_percent):
                changed.append(
                    Enrollment(pk=pk, completed_count=n, required_total=total, percent=new[2])
                )
            # Not only the changed rows: a learner at 100 % whose grade now passes
            # completes too. Completed learners stay completed (never reverted).
            if status == Enrollment.Status.ACTIVE and new[2] >= 100:
                ready.append((pk, user_id))
        Enrollment.objects.bulk_update(
            changed, ["completed_count", "required_total", "percent"], batch_size=500
        )
        completed = _complete_many(course_id, ready, passing_grade=passing_grade) if ready else []
        return len({e.pk for e in changed} | set(completed))


def progress_recompute(*, course_id: int, batch_size: int = RECOMPUTE_BATCH_SIZE) -> int:
    """Recomputes every enrollment's rollup in the course and completes the learners who
    qualify (the live rule: every required lesson, and the course grade when the course
    has a passing grade), in batches of `batch_size` (one short transaction each).
    Idempotent; returns how many rows changed (rollups moved, plus learners completed)."""
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
