"""The completion rules enrollments enforces (docs/decisions/0014-completion-rules.md).

What completes a lesson is read from courses (`courses.selectors.completion_rule_of`: the
lesson's kind, its quiz or assignment, the course's video threshold); here are the parts
enrollments owns:

- a learner's own request completes a lesson whose rule is `request`, and a video lesson
  watched up to the course's threshold; any other lesson not yet complete is refused
  with the reason (`completes_with_quiz`, `completes_with_assignment`,
  `video_not_watched`);
- a course completes when every required lesson is complete and, when the course sets a
  passing grade (> 0) and grades something, the learner's course grade is final and at
  least the passing grade. The gradebook lives above us (assignments), so it registers a
  course-grade provider here at start-up.

Pure rules and the provider registry: no writes (those are in enrollments.services).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from courses.selectors import CompletionRule, LessonCompletionRule

if TYPE_CHECKING:
    from courses.models import Lesson
    from enrollments.models import LessonProgress


# --- the course grade --------------------------------------------------------------------


@dataclass(frozen=True)
class GradeStanding:
    """A learner's course grade as completion needs it."""

    percent: Decimal | None  # None: nothing counted yet
    # Some of it may still change: a quiz waiting for hand grading, a draft grade not
    # released, work handed in and not graded yet.
    provisional: bool = False


NO_GRADE = GradeStanding(percent=None)

# provider(course_id, user_ids) -> {user_id: GradeStanding} (users without a grade may be
# left out), or None when the course grades nothing at all (then no grade is needed).
# A constant number of queries for any number of users.
CourseGradeProvider = Callable[[int, list[int]], dict[int, GradeStanding] | None]
_course_grade_provider: list[CourseGradeProvider] = []


def register_course_grade_provider(provider: CourseGradeProvider) -> None:
    """For the gradebook's app (assignments), in its AppConfig.ready(). One provider: a
    second registration replaces the first."""
    _course_grade_provider[:] = [provider]


def course_grade_standings(
    *, course_id: int, user_ids: list[int]
) -> dict[int, GradeStanding] | None:
    """The learners' course grades from the registered provider; None when the course
    grades nothing (or no gradebook is installed)."""
    if not _course_grade_provider or not user_ids:
        return None
    return _course_grade_provider[0](course_id, list(user_ids))


def grade_allows_completion(
    *, passing_grade: int, standings: dict[int, GradeStanding] | None, user_id: int
) -> bool:
    """The grade part of course completion. `passing_grade` 0 needs no grade; a course
    that grades nothing (standings None) needs none either; otherwise the grade must be
    final (not provisional) and at least `passing_grade`."""
    if passing_grade <= 0 or standings is None:
        return True
    standing = standings.get(user_id, NO_GRADE)
    if standing.provisional or standing.percent is None:
        return False
    return standing.percent >= passing_grade


# --- a learner's request -----------------------------------------------------------------


@dataclass(frozen=True)
class RequestDecision:
    """May the learner mark the lesson complete themselves now? When not, `code` (an
    error code of enrollments/errors.py), `message` and `extra` say why."""

    allowed: bool
    rule: LessonCompletionRule
    code: str | None = None
    message: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    completed: bool = False  # already complete: a request changes nothing (200)


def video_length_seconds(lesson: "Lesson", progress: "LessonProgress | None") -> int:
    """The video's length: the lesson's duration, else the length the player reported in
    its heartbeats; 0 when neither is known."""
    return lesson.duration_minutes * 60 or (progress.duration_seconds if progress else 0)


def video_needed_seconds(length: int, percent: int) -> int:
    """Whole seconds to watch: ceil(length * percent / 100)."""
    return -(-length * percent // 100)


def video_watched_enough(watched: int, length: int, percent: int) -> bool:
    return length > 0 and watched >= video_needed_seconds(length, percent)


def request_decision(
    *, rule: LessonCompletionRule, lesson: "Lesson", progress: "LessonProgress | None"
) -> RequestDecision:
    """The rule applied to a learner's request for a lesson not completed yet. `progress`
    is the learner's video progress on it (video lessons; None when there is none)."""
    if rule.by_request:
        return RequestDecision(True, rule)
    if rule.rule in (CompletionRule.QUIZ_SUBMIT, CompletionRule.QUIZ_PASS):
        message = (
            "This lesson completes when you pass its quiz."
            if rule.rule == CompletionRule.QUIZ_PASS
            else "This lesson completes when you submit its quiz."
        )
        return RequestDecision(
            False,
            rule,
            "completes_with_quiz",
            message,
            {"rule": rule.rule, "activity_id": rule.activity_id},
        )
    if rule.rule in (CompletionRule.ASSIGNMENT_SUBMIT, CompletionRule.ASSIGNMENT_PASS):
        message = (
            "This lesson completes when your assignment gets a passing grade."
            if rule.rule == CompletionRule.ASSIGNMENT_PASS
            else "This lesson completes when you hand in its assignment."
        )
        return RequestDecision(
            False,
            rule,
            "completes_with_assignment",
            message,
            {"rule": rule.rule, "activity_id": rule.activity_id},
        )
    # A video: the learner's request completes it once enough is watched (the heartbeat
    # completes it by itself then; a request matters when the course lowered the threshold
    # after the watching).
    percent = rule.video_percent or 100
    length = video_length_seconds(lesson, progress)
    watched = progress.watched_seconds if progress else 0
    if video_watched_enough(watched, length, percent):
        return RequestDecision(True, rule)
    return RequestDecision(
        False,
        rule,
        "video_not_watched",
        f"Watch at least {percent} % of the video first.",
        {
            "watched_seconds": watched,
            # None: the length is not known yet (no duration, no heartbeat with one).
            "needed_seconds": video_needed_seconds(length, percent) if length else None,
            "video_percent": percent,
        },
    )
