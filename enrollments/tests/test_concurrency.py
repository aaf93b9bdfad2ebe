"""Capacity and completions under real concurrency (PostgreSQL, real transactions).

The pool allows DB_POOL_MAX_SIZE (4) connections per process: threads queue for one, so
every thread closes its connection when done and nothing holds one while waiting on the
barrier (tokens and rows are made beforehand, in the main thread).
"""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from accounts.tests.factories import UserFactory
from enrollments.models import Enrollment, LessonCompletion
from enrollments.services import enrollment_create, enrollment_drop
from enrollments.tests.conftest import client_for, lessons_of, make_course

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(calls: list[Callable[[], int]]) -> list[int]:
    barrier = threading.Barrier(len(calls))

    def worker(call: Callable[[], int]) -> int:
        barrier.wait()  # no connection is held here
        try:
            return call()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(worker, calls))


def test_fifty_enrolls_for_ten_seats():
    course = make_course(capacity=10, lessons=1)
    users = [UserFactory() for _ in range(50)]
    clients = [client_for(user) for user in users]  # tokens made before the race
    url = f"/api/v1/courses/{course.slug}/enroll/"

    statuses = run_together([lambda c=c: c.post(url).status_code for c in clients])

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
    lesson = lessons_of(course)[0]
    client = client_for(user)
    url = f"/api/v1/lessons/{lesson.pk}/complete/"

    statuses = run_together([lambda: client.post(url).status_code for _ in range(20)])

    assert statuses == [200] * 20
    assert LessonCompletion.objects.filter(enrollment=enrollment, lesson=lesson).count() == 1
    enrollment.refresh_from_db()
    assert (enrollment.completed_count, enrollment.required_total, enrollment.percent) == (1, 4, 25)


def test_concurrent_completions_of_different_lessons_lose_no_update():
    course = make_course(lessons=8)
    user = UserFactory()
    enrollment = enrollment_create(user=user, course=course)
    client = client_for(user)
    urls = [f"/api/v1/lessons/{lesson.pk}/complete/" for lesson in lessons_of(course)]

    statuses = run_together([lambda u=u: client.post(u).status_code for u in urls])

    assert statuses == [200] * 8
    enrollment.refresh_from_db()
    assert (enrollment.completed_count, enrollment.percent, enrollment.status) == (
        8,
        100,
        "completed",
    )
