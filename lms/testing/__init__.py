"""Test scaffolding shared by every app's tests: one cast of people, one course builder,
API clients per role, and a deterministic concurrency helper.

Test code only (the layers contract lists it as an exception: it builds users and
courses through accounts', courses' and enrollments' factories and services).
"""

from lms.testing.cast import ROLES, STAFF_ROLES, Cast, cast_create, client_for
from lms.testing.concurrency import run_together
from lms.testing.courses import course_lessons, make_course
from lms.testing.snapshots import unchanged

__all__ = [
    "ROLES",
    "STAFF_ROLES",
    "Cast",
    "cast_create",
    "client_for",
    "course_lessons",
    "make_course",
    "run_together",
    "unchanged",
]
