"""Fixtures of the enrollments tests: API clients per role and a published free course
with a team (owner, co-instructor, TA), two students, another instructor and an admin."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.auth_helpers import client_for
from accounts.tests.factories import AdminFactory, InstructorFactory, UserFactory
from courses.models import Course, CourseStaff, Lesson
from courses.tests.factories import CourseFactory, LessonFactory, ModuleFactory

ROLES = ("anonymous", "student", "other_student", "instructor", "other_instructor", "admin")


@pytest.fixture
def as_user() -> Callable[[User | None], APIClient]:
    return client_for


@dataclass
class People:
    owner: User
    instructor: User  # co-instructor on the course team
    ta: User
    other_instructor: User  # an instructor, not on this team
    student: User
    other_student: User
    admin: User

    def user(self, role: str) -> User | None:
        return None if role == "anonymous" else getattr(self, role)


@pytest.fixture
def people(db) -> People:
    return People(
        owner=InstructorFactory(),
        instructor=InstructorFactory(),
        ta=UserFactory(),
        other_instructor=InstructorFactory(),
        student=UserFactory(),
        other_student=UserFactory(),
        admin=AdminFactory(),
    )


def make_course(people: People | None = None, *, lessons: int = 3, **kwargs) -> Course:
    """A published course (free unless told), one module with `lessons` text lessons."""
    kwargs.setdefault("published", True)
    course = CourseFactory(**kwargs)
    if people is not None:
        CourseStaff.objects.create(course=course, user=people.owner, role="owner")
        CourseStaff.objects.create(course=course, user=people.instructor, role="instructor")
        CourseStaff.objects.create(course=course, user=people.ta, role="ta")
    module = ModuleFactory(course=course)
    for _ in range(lessons):
        LessonFactory(module=module)
    return course


def lessons_of(course: Course) -> list[Lesson]:
    return list(
        Lesson.objects.filter(module__course=course).order_by("module__position", "position")
    )


@pytest.fixture
def course(people: People) -> Course:
    return make_course(people)
