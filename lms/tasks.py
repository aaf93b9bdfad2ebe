"""Background work of the platform core: re-applying cache version bumps that could not
reach Redis when they were made (outbox topic `cache.bump`, see lms.cache)."""

from typing import Any

from celery import shared_task

from lms.cache import BUMP_TOPIC, scope_bump_now
from lms.outbox.handlers import register_task_handler


@shared_task(name="lms.tasks.cache_bump_task", acks_late=True, ignore_result=True)
def cache_bump_task(message_id: int | None, payload: dict[str, Any]) -> None:
    """Moves the scopes' versions forward. Idempotent in effect (a second bump only
    invalidates once more); CacheUnavailable is a ConnectionError, so it is retried."""
    scope_bump_now([str(scope) for scope in payload["scopes"]])


register_task_handler(topic=BUMP_TOPIC, task=cache_bump_task)
