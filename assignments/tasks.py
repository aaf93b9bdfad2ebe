"""Outbox handler of the gradebook recompute (queue `progress`)."""

from typing import Any

from celery import shared_task

from assignments.services import course_grades_recompute
from assignments.services.gradebook import RECOMPUTE_TOPIC
from lms.outbox.handlers import register_task_handler


@shared_task(
    name="assignments.tasks.gradebook_recompute_task",
    queue="progress",
    acks_late=True,
    time_limit=900,
    soft_time_limit=840,
)
def gradebook_recompute_task(message_id: int | None, payload: dict[str, Any]) -> int:
    """Recomputes a course's stored grades in batches, one short transaction each.
    Idempotent on its own: a second run changes nothing."""
    return course_grades_recompute(course_id=int(payload["course_id"]))


register_task_handler(topic=RECOMPUTE_TOPIC, task=gradebook_recompute_task, queue="progress")
