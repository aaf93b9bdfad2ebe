"""Who may do what with quizzes, and when results and correct answers may be shown.

- the course team (owner, instructor, TA) and admins see every quiz of the course, its
  questions with their keys, every attempt, the grading queue and the statistics;
  owners, instructors and admins author (quizzes, banks, questions); TAs grade;
- a learner with a seat (active or completed enrollment) sees the course's published
  quizzes and takes them within their window; they see only their own attempts;
- everyone else: 404.

Results (score, points per answer, feedback) and correct answers (keys, correctness) each
follow one of the quiz's reveal policies: never, after submit, after the due date, after
the quiz closes. Correct answers are never shown before results.
"""

from datetime import datetime
from typing import Any

from courses.permissions import can_edit_course, can_teach
from enrollments.models import Enrollment
from enrollments.permissions import seated_enrollment
from quizzes.models import Attempt, Quiz


def can_author(user: Any, quiz_or_course: Any) -> bool:
    course = getattr(quiz_or_course, "course", quiz_or_course)
    return can_edit_course(user, course)


def can_grade(user: Any, quiz: Quiz) -> bool:
    return can_teach(user, quiz.course)


def learner_enrollment(user: Any, quiz: Quiz) -> Enrollment | None:
    """The seat that lets the user take the quiz (with its accommodations), or None."""
    if not quiz.published:
        return None
    return seated_enrollment(user, quiz.course)


def can_view_quiz(user: Any, quiz: Quiz) -> bool:
    return can_teach(user, quiz.course) or learner_enrollment(user, quiz) is not None


def can_view_attempt(user: Any, attempt: Attempt) -> bool:
    """Its learner (while they may still see the quiz) and the course team."""
    if can_teach(user, attempt.quiz.course):
        return True
    return attempt.user_id == getattr(user, "pk", None) and can_view_quiz(user, attempt.quiz)


def reveal_reached(policy: str, quiz: Quiz, attempt: Attempt, now: datetime) -> bool:
    """A policy keyed on a date the quiz does not have is not reached (the services refuse
    such settings; this keeps old rows safe too)."""
    if attempt.status != Attempt.Status.SUBMITTED:
        return False
    if policy == Quiz.Reveal.AFTER_SUBMIT:
        return True
    if policy == Quiz.Reveal.AFTER_DUE:
        return quiz.due_at is not None and now >= quiz.due_at
    if policy == Quiz.Reveal.AFTER_CLOSE:
        return quiz.closes_at is not None and now >= quiz.closes_at
    return False


def results_visible(quiz: Quiz, attempt: Attempt, now: datetime) -> bool:
    return reveal_reached(quiz.results_policy, quiz, attempt, now)


def answers_visible(quiz: Quiz, attempt: Attempt, now: datetime) -> bool:
    return results_visible(quiz, attempt, now) and reveal_reached(
        quiz.answers_policy, quiz, attempt, now
    )
