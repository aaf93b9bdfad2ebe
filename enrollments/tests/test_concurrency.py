"""Capacity and completions under real concurrency (PostgreSQL, real transactions).

Deterministic, not lucky: lms.testing.run_together holds the racing threads at the
service's race point, between its check and its write, so without the row lock the
service takes every run breaks the rule (each held thread has checked before any of them
writes); with the lock the first thread waits there alone and the rest follow one by one.

A held thread keeps its pooled database connection (DB_POOL_MAX_SIZE, 4 by default), so
the threads meet in groups of HOLD: small enough for the pool, and not a divisor of the
numbers raced for (10 seats, 8 lessons), so a group always straddles the limit.
"""

import pytest
from django.conf import settings
from django.db import connection

from accounts.tests.factories import UserFactory
from enrollments.models import Enrollment, LessonCompletion
from enrollments.services import enrollment_create, enrollment_drop
from enrollments.services.enrollment import SEAT_CHECKED
from enrollments.services.progress import COMPLETION_CHECKED, ROLLUP_COUNTED
from lms.testing import client_for, course_lessons, make_course, run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

HOLD = 3


@pytest.fixture(autouse=True)
def _pool_fits_the_groups() -> None:
    pool = settings.DATABASES["default"].get("OPTIONS", {}).get("pool", {})
    assert pool.get("max_size", 0) >= HOLD, "the held threads need HOLD pooled connections"


def test_fifty_enrolls_for_ten_seats():
    course = make_course(capacity=10, lessons=1)
    users = [UserFactory() for _ in range(50)]
    clients = [client_for(user) for user in users]  # tokens made before the race
    url = f"/api/v1/courses/{course.slug}/enroll/"
    connection.close()  # back to the pool: the racing threads need the connections

    statuses = run_together(
        [lambda c=c: c.post(url).status_code for c in clients],
        hold_at=SEAT_CHECKED,
        hold_parties=HOLD,
    )

    assert statuses == [201] * 50
    rows = Enrollment.objects.filter(course=course)
    assert rows.count() == 50
    assert rows.values("user_id").distinct().count() == 50
    assert rows.filter(status="active").count() == 10
    assert rows.filter(status="waitlisted").count() == 40
    course.refresh_from_db()
    assert course.enrollment_count == 10

    first_waiting = rows.filter(status="waitlisted").order_by("waitlisted_at", "id").first()
    assert first_waiting is not None
    enrollment_drop(enrollment=rows.filter(status="active").first())
    first_waiting.refresh_from_db()
    assert first_waiting.status == "active"
    assert rows.filter(status="active").count() == 10
    assert rows.filter(status="waitlisted").count() == 39
    course.refresh_from_db()
    assert course.enrollment_count == 10


def test_twenty_concurrent_completions_count_once():
    course = make_course(lessons=4)
    user = UserFactory()
    enrollment = enrollment_create(user=user, course=course)
    lesson = course_lessons(course)[0]
    client = client_for(user)
    url = f"/api/v1/lessons/{lesson.pk}/complete/"
    connection.close()

    responses = run_together(
        [lambda: client.post(url) for _ in range(20)],
        hold_at=COMPLETION_CHECKED,
        hold_parties=HOLD,
    )

    assert [r.status_code for r in responses] == [200] * 20
    assert sum(r.json()["data"]["created"] for r in responses) == 1
    assert LessonCompletion.objects.filter(enrollment=enrollment, lesson=lesson).count() == 1
    enrollment.refresh_from_db()
    assert (enrollment.completed_count, enrollment.required_total, enrollment.percent) == (1, 4, 25)


def test_concurrent_completions_of_different_lessons_lose_no_update():
    course = make_course(lessons=8)
    user = UserFactory()
    enrollment = enrollment_create(user=user, course=course)
    client = client_for(user)
    urls = [f"/api/v1/lessons/{lesson.pk}/complete/" for lesson in course_lessons(course)]
    connection.close()

    statuses = run_together(
        [lambda u=u: client.post(u).status_code for u in urls],
        hold_at=ROLLUP_COUNTED,
        hold_parties=HOLD,
    )

    assert statuses == [200] * 8
    enrollment.refresh_from_db()
    assert (enrollment.completed_count, enrollment.percent, enrollment.status) == (
        8,
        100,
        "completed",
    )
