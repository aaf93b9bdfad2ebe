"""Writes of the outbox: publish in the caller's transaction, relay to Celery, purge."""

import functools
import json
import logging
import random
from contextlib import AbstractContextManager, nullcontext
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.transaction import TransactionManagementError
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from lms.cache.outage import Outage, outage_named, redact_url
from lms.celery import app as celery_app
from lms.outbox.handlers import handlers_for
from lms.outbox.models import OutboxMessage, ProcessedMessage

logger = logging.getLogger(__name__)

TOPIC_MAX_LENGTH = OutboxMessage._meta.get_field("topic").max_length or 200
LAST_ERROR_MAX_LENGTH = 2000


class OutboxPublishOutsideTransaction(TransactionManagementError):
    """outbox_publish was called in autocommit mode, outside the business transaction."""


def outbox_publish(*, topic: str, payload: dict[str, Any]) -> OutboxMessage:
    """Writes a message in the caller's transaction; it is relayed only if that commits.

    The payload reaches handlers as JSON, so it must be plain JSON (str keys; str, int,
    float, bool, None, lists and dicts): pass ids and primitives, never model instances.
    """
    connection = transaction.get_connection()
    # Outside atomic the row would commit on its own: a message about a change that may
    # still roll back, or a change whose message is lost if the process dies in between.
    if not connection.in_atomic_block:
        raise OutboxPublishOutsideTransaction(
            "outbox_publish must be called inside transaction.atomic, with the change it reports"
        )
    if not topic or len(topic) > TOPIC_MAX_LENGTH:
        raise ValueError(f"An outbox topic is 1 to {TOPIC_MAX_LENGTH} characters: {topic!r}")
    if not isinstance(payload, dict):
        raise TypeError(f"An outbox payload is a dict, not {type(payload).__name__}")
    try:
        json.dumps(payload, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"An outbox payload must be plain JSON: {exc}") from exc

    message = OutboxMessage.objects.create(topic=topic, payload=payload)
    if not _nudge_pending(connection):
        transaction.on_commit(_nudge_relay)
    return message


def _nudge_pending(connection: BaseDatabaseWrapper) -> bool:
    # One nudge per transaction is enough however many messages it publishes. An entry
    # registered in a savepoint that rolled back is gone from the list, so it is re-added.
    return any(_nudge_relay in entry for entry in connection.run_on_commit)


# After a failed nudge the broker is left alone for this long: each request would
# otherwise wait out the same connect timeout again. The scheduled relay runs meanwhile.
NUDGE_BACKOFF_SECONDS = 5.0


def broker_outage() -> Outage:
    """The broker's outage state in this process (lms.cache.outage): one log line per
    outage, shared by the nudge and the relay."""
    broker = redact_url(str(celery_app.conf.broker_url))
    return outage_named(f"celery broker at {broker}", backoff=NUDGE_BACKOFF_SECONDS)


def _nudge_relay() -> None:
    from lms.outbox.tasks import outbox_relay_task  # tasks imports this module

    # The change and its message are committed; if the broker cannot take the nudge, the
    # beat-scheduled relay sends the message. Raising here would only turn a committed
    # request into an error response; the outage is logged once per window, not per call.
    outage = broker_outage()
    if not outage.available():
        return
    try:
        outbox_relay_task.delay()
    except Exception as exc:
        outage.failed(exc)
    else:
        outage.recovered()


def outbox_relay(*, batch_size: int = 100) -> int:
    """Publishes one batch of due, unsent messages to their handlers' queues.

    Returns how many messages were marked sent. Safe to run concurrently: each relay locks
    its batch with SKIP LOCKED, so relays share the backlog instead of duplicating it. A
    message is marked sent only after every handler's task was accepted by the broker; a
    crash in between re-sends it, which consumer dedupe (@outbox_handler) absorbs.
    """
    _discover_handlers()
    # With eager Celery (the embedded default) handlers run here, in this transaction.
    eager = bool(celery_app.conf.task_always_eager)
    with transaction.atomic():
        batch = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(sent_at__isnull=True, available_at__lte=timezone.now())
            .order_by("id")[:batch_size]
        )
        if not batch:
            return 0
        sent: list[int] = []
        failed: OutboxMessage | None = None
        try:
            with _producer(eager) as producer:
                for message in batch:
                    try:
                        _dispatch(message, producer=producer, eager=eager)
                    except Exception as exc:
                        if eager:
                            _record_failure(message, exc)
                            continue  # a handler failed; the other messages are unaffected
                        # Broker trouble: each further publish would wait out the same
                        # timeouts. The rest of the batch stays due for the next round.
                        _record_failure(message, exc, log=False)
                        broker_outage().failed(exc)  # one log line per outage
                        failed = message
                        break
                    sent.append(message.pk)
        except Exception as exc:
            # Acquiring or releasing the broker connection failed, outside any one message.
            unsent = [message for message in batch if message.pk not in sent]
            if failed is None and unsent:
                _record_failure(unsent[0], exc, log=False)
            broker_outage().failed(exc)
        else:
            if not eager and failed is None:
                broker_outage().recovered()
        if sent:
            OutboxMessage.objects.filter(pk__in=sent).update(sent_at=timezone.now())
    return len(sent)


@functools.cache
def _discover_handlers() -> None:
    # Handlers register when their app's tasks module is imported. A worker has imported
    # them already; a web process relaying eagerly may not have, and a topic without
    # handlers is marked sent, so make sure every tasks module is loaded first.
    autodiscover_modules("tasks")


def _producer(eager: bool) -> AbstractContextManager[Any]:
    # One pooled broker connection for the whole batch.
    return nullcontext() if eager else celery_app.producer_or_acquire()


def _dispatch(message: OutboxMessage, *, producer: Any, eager: bool) -> None:
    handlers = handlers_for(message.topic)
    if not handlers:
        logger.warning(
            "outbox message has no handler; marking it sent",
            extra={"message_id": message.pk, "topic": message.topic},
        )
        return
    args = [message.pk, message.payload]
    if eager:
        # A savepoint per message: a failing handler must not abort the relay's transaction
        # (and the other handlers of this message are retried with it).
        with transaction.atomic():
            for handler in handlers:
                # throw: a handler's error must reach the relay whatever eager_propagates says.
                celery_app.tasks[handler.task_name].apply_async(
                    args=args, queue=handler.queue, throw=True
                )
        return
    for handler in handlers:
        celery_app.tasks[handler.task_name].apply_async(
            args=args, queue=handler.queue, producer=producer
        )


def _record_failure(message: OutboxMessage, exc: BaseException, *, log: bool = True) -> None:
    attempts = message.attempts + 1
    OutboxMessage.objects.filter(pk=message.pk).update(
        attempts=attempts,
        last_error=f"{type(exc).__name__}: {exc}"[:LAST_ERROR_MAX_LENGTH],
        available_at=timezone.now() + outbox_retry_delay(attempts),
    )
    if log:  # a handler's failure; broker outages are logged once per outage instead
        logger.warning(
            "outbox message not sent; it will be retried",
            extra={"message_id": message.pk, "topic": message.topic, "attempts": attempts},
            exc_info=exc,
        )


def outbox_retry_delay(attempts: int) -> timedelta:
    """Exponential backoff with jitter: base * 2^(attempts-1), capped, then 50-100% of it."""
    base = float(getattr(settings, "OUTBOX_RETRY_BASE_SECONDS", 5))
    cap = float(getattr(settings, "OUTBOX_RETRY_MAX_SECONDS", 3600))
    delay = min(cap, base * 2 ** min(max(attempts, 1) - 1, 30))
    # Jitter spreads the retries of many rows failed by one outage.
    return timedelta(seconds=delay / 2 + random.uniform(0, delay / 2))  # noqa: S311


@transaction.atomic
def outbox_purge_sent(*, older_than: timedelta) -> int:
    """Deletes messages sent before now - older_than, and old dedupe markers.

    Returns how many messages were deleted. Markers of messages still unsent are kept: a
    handler may already have run for one whose other handler has not yet been published.
    """
    cutoff = timezone.now() - older_than
    deleted, _ = OutboxMessage.objects.filter(sent_at__lt=cutoff).delete()
    ProcessedMessage.objects.filter(processed_at__lt=cutoff).exclude(
        message_id__in=OutboxMessage.objects.filter(sent_at__isnull=True).values("id")
    ).delete()
    return deleted
