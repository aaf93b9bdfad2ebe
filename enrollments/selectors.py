"""Reads with rules: my enrollments (with next lesson), the roster, per-learner outline
state. Each runs a constant number of queries whatever the number of rows."""

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Concat
from django.http import Http404
from django.utils import timezone

from courses.models import Course, Lesson
from courses.permissions import remember_staff_role, viewer_role_subquery
from courses.selectors import HEAVY_FIELDS, CompletionRule, completion_rule_of
from enrollments.completion import RequestDecision, request_decision
from enrollments.models import Enrollment, LessonCompletion, LessonProgress
from enrollments.permissions import (
    release_time,
    remember_seated_enrollment,
    seated_enrollment,
)
from lms.queries import only_row

# --- the progress rollup ------------------------------------------------------------------


def required_total_for(*, course_id: int) -> int:
    """How many lessons of the course count for completion."""
    return Lesson.objects.filter(module__course_id=course_id, required_for_completion=True).count()


def rollup_counts(*, enrollment: Enrollment) -> tuple[int, int]:
    """(required lessons completed, required lessons in the course), from the rows, with
    no stored state, in one query: one index probe into the completions per required
    lesson, however many learners the course has."""
    completed = LessonCompletion.objects.filter(
        enrollment_id=enrollment.pk, lesson_id=OuterRef("pk")
    )
    counts = Lesson.objects.filter(
        module__course_id=enrollment.course_id, required_for_completion=True
    ).aggregate(total=Count("pk"), done=Count("pk", filter=Q(Exists(completed))))
    return counts["done"], counts["total"]


def lesson_completed(*, enrollment: Enrollment, lesson_id: int) -> bool:
    return LessonCompletion.objects.filter(enrollment=enrollment, lesson_id=lesson_id).exists()


# --- what completes a lesson (docs/decisions/0014-completion-rules.md) ---------------------


def request_decision_for(
    *, enrollment: Enrollment, lesson: Lesson, course: Course
) -> RequestDecision:
    """enrollments.completion.RequestDecision for the learner's request to complete a
    lesson they have not completed: the rule (courses.selectors.completion_rule_of: a
    query for quiz and assignment lessons) and, for a video, their progress (a query)."""
    rule = completion_rule_of(lesson, course)
    progress = None
    if rule.rule == CompletionRule.VIDEO_WATCH:
        progress = only_row(
            LessonProgress.objects.filter(enrollment_id=enrollment.pk, lesson_id=lesson.pk)
        )
    return request_decision(rule=rule, lesson=lesson, progress=progress)


def lesson_completion_check(
    *, user: Any, lesson: Lesson, course: Course | None = None
) -> RequestDecision:
    """For the learner's pages: may `user` mark `lesson` complete now, and if not, why.
    The same rule as POST lessons/{id}/complete/ (enrollments.services.lesson_complete
    with by_request=True). Returns an enrollments.completion.RequestDecision:
    `completed` (already complete: the request would answer 200 and change nothing),
    `allowed`, `rule` (courses.selectors.LessonCompletionRule, `as_data()` for JSON),
    and when refused `code` (`not_enrolled`, `completes_with_quiz`,
    `completes_with_assignment`, `video_not_watched`), `message` and `extra`. Access
    (release, prerequisites) is not part of it: can_access_lesson says that. At most
    three queries, plus one for the seat unless lesson_for_viewer or seated_enrollment
    already read it."""
    course = course or lesson.module.course
    enrollment = seated_enrollment(user, course)
    if enrollment is None:
        return RequestDecision(
            False,
            completion_rule_of(lesson, course),
            "not_enrolled",
            "Enroll in the course first.",
        )
    if lesson_completed(enrollment=enrollment, lesson_id=lesson.pk):
        return RequestDecision(True, completion_rule_of(lesson, course), completed=True)
    return request_decision_for(enrollment=enrollment, lesson=lesson, course=course)


# --- my enrollments ---------------------------------------------------------------------


def enrollment_list_mine(*, user: Any) -> QuerySet[Enrollment]:
    return (
        Enrollment.objects.filter(user_id=user.pk)
        .exclude(status__in=[Enrollment.Status.DROPPED, Enrollment.Status.REVOKED])
        .select_related("course")
        .order_by("-enrolled_at", "-id")
    )


def enrollment_get_mine(*, user: Any, enrollment_id: int) -> Enrollment:
    """Own enrollments only (any status); anything else is a 404."""
    enrollment = (
        Enrollment.objects.select_related("course")
        .filter(pk=enrollment_id, user_id=user.pk)
        .first()
    )
    if enrollment is None:
        raise Http404
    return enrollment


def enrollment_get(*, enrollment_id: int) -> Enrollment:
    enrollment = (
        Enrollment.objects.select_related("course", "user").filter(pk=enrollment_id).first()
    )
    if enrollment is None:
        raise Http404
    return enrollment


def roster_list(*, course: Course, status: str | None = None) -> QuerySet[Enrollment]:
    """The API roster, for keyset pages on the enrollment id (index enrol_course_id)."""
    qs = Enrollment.objects.filter(course_id=course.pk).select_related("user")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-id")  # the paginator orders by -id again; explicit for other callers


def lesson_for_viewer(*, user: Any, lesson_id: Any) -> Lesson:
    """The lesson with its module and course, Http404 when there is none. For a signed-in
    user, two queries settle every later check: the lesson brings the user's team role,
    and the seated enrollment (with `lesson_completed` for this lesson) is read and
    remembered for can_access_lesson and seated_enrollment."""
    lessons = (
        Lesson.objects.select_related("module__course")
        .filter(pk=lesson_id)
        .defer(*(f"module__course__{name}" for name in HEAVY_FIELDS))
    )
    signed_in = bool(getattr(user, "is_authenticated", False))
    if signed_in:
        lessons = lessons.annotate(viewer_role=viewer_role_subquery(user, "module__course_id"))
    lesson = only_row(lessons)
    if lesson is None:
        raise Http404("No such lesson.")
    course = lesson.module.course
    if signed_in:
        remember_staff_role(course, user, lesson.viewer_role)  # type: ignore[attr-defined]
        enrollment = only_row(
            Enrollment.objects.filter(
                user_id=user.pk, course_id=course.pk, status__in=Enrollment.SEATED
            ).annotate(
                lesson_completed=Exists(
                    LessonCompletion.objects.filter(enrollment=OuterRef("pk"), lesson=lesson)
                )
            )
        )
        remember_seated_enrollment(course, user, enrollment)
    return lesson


def next_lessons_for(enrollments: list[Enrollment]) -> dict[int, dict[str, Any] | None]:
    """{enrollment id: the first lesson (course order) not completed yet, or None}.
    Two queries for any number of enrollments."""
    if not enrollments:
        return {}
    course_ids = {e.course_id for e in enrollments}
    lessons = Lesson.objects.filter(module__course_id__in=course_ids).order_by(
        "module__course_id", "module__position", "position"
    )
    by_course: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in lessons.values("id", "title", "kind", "module__course_id"):
        by_course[row["module__course_id"]].append(dict(row))
    done: dict[int, set[int]] = defaultdict(set)
    for enrollment_id, lesson_id in LessonCompletion.objects.filter(
        enrollment_id__in=[e.pk for e in enrollments]
    ).values_list("enrollment_id", "lesson_id"):
        done[enrollment_id].add(lesson_id)
    out: dict[int, dict[str, Any] | None] = {}
    for enrollment in enrollments:
        out[enrollment.pk] = next(
            (
                {"id": row["id"], "title": row["title"], "kind": row["kind"]}
                for row in by_course[enrollment.course_id]
                if row["id"] not in done[enrollment.pk]
            ),
            None,
        )
    return out


def outline_state_for(user: Any, course: Course, lessons: list[dict[str, Any]]) -> dict[int, Any]:
    """Registered with courses: each lesson's `completed`, `locked`, `lock_reason`,
    `unlock_at` for an enrolled learner (active or completed); {} for anyone else.

    `lessons` are the outline's lesson dicts in course order, with their release rules
    (`is_preview`, `required_for_completion`, `release_at`, `release_after_days`,
    `requires_prerequisites`). Two queries whatever the number of lessons."""
    enrollment = seated_enrollment(user, course)
    if enrollment is None or not lessons:
        return {}
    done = set(
        LessonCompletion.objects.filter(enrollment_id=enrollment.pk)
        .order_by()
        .values_list("lesson_id", flat=True)
    )
    rows = lessons
    now = timezone.now()
    states: dict[int, Any] = {}
    missing_required = False  # an earlier required lesson is not completed
    for row in rows:
        unlock_at = release_time(dict(row), enrollment)
        reason = None
        if row["is_preview"]:
            pass
        elif unlock_at is not None and now < unlock_at:
            reason = "not_released"
        elif row["requires_prerequisites"] and missing_required:
            reason = "prerequisite"
        completed = row["id"] in done
        states[row["id"]] = {
            "completed": completed,
            "locked": reason is not None,
            "lock_reason": reason,
            "unlock_at": unlock_at,  # a datetime: the API's encoder writes it with Z
        }
        if row["required_for_completion"] and not completed:
            missing_required = True
    return states


# --- instructor pages (roster, one learner) ------------------------------------------------

ROSTER_FILTERS = ("not_started", "in_progress", "completed", "inactive")
INACTIVE_AFTER_DAYS = 14


def roster_filtered(
    *, course: Course, filter: str | None = None, search: str = "", now: Any = None
) -> QuerySet[Enrollment]:
    """The course's enrollments (every status) narrowed by one of `ROSTER_FILTERS` and a
    search over email and name; ordered by email. One query, whatever the page size.

    - not_started: active with nothing completed (0 %);
    - in_progress: active, between 1 and 99 %;
    - completed: status completed (completion is sticky, whatever the percent later);
    - inactive: active, no activity (or, never active, enrolled) for 14 days or more.
    """
    qs = roster_list(course=course).order_by("user__email", "id")
    active = Enrollment.Status.ACTIVE
    if filter == "not_started":
        qs = qs.filter(status=active, percent=0)
    elif filter == "in_progress":
        qs = qs.filter(status=active, percent__gt=0, percent__lt=100)
    elif filter == "completed":
        qs = qs.filter(status=Enrollment.Status.COMPLETED)
    elif filter == "inactive":
        cutoff = (now or timezone.now()) - timedelta(days=INACTIVE_AFTER_DAYS)
        qs = qs.filter(status=active).filter(
            Q(last_activity_at__lte=cutoff)
            | Q(last_activity_at__isnull=True, enrolled_at__lte=cutoff)
        )
    search = search.strip()
    if search:
        qs = qs.annotate(
            _full_name=Concat("user__first_name", Value(" "), "user__last_name")
        ).filter(
            Q(user__email__icontains=search)
            | Q(user__first_name__icontains=search)
            | Q(user__last_name__icontains=search)
            | Q(_full_name__icontains=search)
        )
    return qs


def roster_enrollment_get(*, course: Course, enrollment_id: int) -> Enrollment:
    """One enrollment of the course (with its user); any other id is a 404."""
    enrollment = (
        Enrollment.objects.select_related("user")
        .filter(pk=enrollment_id, course_id=course.pk)
        .first()
    )
    if enrollment is None:
        raise Http404
    enrollment.course = course
    return enrollment


def enrollment_lesson_rows(*, enrollment: Enrollment) -> list[dict[str, Any]]:
    """Every lesson of the course in order with the learner's completion time (or None):
    `module`, `lesson`, `kind`, `required`, `completed_at`. Two queries."""
    completed = dict(
        LessonCompletion.objects.filter(enrollment_id=enrollment.pk).values_list(
            "lesson_id", "completed_at"
        )
    )
    rows = (
        Lesson.objects.filter(module__course_id=enrollment.course_id)
        .order_by("module__position", "position")
        .values("id", "title", "kind", "required_for_completion", "module__title")
    )
    return [
        {
            "module": row["module__title"],
            "lesson": row["title"],
            "kind": row["kind"],
            "required": row["required_for_completion"],
            "completed_at": completed.get(row["id"]),
        }
        for row in rows
    ]


def enrollment_dropped_since(*, user_id: int, course_id: int, since: datetime) -> bool:
    """The learner dropped the course at or after `since` (payments: left after paying)."""
    return Enrollment.objects.filter(
        user_id=user_id,
        course_id=course_id,
        status=Enrollment.Status.DROPPED,
        dropped_at__gte=since,
    ).exists()


def seated_enrollment_of(*, user_id: int, course_id: int) -> Enrollment | None:
    """The learner's active or completed enrollment in the course, by ids (quizzes: the
    seat whose lesson a passed quiz completes)."""
    return only_row(
        Enrollment.objects.filter(
            user_id=user_id, course_id=course_id, status__in=Enrollment.SEATED
        )
    )


# --- learner pages (enrollments.portal_views) -------------------------------------------------


def enrollment_of(*, user: Any, course: Course) -> Enrollment | None:
    """The user's enrollment in the course in any status (a dropped or revoked one too), or
    None; one query. A seated one is remembered for the permission checks that follow."""
    if not getattr(user, "is_authenticated", False):
        return None
    enrollment = only_row(Enrollment.objects.filter(user_id=user.pk, course_id=course.pk))
    remember_seated_enrollment(
        course, user, enrollment if enrollment is not None and enrollment.is_seated else None
    )
    return enrollment


def lesson_progress_of(*, enrollment: Enrollment, lesson_id: int) -> LessonProgress | None:
    """The learner's video position and watched seconds in the lesson, if any heartbeat
    came."""
    return only_row(LessonProgress.objects.filter(enrollment_id=enrollment.pk, lesson_id=lesson_id))
