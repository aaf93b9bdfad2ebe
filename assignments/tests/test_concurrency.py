"""50 concurrent grade writes for different items of one learner (real PostgreSQL
transactions, through the API): no update of the stored course grade is lost."""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection

from assignments.models import CourseGrade, Score, Submission
from assignments.services import course_grade_result, submission_create
from assignments.tests.conftest import client_for, make_course
from assignments.tests.factories import make_assignment

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


def test_fifty_concurrent_grade_writes_lose_no_update(people):
    course = make_course(people)
    assignments = [
        make_assignment(course, title=f"A{n}", points_possible=Decimal(10 + n)) for n in range(50)
    ]
    submissions = [
        submission_create(assignment=a, user=people.student, text=f"work {a.pk}")
        for a in assignments
    ]
    grader = client_for(people.ta)  # the token is made before the race
    points = {s.pk: Decimal(n % 10 + 1) for n, s in enumerate(submissions)}

    statuses = run_together(
        [
            lambda s=s: (
                grader.post(
                    f"/api/v1/submissions/{s.pk}/grade/",
                    {"points": str(points[s.pk]), "release": True},
                ).status_code
            )
            for s in submissions
        ]
    )

    assert statuses == [201] * 50
    assert Score.objects.filter(user=people.student, points__isnull=False).count() == 50
    stored = CourseGrade.objects.get(course=course, user=people.student)
    recomputed = course_grade_result(course_id=course.pk, user_id=people.student.pk)
    assert stored.percent == recomputed.percent
    assert stored.letter == recomputed.letter
    # And by hand: one category (Assignments), so earned / possible over all 50.
    possible = sum(Decimal(10 + n) for n in range(50))
    expected = (sum(points.values()) * 100 / possible).quantize(Decimal("0.01"))
    assert stored.percent == expected


def test_concurrent_submits_of_one_learner_all_get_their_own_version(people):
    course = make_course(people)
    assignment = make_assignment(course, max_resubmissions=20)
    client = client_for(people.student)
    url = f"/api/v1/assignments/{assignment.pk}/submissions/"

    statuses = run_together(
        [lambda n=n: client.post(url, {"text": f"draft {n}"}).status_code for n in range(10)]
    )

    assert statuses == [201] * 10
    versions = sorted(
        Submission.objects.filter(assignment=assignment).values_list("version", flat=True)
    )
    assert versions == list(range(1, 11))
    texts = set(Submission.objects.filter(assignment=assignment).values_list("text", flat=True))
    assert texts == {f"draft {n}" for n in range(10)}
