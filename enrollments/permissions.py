"""Who may open which lesson, and who counts as a learner of a course.

One predicate, `can_access_lesson`, for the API, pages and consumers alike:

- the course team and admins: always (courses.permissions.can_teach);
- preview lessons of a visible course: anyone;
- otherwise an enrollment that holds a seat (active or completed), the lesson released
  (an absolute `release_at`, or `release_after_days` after `enrolled_at`) and, when the
  lesson requires it, every earlier required lesson of the course completed.

Refusal reasons: `not_visible` and `not_enrolled` (callers answer 404: the lesson is not
disclosed), `not_released` (with `unlock_at`) and `prerequisite` (403).
`lesson_access_require` and `seated_enrollment_require` are the same rules as guards: they
raise Http404 or `lms.errors.ServiceError`, for views of any app.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from courses.models import Course, Lesson
from courses.permissions import PUBLIC_STATUSES, can_edit_course, can_teach, can_view_course
from enrollments.models import Enrollment, LessonCompletion
from lms.errors import ServiceError
from lms.queries import only_row

_ENROLLMENT_CACHE_ATTR = "_enrollments_seated"

HIDDEN_REASONS = frozenset({"not_visible", "not_enrolled"})


@dataclass(frozen=True)
class AccessDecision:
    allowed: bool
    reason: str  # staff, preview, enrolled | not_visible, not_enrolled, not_released, prerequisite
    unlock_at: datetime | None = None

    @property
    def hidden(self) -> bool:
        """The caller should answer 404, not 403."""
        return not self.allowed and self.reason in HIDDEN_REASONS


def _authenticated(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def seated_enrollment(user: Any, course: Course) -> Enrollment | None:
    """The user's active or completed enrollment, memoised on the course instance."""
    if not _authenticated(user) or course.pk is None:
        return None
    cache: dict[int, Enrollment | None] = course.__dict__.setdefault(_ENROLLMENT_CACHE_ATTR, {})
    if user.pk not in cache:
        cache[user.pk] = only_row(
            Enrollment.objects.filter(
                user_id=user.pk, course_id=course.pk, status__in=Enrollment.SEATED
            )
        )
    return cache[user.pk]


def remember_seated_enrollment(course: Course, user: Any, enrollment: Enrollment | None) -> None:
    """A selector that already read the user's seated enrollment spares the query."""
    if _authenticated(user) and course.pk is not None:
        course.__dict__.setdefault(_ENROLLMENT_CACHE_ATTR, {})[user.pk] = enrollment


def is_enrolled_learner(user: Any, course: Course) -> bool:
    """Registered with courses as its learner check."""
    return seated_enrollment(user, course) is not None


def release_time(lesson: Lesson | dict[str, Any], enrollment: Enrollment) -> datetime | None:
    release_at = _get(lesson, "release_at")
    if release_at is not None:
        return release_at  # type: ignore[no-any-return]
    days = _get(lesson, "release_after_days")
    if days is not None:
        return enrollment.enrolled_at + timedelta(days=days)
    return None


def _get(lesson: Lesson | dict[str, Any], name: str) -> Any:
    return lesson[name] if isinstance(lesson, dict) else getattr(lesson, name)


def earlier_required_q(course_id: int, module_position: int, lesson_position: int) -> Q:
    return Q(module__course_id=course_id, required_for_completion=True) & (
        Q(module__position__lt=module_position)
        | Q(module__position=module_position, position__lt=lesson_position)
    )


def prerequisites_met(enrollment: Enrollment, lesson: Lesson) -> bool:
    module = lesson.module
    earlier = Lesson.objects.filter(
        earlier_required_q(module.course_id, module.position, lesson.position)
    )
    done = LessonCompletion.objects.filter(enrollment_id=enrollment.pk).values("lesson_id")
    return not earlier.exclude(pk__in=done).exists()


def can_access_lesson(user: Any, lesson: Lesson, course: Course | None = None) -> AccessDecision:
    course = course or lesson.module.course
    if can_teach(user, course):
        return AccessDecision(True, "staff")
    if not can_view_course(user, course) or course.status not in PUBLIC_STATUSES:
        return AccessDecision(False, "not_visible")
    if lesson.is_preview:
        return AccessDecision(True, "preview")
    enrollment = seated_enrollment(user, course)
    if enrollment is None:
        return AccessDecision(False, "not_enrolled")
    unlock_at = release_time(lesson, enrollment)
    if unlock_at is not None and timezone.now() < unlock_at:
        return AccessDecision(False, "not_released", unlock_at)
    if lesson.requires_prerequisites and not prerequisites_met(enrollment, lesson):
        return AccessDecision(False, "prerequisite")
    return AccessDecision(True, "enrolled")


_REFUSAL_MESSAGES = {
    "not_released": "This lesson is not released yet.",
    "prerequisite": "Complete the earlier required lessons first.",
}


def lesson_access_require(
    user: Any, lesson: Lesson, course: Course | None = None
) -> AccessDecision:
    """can_access_lesson as a guard: Http404 when the lesson is not disclosed to the user;
    ServiceError `not_released` (with `unlock_at`) or `prerequisite` when they may see it
    but not open it yet; else the (allowed) decision."""
    decision = can_access_lesson(user, lesson, course)
    if decision.allowed:
        return decision
    if decision.hidden:
        raise Http404("No such lesson.")
    extra = {"unlock_at": decision.unlock_at} if decision.unlock_at is not None else {}
    raise ServiceError(decision.reason, _REFUSAL_MESSAGES[decision.reason], **extra)


def seated_enrollment_require(user: Any, course: Course) -> Enrollment:
    """The user's seated enrollment, or ServiceError `not_enrolled` (403): for learner
    actions in a course the user can see."""
    enrollment = seated_enrollment(user, course)
    if enrollment is None:
        raise ServiceError("not_enrolled", "Enroll in the course first.")
    return enrollment


def can_view_roster(user: Any, course: Course) -> bool:
    """The learners of a course and their progress: the whole team (TAs too) and admins."""
    return can_teach(user, course)


def can_manage_enrollments(user: Any, course: Course) -> bool:
    """Add learners, bulk add, set accommodations: owners, instructors and admins."""
    return can_edit_course(user, course)
