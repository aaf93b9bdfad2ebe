"""Background work of the quizzes app: regrades after a key changes (outbox topic
`quizzes.question_regrade`) and the periodic expiry of attempts past their deadline.
Both reload by id and are safe to run twice."""

from typing import Any

from celery import shared_task

from lms.outbox.handlers import register_task_handler
from quizzes.services import attempts_expire_due, question_regrade


@shared_task(
    name="quizzes.tasks.question_regrade_task",
    acks_late=True,
    time_limit=900,
    soft_time_limit=840,
)
def question_regrade_task(message_id: int | None, payload: dict[str, Any]) -> int:
    """Batches of attempts, one short transaction each; idempotent (unchanged points are
    not written, so a second run changes nothing)."""
    return question_regrade(question_id=int(payload["question_id"]))


register_task_handler(topic="quizzes.question_regrade", task=question_regrade_task)


@shared_task(name="quizzes.tasks.attempts_expire_task", acks_late=True)
def attempts_expire_task() -> int:
    """Beat runs this every minute: attempts past deadline + grace are submitted."""
    return attempts_expire_due()
