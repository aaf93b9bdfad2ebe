"""The topic -> Celery task registry that the relay reads.

Handlers live in an app's tasks.py (or a module it imports), so Celery's worker and the
relay's discovery (services._discover_handlers) both see them.
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.db import IntegrityError, transaction

from lms.outbox.models import ProcessedMessage

logger = logging.getLogger(__name__)

HandlerFunc = Callable[[int, dict[str, Any]], None]


@dataclass(frozen=True)
class Handler:
    topic: str
    task_name: str
    queue: str


_registry: dict[str, dict[str, Handler]] = {}
_lock = threading.Lock()


def known_queues() -> set[str]:
    return {queue.name for queue in settings.CELERY_TASK_QUEUES}


def register_task_handler(*, topic: str, task: Task, queue: str = "default") -> Handler:
    """Routes a topic to an existing Celery task, as is, with no consumer dedupe.

    For tasks that are idempotent on their own; everything else uses @outbox_handler.
    """
    return _register(topic=topic, task_name=task.name, queue=queue)


def _register(*, topic: str, task_name: str, queue: str) -> Handler:
    if queue not in known_queues():
        raise ValueError(f"Unknown queue {queue!r}; known: {sorted(known_queues())}")
    handler = Handler(topic=topic, task_name=task_name, queue=queue)
    with _lock:
        for other_topic, handlers in _registry.items():
            if task_name in handlers and other_topic != topic:
                raise ValueError(f"Task {task_name!r} already handles topic {other_topic!r}")
        _registry.setdefault(topic, {})[task_name] = handler
    return handler


def handlers_for(topic: str) -> list[Handler]:
    with _lock:
        return list(_registry.get(topic, {}).values())


def outbox_handler(
    topic: str, *, queue: str = "default", name: str | None = None, **task_options: Any
) -> Callable[[HandlerFunc], Task]:
    """Registers func(message_id, payload) as a Celery task consuming `topic` on `queue`.

    The effect is applied once per message however often it is delivered: the task inserts
    a ProcessedMessage row and runs func in one transaction, and a second delivery finds the
    row and returns. Effects outside the database (email, HTTP) are at-least-once; give
    them an idempotency key derived from message_id where the other side supports one.
    """
    if queue not in known_queues():
        raise ValueError(f"Unknown queue {queue!r}; known: {sorted(known_queues())}")

    def decorator(func: HandlerFunc) -> Task:
        handler_name = name or f"{func.__module__}.{func.__qualname__}"

        def run(message_id: int, payload: dict[str, Any]) -> None:
            with transaction.atomic():
                try:
                    # A savepoint, so the duplicate's IntegrityError leaves the outer
                    # transaction usable. A concurrent first delivery holds the unique
                    # index entry, so this waits for it and then sees the duplicate.
                    with transaction.atomic():
                        ProcessedMessage.objects.create(handler=handler_name, message_id=message_id)
                except IntegrityError:
                    logger.info(
                        "outbox message already processed",
                        extra={"handler": handler_name, "message_id": message_id},
                    )
                    return
                func(message_id, payload)

        run.__name__ = func.__name__
        run.__qualname__ = func.__qualname__
        run.__module__ = func.__module__
        run.__doc__ = func.__doc__
        task = shared_task(name=handler_name, queue=queue, **task_options)(run)
        _register(topic=topic, task_name=handler_name, queue=queue)
        return task

    return decorator
