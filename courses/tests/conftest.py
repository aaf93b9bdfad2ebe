"""Fixtures of the courses tests: authenticated API clients per role, a course team."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.auth_helpers import client_for
from accounts.tests.factories import AdminFactory, InstructorFactory, UserFactory
from courses.models import Course, CourseStaff
from courses.tests.factories import CourseFactory, LessonFactory, ModuleFactory


@pytest.fixture
def as_user() -> Callable[[User | None], APIClient]:
    return client_for


@dataclass
class Team:
    owner: User
    instructor: User  # co-instructor on the team
    ta: User
    other_instructor: User  # an instructor, not on this team
    student: User
    admin: User

    def user(self, actor: str) -> User | None:
        return None if actor == "anonymous" else getattr(self, actor)


def add_team(course: Course, team: Team) -> Course:
    CourseStaff.objects.create(course=course, user=team.owner, role=CourseStaff.Role.OWNER)
    CourseStaff.objects.create(
        course=course, user=team.instructor, role=CourseStaff.Role.INSTRUCTOR
    )
    CourseStaff.objects.create(course=course, user=team.ta, role=CourseStaff.Role.TA)
    return course


@pytest.fixture
def team(db) -> Team:
    return Team(
        owner=InstructorFactory(),
        instructor=InstructorFactory(),
        ta=UserFactory(),
        other_instructor=InstructorFactory(),
        student=UserFactory(),
        admin=AdminFactory(),
    )


@pytest.fixture
def make_course(team: Team) -> Callable[..., Course]:
    """A course with the team, one module and one lesson."""

    def make(*, published: bool = False, **kwargs) -> Course:
        course = add_team(CourseFactory(published=published, **kwargs), team)
        LessonFactory(module=ModuleFactory(course=course))
        return course

    return make
