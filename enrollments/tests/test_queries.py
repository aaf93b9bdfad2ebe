"""Lists run a constant number of queries: my enrollments, the roster, the outline."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from courses.tests.factories import LessonFactory
from enrollments.services import enrollment_create, lesson_complete
from lms.testing import client_for, course_lessons, make_course

pytestmark = pytest.mark.django_db


def count_queries(client, url) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, {"page_size": 100})
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), response.json()


def test_my_enrollments_constant_queries(cast):
    def setup(n: int):
        user = UserFactory()
        for _ in range(n):
            course = make_course(lessons=2)
            enrollment = enrollment_create(user=user, course=course)
            lesson_complete(enrollment=enrollment, lesson=course_lessons(course)[0])
        return client_for(user)

    small, body5 = count_queries(setup(5), "/api/v1/enrollments/")
    large, body50 = count_queries(setup(50), "/api/v1/enrollments/")
    assert len(body5["data"]) == 5 and len(body50["data"]) == 50
    assert small == large
    row = body50["data"][0]
    assert row["progress"] == {"completed": 1, "total": 2, "percent": 50}
    assert row["next_lesson"] is not None and row["last_activity_at"]


def test_roster_constant_queries(cast):
    def setup(n: int):
        course = make_course(cast)
        for _ in range(n):
            enrollment_create(user=UserFactory(), course=course)
        return f"/api/v1/courses/{course.slug}/enrollments/"

    client = client_for(cast.owner)
    small, _ = count_queries(client, setup(5))
    large, body = count_queries(client, setup(50))
    assert len(body["data"]) == 50
    assert small == large


def test_outline_with_state_constant_queries(cast):
    def setup(n: int):
        course = make_course(cast, lessons=n)
        extra = LessonFactory(module=course_lessons(course)[0].module, requires_prerequisites=True)
        enrollment = enrollment_create(user=cast.student, course=course)
        lesson_complete(enrollment=enrollment, lesson=course_lessons(course)[0])
        assert extra
        return f"/api/v1/courses/{course.slug}/outline/"

    client = client_for(cast.student)
    small, _ = count_queries(client, setup(5))
    large, body50 = count_queries(client, setup(50))
    assert sum(len(m["lessons"]) for m in body50["data"]["modules"]) == 51
    assert all(
        lesson["state"] is not None for m in body50["data"]["modules"] for lesson in m["lessons"]
    )
    assert small == large
