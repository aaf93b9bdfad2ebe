"""Outbox handlers of the enrollments topics (emails on `emails`, recomputes on `progress`).

Handlers reload by id and skip what no longer applies (a learner who dropped before the
promotion email left gets nothing), so running one twice is harmless.
"""

import logging
from typing import Any

from celery import shared_task

from accounts.emails import email_send
from enrollments.models import Enrollment
from enrollments.services import progress_recompute
from lms.links import link
from lms.outbox.handlers import outbox_handler, register_task_handler

logger = logging.getLogger(__name__)


def _enrollment(payload: dict[str, Any], statuses: tuple[str, ...]) -> Enrollment | None:
    enrollment = (
        Enrollment.objects.select_related("user", "course")
        .filter(pk=int(payload["enrollment_id"]))
        .first()
    )
    if enrollment is None or enrollment.status not in statuses or not enrollment.user.is_active:
        logger.info("enrollments email skipped: no longer applies", extra={"payload": payload})
        return None
    return enrollment


def _send(enrollment: Enrollment, name: str, message_id: int, **extra: Any) -> None:
    email_send(
        template_dir="enrollments/email",
        user=enrollment.user,
        name=name,
        context={
            "course": enrollment.course,
            "course_url": link("course", slug=enrollment.course.slug),
            "my_learning_url": link("my_learning"),
            **extra,
        },
        message_id=message_id,
    )


@outbox_handler("enrollments.enrolled", queue="emails")
def send_enrollment_confirmation(message_id: int, payload: dict[str, Any]) -> None:
    enrollment = _enrollment(payload, (Enrollment.Status.ACTIVE, Enrollment.Status.WAITLISTED))
    if enrollment is not None:
        _send(enrollment, "enrolled", message_id, status=payload.get("status"))


@outbox_handler("enrollments.waitlist_promoted", queue="emails")
def send_waitlist_promotion(message_id: int, payload: dict[str, Any]) -> None:
    enrollment = _enrollment(payload, Enrollment.SEATED)
    if enrollment is not None:
        _send(enrollment, "waitlist_promoted", message_id)


@outbox_handler("enrollments.course_completed", queue="emails")
def send_course_completed(message_id: int, payload: dict[str, Any]) -> None:
    enrollment = _enrollment(payload, (Enrollment.Status.COMPLETED,))
    if enrollment is not None:
        _send(enrollment, "course_completed", message_id)


@shared_task(
    name="enrollments.tasks.progress_recompute_task",
    queue="progress",
    acks_late=True,
    time_limit=900,
    soft_time_limit=840,
)
def progress_recompute_task(message_id: int | None, payload: dict[str, Any]) -> int:
    """Recomputes a course's rollups in batches, one short transaction each (not one
    transaction for the whole course, hence no @outbox_handler wrapper). Idempotent on
    its own: running it twice writes nothing the second time."""
    return progress_recompute(course_id=int(payload["course_id"]))


register_task_handler(
    topic="enrollments.progress_recompute", task=progress_recompute_task, queue="progress"
)
