"""Who may do what with assignments, submissions and the gradebook.

One predicate per decision, used alike by the API and the pages:

- the course team and admins (`courses.permissions.can_teach`: owners, instructors, TAs)
  see every assignment and submission, grade, release, excuse and override;
- owners, instructors and admins (`can_edit_course`) also author assignments, grant
  extensions and set categories, weights and the letter scheme;
- learners with a seat (`enrollments.permissions.seated_enrollment`) see published
  assignments of their course, their own submissions and their released grades.

Everything a user may not see answers 404 (`can_view_*` false); a visible object the user
may not act on answers 403.
"""

from typing import Any

from assignments.models import Assignment, Submission
from courses.models import Course
from courses.permissions import can_edit_course, can_teach
from enrollments.permissions import seated_enrollment


def _authenticated(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def is_course_learner(user: Any, course: Course) -> bool:
    return seated_enrollment(user, course) is not None


def can_view_assignment(user: Any, assignment: Assignment) -> bool:
    if can_teach(user, assignment.course):
        return True
    return assignment.is_published and is_course_learner(user, assignment.course)


def can_manage_assignments(user: Any, course: Course) -> bool:
    return can_edit_course(user, course)


def can_grade(user: Any, course: Course) -> bool:
    return can_teach(user, course)


def can_view_submission(user: Any, submission: Submission) -> bool:
    if _authenticated(user) and submission.user_id == user.pk:
        return True
    return can_teach(user, submission.assignment.course)


def can_view_gradebook(user: Any, course: Course) -> bool:
    """The whole grid: the team and admins."""
    return can_teach(user, course)


def can_configure_gradebook(user: Any, course: Course) -> bool:
    """Categories, weights, drops, letter scheme, manual items."""
    return can_edit_course(user, course)


def can_view_own_grades(user: Any, course: Course) -> bool:
    return is_course_learner(user, course)
