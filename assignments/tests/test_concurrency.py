"""Races on real PostgreSQL transactions, through the API, made deterministic by
lms.testing.run_together: the threads are held at the service's race point (between its
check and its write), so without the row lock every run breaks the rule; with it the
first thread waits there alone and the rest follow one by one. The lock under test is the
learner's CourseGrade row (assignments.services.gradebook.lock_course_grade).

A held thread keeps its pooled database connection (DB_POOL_MAX_SIZE, 4 by default), so
the threads meet in groups of HOLD; the test thread gives its own connection back first.
"""

from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection, transaction

from assignments.models import CourseGrade, Score, Submission
from assignments.services import course_grade_refresh, course_grade_result, submission_create
from assignments.tests.factories import LEARNERS, make_assignment
from lms.testing import client_for, make_course, run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

HOLD = 3


@pytest.fixture(autouse=True)
def _pool_fits_the_groups() -> None:
    pool = settings.DATABASES["default"].get("OPTIONS", {}).get("pool", {})
    assert pool.get("max_size", 0) >= HOLD, "the held threads need HOLD pooled connections"


def test_fifty_concurrent_grade_writes_lose_no_update(people):
    course = make_course(people, enroll=LEARNERS)
    assignments = [
        make_assignment(course, title=f"A{n}", points_possible=Decimal(10 + n)) for n in range(50)
    ]
    submissions = [
        submission_create(assignment=a, user=people.student, text=f"work {a.pk}")
        for a in assignments
    ]
    with transaction.atomic():  # the grade row exists, as after any earlier grade
        course_grade_refresh(course_id=course.pk, user_id=people.student.pk)
    graders = [client_for(people.ta) for _ in submissions]  # tokens made before the race
    points = {s.pk: Decimal(n % 10 + 1) for n, s in enumerate(submissions)}
    connection.close()  # back to the pool: the racing threads need the connections

    statuses = run_together(
        [
            lambda s=s, grader=grader: (
                grader.post(
                    f"/api/v1/submissions/{s.pk}/grade/",
                    {"points": str(points[s.pk]), "release": True},
                ).status_code
            )
            for s, grader in zip(submissions, graders, strict=True)
        ],
        hold_at="assignments.course_grade_locked",
        hold_parties=HOLD,
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


def _submit_together(people, assignment, count: int) -> list[tuple[int, str | None]]:
    clients = [client_for(people.student) for _ in range(count)]
    url = f"/api/v1/assignments/{assignment.pk}/submissions/"

    def submit(client, n: int) -> tuple[int, str | None]:
        response = client.post(url, {"text": f"draft {n}"})
        return response.status_code, response.json().get("code")

    connection.close()  # back to the pool: the racing threads need the connections
    return run_together(
        [lambda c=c, n=n: submit(c, n) for n, c in enumerate(clients)],
        hold_at="assignments.submission_version_read",
        hold_parties=HOLD,
    )


def test_concurrent_submits_of_one_learner_all_get_their_own_version(people):
    course = make_course(people, enroll=LEARNERS)
    assignment = make_assignment(course, max_resubmissions=20)
    submission_create(assignment=assignment, user=people.student, text="first")

    results = _submit_together(people, assignment, 10)

    assert [status for status, _ in results] == [201] * 10
    versions = sorted(
        Submission.objects.filter(assignment=assignment).values_list("version", flat=True)
    )
    assert versions == list(range(1, 12))
    texts = set(Submission.objects.filter(assignment=assignment).values_list("text", flat=True))
    assert texts == {"first"} | {f"draft {n}" for n in range(10)}


def test_concurrent_submits_never_exceed_the_resubmission_limit(people):
    course = make_course(people, enroll=LEARNERS)
    assignment = make_assignment(course, max_resubmissions=2)  # three versions in all
    submission_create(assignment=assignment, user=people.student, text="first")

    results = _submit_together(people, assignment, 10)

    assert sorted(results, key=str) == sorted(
        [(201, None)] * 2 + [(403, "no_resubmissions")] * 8, key=str
    )
    versions = Submission.objects.filter(assignment=assignment).values_list("version", flat=True)
    assert sorted(versions) == [1, 2, 3]
