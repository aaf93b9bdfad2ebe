"""The server's clock: deadlines with accommodations and the closing time, the grace
after the deadline, and expired attempts submitted with their saved answers (by the
periodic task and on read)."""

from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from enrollments.models import Enrollment
from lms.testing import client_for
from quizzes.models import Attempt, AttemptAnswer
from quizzes.services import grace
from quizzes.tasks import attempts_expire_task
from quizzes.tests.conftest import correct_response

pytestmark = pytest.mark.django_db


def start(client, quiz) -> int:
    response = client.post(f"/api/v1/quizzes/{quiz.pk}/attempts/")
    assert response.status_code == 201, response.content
    return response.json()["data"]["id"]


def save_first(client, attempt_id):
    answer = AttemptAnswer.objects.select_related("question").get(attempt_id=attempt_id, position=0)
    body = {"answers": [{"answer_id": answer.pk, "response": correct_response(answer.question)}]}
    return client.put(f"/api/v1/attempts/{attempt_id}/answers/", body, format="json")


def move_deadline(attempt_id: int, *, ago: timedelta) -> None:
    deadline = timezone.now() - ago
    Attempt.objects.filter(pk=attempt_id).update(
        deadline=deadline, started_at=deadline - timedelta(minutes=10)
    )


def test_accommodation_multiplier_extends_the_deadline(people, quiz_factory):
    quiz = quiz_factory(kinds=("true_false",), time_limit_minutes=20)
    Enrollment.objects.filter(user=people.student).update(time_multiplier=Decimal("1.5"))
    a = Attempt.objects.get(pk=start(client_for(people.student), quiz))
    b = Attempt.objects.get(pk=start(client_for(people.other_student), quiz))
    assert a.deadline - a.started_at == timedelta(minutes=30)
    assert b.deadline - b.started_at == timedelta(minutes=20)


def test_the_deadline_never_passes_the_closing_time(people, quiz_factory):
    closes = timezone.now() + timedelta(minutes=10)
    quiz = quiz_factory(kinds=("true_false",), time_limit_minutes=60, closes_at=closes)
    attempt = Attempt.objects.get(pk=start(client_for(people.student), quiz))
    assert attempt.deadline == closes


def test_an_answer_within_the_grace_is_saved_and_after_it_refused(people, quiz_factory):
    quiz = quiz_factory(kinds=("single", "true_false"), time_limit_minutes=10)
    client = client_for(people.student)
    attempt_id = start(client, quiz)

    move_deadline(attempt_id, ago=grace() - timedelta(seconds=5))
    assert save_first(client, attempt_id).status_code == 200

    move_deadline(attempt_id, ago=grace() + timedelta(seconds=1))
    refused = save_first(client, attempt_id)
    assert refused.status_code == 409
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["code"] == "deadline_passed"
    attempt = Attempt.objects.get(pk=attempt_id)
    deadline = attempt.deadline.astimezone(UTC).isoformat().replace("+00:00", "Z")
    assert refused.json()["deadline"] == deadline  # ends in Z like every datetime
    # Submitted with the answer saved in time: the single choice earned its 2 points.
    assert attempt.status == "submitted" and attempt.auto_submitted
    assert attempt.score == Decimal("2.00")
    assert attempt.submitted_at == attempt.deadline


def test_the_periodic_task_submits_expired_attempts_with_their_saved_answers(
    people, quiz_factory, signals
):
    quiz = quiz_factory(kinds=("single", "true_false"), time_limit_minutes=5)
    client = client_for(people.student)
    expired = start(client, quiz)
    assert save_first(client, expired).status_code == 200
    running = start(client_for(people.other_student), quiz)
    move_deadline(expired, ago=grace() + timedelta(minutes=1))

    assert attempts_expire_task() == 1
    assert attempts_expire_task() == 0  # idempotent
    attempt = Attempt.objects.get(pk=expired)
    assert (attempt.status, attempt.auto_submitted, attempt.score) == (
        "submitted", True, Decimal("2.00")
    )  # fmt: skip
    assert Attempt.objects.get(pk=running).status == "in_progress"
    assert signals.scores[-1]["user_id"] == people.student.pk


def test_an_expired_attempt_is_submitted_on_read(people, quiz_factory):
    quiz = quiz_factory(kinds=("true_false",), time_limit_minutes=5, max_attempts=2)
    client = client_for(people.student)
    attempt_id = start(client, quiz)
    move_deadline(attempt_id, ago=grace() + timedelta(seconds=1))
    data = client.get(f"/api/v1/attempts/{attempt_id}/").json()["data"]
    assert data["status"] == "submitted" and data["auto_submitted"] is True
    # Starting again submits nothing twice and opens attempt 2.
    second = client.post(f"/api/v1/quizzes/{quiz.pk}/attempts/")
    assert second.status_code == 201 and second.json()["data"]["number"] == 2


def test_an_expired_attempt_stays_submitted_when_the_quiz_has_closed_since(people, quiz_factory):
    from quizzes.models import Quiz

    quiz = quiz_factory(kinds=("true_false",), time_limit_minutes=5, max_attempts=2)
    client = client_for(people.student)
    attempt_id = start(client, quiz)
    move_deadline(attempt_id, ago=grace() + timedelta(minutes=1))
    Quiz.objects.filter(pk=quiz.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    refused = client.post(f"/api/v1/quizzes/{quiz.pk}/attempts/")
    assert refused.status_code == 403 and refused.json()["code"] == "quiz_closed"
    assert Attempt.objects.get(pk=attempt_id).status == "submitted"
