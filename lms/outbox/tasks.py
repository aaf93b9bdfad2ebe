from datetime import timedelta

from celery import shared_task

from lms.outbox.services import outbox_purge_sent, outbox_relay

RELAY_MAX_BATCHES = 10


@shared_task(name="lms.outbox.tasks.outbox_relay_task", queue="default", ignore_result=True)
def outbox_relay_task(batch_size: int = 100) -> int:
    """Relays due messages; scheduled by beat and nudged after each publishing commit.

    Several may run at once (beat plus nudges); the relay's SKIP LOCKED keeps that safe.
    Drains a backlog a few batches at a time rather than one batch per beat tick.
    """
    total = 0
    for _ in range(RELAY_MAX_BATCHES):
        sent = outbox_relay(batch_size=batch_size)
        total += sent
        if sent < batch_size:
            break
    return total


@shared_task(name="lms.outbox.tasks.outbox_purge_task", queue="default", ignore_result=True)
def outbox_purge_task(days: int = 7) -> int:
    return outbox_purge_sent(older_than=timedelta(days=days))
