"""Starts and submits under real concurrency (PostgreSQL, real transactions, 100 threads).

The races are made deterministic by lms.testing.run_together: the threads are held at the
service's race point, between its check (no attempt in progress and the last number; the
attempt not submitted yet) and its write, until all that can get there have. Without the
database's unique constraints (starts) or the attempt row lock (submits), every run
breaks the rule, not one run in a few. Tokens and rows are made beforehand, in the main
thread.
"""

import pytest

from enrollments.models import Enrollment
from lms.testing import client_for, run_together
from quizzes.models import Attempt, AttemptAnswer
from quizzes.services.attempts import RACE_START_CHECKED, RACE_SUBMIT_CHECKED
from quizzes.tests.conftest import correct_response

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 100


@pytest.fixture(autouse=True)
def _no_user_throttle(settings):
    """One learner sends 100+ requests at once here; the per-user rate is not under test."""
    rest = dict(settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"] = {**rest["DEFAULT_THROTTLE_RATES"], "user": "100000/min"}
    settings.REST_FRAMEWORK = rest


def test_hundred_concurrent_starts_make_one_attempt_in_progress(people, quiz_factory):
    quiz = quiz_factory(kinds=("single", "numeric"), max_attempts=3)
    client = client_for(people.student)
    url = f"/api/v1/quizzes/{quiz.pk}/attempts/"

    results = run_together(
        [lambda: client.post(url) for _ in range(THREADS)], hold_at=RACE_START_CHECKED
    )

    statuses = [r.status_code for r in results]
    assert set(statuses) <= {200, 201}, statuses
    assert statuses.count(201) == 1
    assert {r.json()["data"]["id"] for r in results} == {Attempt.objects.get(quiz=quiz).pk}
    assert AttemptAnswer.objects.filter(attempt__quiz=quiz).count() == 2


def test_hundred_concurrent_start_and_submit_never_exceed_the_attempts_allowed(
    people, quiz_factory
):
    quiz = quiz_factory(kinds=("true_false",), max_attempts=3)
    Enrollment.objects.filter(user=people.student).update(extra_attempts=2)
    client = client_for(people.student)
    url = f"/api/v1/quizzes/{quiz.pk}/attempts/"

    def start_and_submit() -> tuple[int, int | None]:
        started = client.post(url)
        if started.status_code not in (200, 201):
            return started.status_code, None
        attempt_id = started.json()["data"]["id"]
        submitted = client.post(f"/api/v1/attempts/{attempt_id}/submit/")
        return started.status_code, submitted.status_code

    results = run_together([start_and_submit for _ in range(THREADS)], hold_at=RACE_START_CHECKED)

    attempts = Attempt.objects.filter(quiz=quiz, user=people.student)
    assert attempts.count() == 5  # 3 + 2 extra, never more
    assert sorted(attempts.values_list("number", flat=True)) == [1, 2, 3, 4, 5]
    assert attempts.filter(status="in_progress").count() == 0
    assert {status for status, _ in results} <= {200, 201, 403}
    refused = [r for r in results if r[0] == 403]
    assert refused and all(r[1] is None for r in refused)
    assert all(r[1] == 200 for r in results if r[0] in (200, 201))


def test_hundred_concurrent_submits_grade_once(people, quiz_factory, signals):
    quiz = quiz_factory(kinds=("single", "numeric", "ordering"))
    client = client_for(people.student)
    attempt_id = client.post(f"/api/v1/quizzes/{quiz.pk}/attempts/").json()["data"]["id"]
    body = {
        "answers": [
            {"answer_id": a.pk, "response": correct_response(a.question)}
            for a in AttemptAnswer.objects.filter(attempt_id=attempt_id).select_related("question")
        ]
    }
    assert (
        client.put(f"/api/v1/attempts/{attempt_id}/answers/", body, format="json").status_code
        == 200
    )
    url = f"/api/v1/attempts/{attempt_id}/submit/"

    results = run_together(
        [lambda: client.post(url) for _ in range(THREADS)], hold_at=RACE_SUBMIT_CHECKED
    )

    assert [r.status_code for r in results] == [200] * THREADS
    bodies = {str(r.json()["data"]["results"]) for r in results}
    assert len(bodies) == 1  # every caller sees the one result
    attempt = Attempt.objects.get(pk=attempt_id)
    assert attempt.status == "submitted" and str(attempt.score) == "6.00"
    assert len(signals.scores) == 1  # one grading, one score sent to the gradebook
    assert signals.scores[0]["points_earned"] == attempt.score
