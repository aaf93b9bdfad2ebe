"""Background work through a real Celery worker on Redis: a key change regrades the
submitted attempts (outbox -> relay -> worker), and the expiry task submits an expired
attempt with its saved answers."""

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.utils import timezone

from lms.celery import app as celery_app
from lms.outbox.models import OutboxMessage
from lms.outbox.tests.conftest import publishing_to, purge_queues, wait_until
from lms.testing import client_for
from quizzes import services
from quizzes.models import Attempt, AttemptAnswer, Question
from quizzes.tasks import attempts_expire_task
from quizzes.tests.conftest import correct_response

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def worker(transactional_db: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    with publishing_to(settings.REDIS_URL, monkeypatch):
        purge_queues()
        try:
            with start_worker(
                celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30
            ) as running:
                yield running
        finally:
            purge_queues()


def answered_and_submitted(people, quiz) -> int:
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
    assert client.post(f"/api/v1/attempts/{attempt_id}/submit/").status_code == 200
    return attempt_id


def test_a_key_change_is_regraded_by_the_worker(people, quiz_factory, worker):
    quiz = quiz_factory(kinds=("numeric", "true_false"))
    attempt_id = answered_and_submitted(people, quiz)
    assert Attempt.objects.get(pk=attempt_id).score == Decimal("4.00")
    numeric = Question.objects.get(quiz_items__quiz=quiz, kind="numeric")

    response = client_for(people.owner).patch(
        f"/api/v1/questions/{numeric.pk}/",
        {"key": {"value": "1", "tolerance": "0", "mode": "exact"}},
        format="json",
    )
    assert response.status_code == 200

    def regraded() -> bool:
        return Attempt.objects.get(pk=attempt_id).score == Decimal("2.00")

    assert wait_until(regraded, timeout=30)
    assert OutboxMessage.objects.get(topic="quizzes.question_regrade").sent_at is not None
    attempt = Attempt.objects.get(pk=attempt_id)
    assert attempt.percent == Decimal("50.00")


def test_the_expiry_task_runs_on_the_worker(people, quiz_factory, worker):
    quiz = quiz_factory(kinds=("single",), time_limit_minutes=5)
    client = client_for(people.student)
    attempt_id = client.post(f"/api/v1/quizzes/{quiz.pk}/attempts/").json()["data"]["id"]
    answer = AttemptAnswer.objects.select_related("question").get(attempt_id=attempt_id)
    services.attempt_answers_save(
        attempt=Attempt.objects.get(pk=attempt_id),
        answers=[{"answer_id": answer.pk, "response": correct_response(answer.question)}],
    )
    past = timezone.now() - services.grace() - timedelta(minutes=1)
    Attempt.objects.filter(pk=attempt_id).update(deadline=past)

    attempts_expire_task.delay()

    def submitted() -> bool:
        return Attempt.objects.get(pk=attempt_id).status == "submitted"

    assert wait_until(submitted, timeout=30)
    attempt = Attempt.objects.get(pk=attempt_id)
    assert attempt.auto_submitted and attempt.score == Decimal("2.00")
